//! Inputs that must load: the reference inventories, the corpus's valid
//! cases, a rich compose file into the model.

use homectl::inventory;

use super::*;

#[test]
fn the_reference_inventories_pass() {
    for path in ["inventory/lab.toml", "inventory/homelab.toml"] {
        let output = homectl(&["-i", path, "check"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            stdout.trim(),
            format!("{path}: ok (3 nodes, 2 stacks: core, workers)")
        );
    }
}

#[test]
fn the_swarm_lab_inventory_passes_with_a_compose_and_a_swarm_stack() {
    let path = "inventory/lab-swarm.toml";
    let output = homectl(&["-i", path, "check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("{path}: ok (3 nodes, 2 stacks: core, swarm-workers)")
    );
}

#[test]
fn check_json_reports_success() {
    let output = homectl(&["-i", "inventory/lab.toml", "--json", "check"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["nodes"],
        serde_json::json!(["node-a", "node-b", "node-c"])
    );
    assert_eq!(report["stacks"], serde_json::json!(["core", "workers"]));
}

#[test]
fn every_valid_input_passes_check() {
    for case in corpus("valid") {
        let inventory = case.join("inventory.toml");
        let output = homectl(&["-i", inventory.to_str().unwrap(), "check"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            case.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Anchors, chained and listed merge keys, `x-` extensions, secrets,
/// configs, long port syntax, networks, a disabled health check.
#[test]
fn a_rich_compose_file_loads_into_the_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/valid/rich-compose");
    let project = inventory::load(&root.join("inventory.toml")).unwrap_or_else(|e| panic!("{e}"));
    let shop = &project.stacks["shop"];
    let compose = &shop.compose;

    let names: Vec<&str> = compose.services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "api",
            "db",
            "debug-shell",
            "worker-1",
            "worker-2",
            "worker-3"
        ]
    );
    // Images through one and two levels of merge keys.
    assert_eq!(
        compose.services["api"].image,
        "${REGISTRY}/shop-api:${IMAGE_TAG}"
    );
    assert_eq!(
        compose.services["worker-3"].image,
        "${REGISTRY}/shop-api:${IMAGE_TAG}"
    );
    assert_eq!(compose.services["db"].image, "postgres:16-alpine");
    // Health checks: merged in, written, or disabled (and that inherited).
    assert!(compose.services["db"].has_healthcheck);
    assert!(compose.services["api"].has_healthcheck);
    assert!(!compose.services["worker-1"].has_healthcheck);
    assert!(!compose.services["worker-2"].has_healthcheck);
    assert!(!compose.services["debug-shell"].has_healthcheck);
    // Scale by profiles; `debug` never runs through homectl.
    assert_eq!(compose.services_at_scale(1), ["api", "db", "worker-1"]);
    assert_eq!(
        compose.services_at_scale(3),
        ["api", "db", "worker-1", "worker-2", "worker-3"]
    );

    assert_eq!(shop.max_scale, 3);
    assert_eq!(shop.images, ["shop-api"]);
    assert_eq!(shop.secrets.len(), 4);
    assert_eq!(shop.before_up.len(), 2);
    assert_eq!(shop.health.timeout, std::time::Duration::from_secs(120));

    let inv = &project.inventory;
    assert_eq!(inv.tag_length, 7);
    assert_eq!(inv.registry.prefix(), "registry.home.arpa:5000/acme/shop");
    assert_eq!(inv.ssh.known_hosts, inventory::KnownHosts::AcceptNew);
    assert_eq!(inv.ssh.connect_timeout, std::time::Duration::from_secs(90));
    assert_eq!(inv.nodes["node-a"].scale, Some(3));
    assert_eq!(inv.nodes["node-a"].env["TZ"], "Europe/Paris");
    assert_eq!(inv.nodes["node-b"].host, "fe80::2");
}

//! `homectl preflight` against the lab.

use std::time::Duration;

use crate::common::*;

fn check<'a>(report: &'a serde_json::Value, node: &str, check: &str) -> &'a serde_json::Value {
    let node = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == node)
        .unwrap_or_else(|| panic!("{node} in report"));
    &node["checks"][check]
}

#[test]
fn preflight_passes_and_reports_compose_versions() {
    let _lab = lab_lock();
    let run = Homectl::new()
        .args(["--json", "preflight", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.success();
    let report = run.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["secrets"]["ok"], true);
    for node in ["node-a", "node-b"] {
        assert!(
            check(&report, node, "compose")["detail"]
                .as_str()
                .unwrap()
                .starts_with("v2 "),
            "{node}: {report}"
        );
    }
    assert!(
        check(&report, "node-c", "compose")["detail"]
            .as_str()
            .unwrap()
            .starts_with("v1 "),
        "{report}"
    );
    // The core stack probes a url: its node checks for curl or wget.
    assert_eq!(check(&report, "node-a", "probe")["ok"], true);
    // The table names every node.
    let table = Homectl::new()
        .args(["preflight", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    table.success();
    for node in ["node-a", "node-b", "node-c"] {
        assert!(table.stdout.contains(node));
    }
}

#[test]
fn preflight_leaves_no_registry_credentials_on_nodes() {
    let _lab = lab_lock();
    Homectl::new()
        .args(["preflight", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    for (_, host) in NODES {
        let left = on_node_ok(
            host,
            "ls -d /dev/shm/homectl-docker.* /root/.docker/config.json 2>/dev/null || true",
        );
        assert_eq!(left.trim(), "", "credentials left on {host}");
    }
}

#[test]
fn preflight_names_a_missing_tag_in_the_image_check() {
    let _lab = lab_lock();
    let run = Homectl::new()
        .args([
            "--json",
            "preflight",
            "workers",
            "--tag",
            "no-such-tag-0000",
        ])
        .run();
    run.code(1);
    let report = run.json();
    for node in ["node-b", "node-c"] {
        let image = check(&report, node, "image");
        assert_eq!(image["ok"], false);
        assert!(image["detail"]
            .as_str()
            .unwrap()
            .contains("no-such-tag-0000"));
        assert_eq!(check(&report, node, "registry")["ok"], true);
    }
    // The report, then one line naming the failure and its nodes.
    let error = run.json_error();
    assert_eq!(error["exit_code"], 1, "{error}");
    assert_eq!(
        error["nodes"],
        serde_json::json!(["node-b", "node-c"]),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("preflight failed"),
        "{error}"
    );
    let table = Homectl::new()
        .args(["preflight", "workers", "--tag", "no-such-tag-0000"])
        .run();
    assert!(
        table.stdout.contains("node-b image: not in the registry"),
        "{}",
        table.all()
    );
}

#[test]
fn preflight_names_the_secrets_check_when_op_is_signed_out() {
    let _lab = lab_lock();
    let run = Homectl::new()
        .env("OP_LAB_SIGNED_OUT", "1")
        .args(["preflight", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.code(1);
    assert!(
        run.stdout
            .contains("secrets: 1Password CLI is not signed in"),
        "{}",
        run.all()
    );
}

#[test]
fn preflight_refuses_a_node_whose_host_key_changed() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    // A known_hosts where node-b's names carry another host's key.
    let known = std::fs::read_to_string(format!("{LAB}/ssh/known_hosts")).unwrap();
    let other_key = known
        .lines()
        .find(|l| l.starts_with("core.lab.home.arpa"))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_string();
    let forged: String = known
        .lines()
        .map(|l| {
            if l.starts_with("workers-b.lab.home.arpa") || l.starts_with("10.77.0.12") {
                format!("{} {other_key}", l.split(' ').next().unwrap())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("known_hosts"), forged + "\n").unwrap();
    let config = std::fs::read_to_string(SSH_CONFIG).unwrap().replace(
        &format!("{LAB}/ssh/known_hosts"),
        &dir.path().join("known_hosts").display().to_string(),
    );
    std::fs::write(dir.path().join("ssh_config"), config).unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[(
            SSH_CONFIG,
            &dir.path().join("ssh_config").display().to_string(),
        )],
    );

    let run = Homectl::with_inventory(&inventory)
        .args(["--json", "preflight", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.code(1);
    let report = run.json();
    let ssh = check(&report, "node-b", "ssh");
    assert_eq!(ssh["ok"], false, "{report}");
    assert!(
        ssh["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("host key"),
        "{ssh}"
    );
    assert_eq!(check(&report, "node-a", "ssh")["ok"], true);
    assert_eq!(check(&report, "node-c", "ssh")["ok"], true);
}

#[test]
fn preflight_fails_an_unreachable_node_within_the_connect_timeout() {
    let _lab = lab_lock();
    let pid_file = format!("{LAB}/nodes/node-c/run/sshd.pid");
    let pid = std::fs::read_to_string(&pid_file)
        .expect("node-c's sshd pid file")
        .trim()
        .to_string();
    // Stop node-c's sshd listener (sessions: none open now); `lab up` repairs it.
    assert!(std::process::Command::new("kill")
        .arg(&pid)
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_millis(300));
    let run = Homectl::new()
        .args(["--json", "preflight", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    let repaired = std::process::Command::new(repo().join("scripts/lab"))
        .arg("up")
        .output()
        .unwrap();
    assert!(
        repaired.status.success(),
        "lab up did not repair node-c: {}",
        String::from_utf8_lossy(&repaired.stderr)
    );

    run.code(1);
    let report = run.json();
    assert_eq!(check(&report, "node-c", "ssh")["ok"], false, "{report}");
    assert_eq!(check(&report, "node-a", "stack")["ok"], true, "{report}");
    assert_eq!(check(&report, "node-b", "stack")["ok"], true, "{report}");
    // connect_timeout is 5s in the lab inventory.
    assert!(
        run.elapsed < Duration::from_secs(5 + 8),
        "took {:?}",
        run.elapsed
    );
}

/// What the core stack needs on node-a and the lab does not have: an
/// absolute bind-mount source (in node-a's own /tmp) and an external
/// network. Removed again when the test ends, also when it fails.
const BIND_SOURCE: &str = "/tmp/homectl-e2e-preflight-bind";
const EXTERNAL_NETWORK: &str = "homectl-e2e-preflight-edge";

struct NodeNeedsCleanup;

impl Drop for NodeNeedsCleanup {
    fn drop(&mut self) {
        on_node(
            host_of("node-a"),
            &format!("rm -rf {BIND_SOURCE}; docker network rm {EXTERNAL_NETWORK} >/dev/null 2>&1 || true"),
        );
    }
}

#[test]
fn preflight_names_a_missing_bind_source_and_external_network_and_passes_once_they_exist() {
    let _lock = lab_lock();
    let cleanup = NodeNeedsCleanup;
    drop(NodeNeedsCleanup); // nothing left from an earlier run
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(
        dir.path(),
        "core/compose.yml",
        &[
            (
                "      - db-data:/data",
                &format!("      - db-data:/data\n      - {BIND_SOURCE}:/extra:ro"),
            ),
            (
                "\nservices:\n",
                &format!("\nnetworks:\n  edge:\n    external: true\n    name: {EXTERNAL_NETWORK}\n\nservices:\n"),
            ),
        ],
    );
    let preflight = || {
        Homectl::with_inventory(&inventory)
            .args([
                "--json",
                "preflight",
                "node-a",
                "--tag",
                &lab_var("LAB_TAG_OLD"),
            ])
            .run()
    };

    let run = preflight();
    run.code(1);
    let report = run.json();
    let mounts = check(&report, "node-a", "mounts");
    assert_eq!(mounts["ok"], false, "{report}");
    assert!(
        mounts["detail"].as_str().unwrap().contains(&format!(
            "bind mount source missing: ktrdr-core: {BIND_SOURCE};"
        )),
        "{report}"
    );
    let external = check(&report, "node-a", "external");
    assert_eq!(external["ok"], false, "{report}");
    assert!(
        external["detail"].as_str().unwrap().contains(&format!(
            "external network missing: ktrdr-core: {EXTERNAL_NETWORK};"
        )),
        "{report}"
    );
    assert_eq!(check(&report, "node-a", "disk")["ok"], true, "{report}");
    // The table names the node and the path.
    let table = Homectl::with_inventory(&inventory)
        .args(["preflight", "node-a", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    table.code(1);
    assert!(
        table.all().contains(&format!(
            "node-a mounts: bind mount source missing: ktrdr-core: {BIND_SOURCE}"
        )),
        "{}",
        table.all()
    );

    on_node_ok(
        host_of("node-a"),
        &format!("mkdir -p {BIND_SOURCE} && docker network create {EXTERNAL_NETWORK} >/dev/null"),
    );
    let run = preflight();
    run.success();
    let report = run.json();
    assert_eq!(check(&report, "node-a", "mounts")["ok"], true, "{report}");
    assert_eq!(check(&report, "node-a", "external")["ok"], true, "{report}");
    drop(cleanup);
    let left = on_node(
        host_of("node-a"),
        &format!("ls -d {BIND_SOURCE} 2>/dev/null; docker network inspect {EXTERNAL_NETWORK} >/dev/null 2>&1 && echo network"),
    );
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "",
        "left on node-a"
    );
}

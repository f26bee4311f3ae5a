//! preflight validates each stack in its shipped form (docs/stacks.md,
//! "What preflight checks on the node"): the folder on the node, Compose
//! run in it, so a relative `env_file:` resolves, on Compose v2 (node-b)
//! and v1 (node-c).

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
fn preflight_validates_the_shipped_folder_so_an_env_file_resolves_and_one_left_out_is_named() {
    let _lock = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(
        dir.path(),
        "workers/compose.yml",
        &[("  init: true\n", "  init: true\n  env_file: [worker.env]\n")],
    );
    let stack = dir.path().join("stacks/workers");
    std::fs::write(stack.join("worker.env"), "WORKER_MODE=e2e\n").unwrap();
    let preflight = || {
        Homectl::with_inventory(&inventory)
            .args([
                "--json",
                "preflight",
                "workers",
                "--tag",
                &lab_var("LAB_TAG_OLD"),
            ])
            .run()
    };

    let run = preflight();
    run.success();
    let report = run.json();
    for node in ["node-b", "node-c"] {
        assert_eq!(
            check(&report, node, "stack")["ok"],
            true,
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

    // Left out of what travels: the node's Compose does not find it.
    std::fs::write(stack.join(".homectlignore"), "worker.env\n").unwrap();
    let run = preflight();
    run.code(1);
    let report = run.json();
    for node in ["node-b", "node-c"] {
        let stack = check(&report, node, "stack");
        let detail = stack["detail"].as_str().unwrap();
        assert_eq!(stack["ok"], false, "{node}: {report}");
        assert!(
            detail.starts_with("ktrdr-workers: ") && detail.contains("worker.env"),
            "{node}: {report}"
        );
        // Named as in the stack folder, not by the temporary folder.
        assert!(!detail.contains(".preflight."), "{node}: {report}");
    }

    for (node, host) in [("node-b", host_of("node-b")), ("node-c", host_of("node-c"))] {
        let left = on_node_ok(host, "ls -a /var/lib/homectl | grep '^.preflight' || true");
        assert_eq!(left.trim(), "", "{node}: left in the state folder");
    }
}

//! A failing secret provider stops the deploy before any node is touched.

use super::*;

/// "Accepted publickey" lines in the nodes' sshd logs: connections made.
fn connections() -> usize {
    ["node-a", "node-b", "node-c"]
        .iter()
        .map(|n| {
            std::fs::read_to_string(format!("{LAB}/nodes/{n}/sshd.log"))
                .unwrap_or_default()
                .matches("Accepted publickey")
                .count()
        })
        .sum()
}

#[test]
fn a_failing_secret_provider_stops_before_any_node_is_touched() {
    let _lab = lab_lock();
    let before = connections();
    let run = Homectl::new()
        .env("OP_LAB_SIGNED_OUT", "1")
        .args(["deploy", "all", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.code(1);
    assert!(
        run.stderr.contains("not signed in") && run.stderr.contains("no node was touched"),
        "{}",
        run.all()
    );
    assert_eq!(connections(), before, "a node was contacted");

    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[(
            "op://homelab/registry/password",
            "op://homelab/registry/nope",
        )],
    );
    let run = Homectl::with_inventory(&inventory)
        .args(["deploy", "all", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.code(1);
    assert!(
        run.stderr.contains("op://homelab/registry/nope"),
        "{}",
        run.all()
    );
    assert_eq!(connections(), before, "a node was contacted");
    for secret in secret_values() {
        assert!(!run.all().contains(&secret));
    }
}

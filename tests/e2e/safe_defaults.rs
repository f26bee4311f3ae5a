//! The commands that change what runs need a TARGET: `rollback` and
//! `down --yes` without one are exit 2 with the usage, and no node changes
//! (docs/operations.md, "Selecting nodes, stacks and services").

use crate::common::*;

/// Per node: every container (id, state, start time) and the history's
/// length, as the node's Docker engine and state folder say.
fn lab_state() -> Vec<(String, String)> {
    NODES
        .iter()
        .map(|(_, host)| {
            let state = on_node_ok(
                host,
                "ids=$(docker ps -aq | sort); [ -z \"$ids\" ] || docker inspect --format \
                 '{{.Id}} {{.State.Status}} {{.State.StartedAt}}' $ids; \
                 for f in /var/lib/homectl/history.jsonl; do [ -f $f ] && wc -l < $f; done; true",
            );
            (host.to_string(), state)
        })
        .collect()
}

#[test]
fn rollback_and_down_without_a_target_touch_nothing() {
    let _lab = lab_lock();
    let tag = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "core", "--tag", &tag])
        .run()
        .success();
    let before = lab_state();
    for args in [
        vec!["rollback"],
        vec!["rollback", "--to", tag.as_str()],
        vec!["down", "--yes"],
        vec!["restart"],
    ] {
        let run = Homectl::new().args(&args).run();
        run.code(2);
        assert!(
            run.stderr.contains("<TARGET>") && run.stderr.contains("Usage: homectl"),
            "{args:?}: {}",
            run.all()
        );
    }
    assert_eq!(lab_state(), before, "a node changed");
}

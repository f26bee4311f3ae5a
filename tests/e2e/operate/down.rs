//! `homectl down`: removes exactly what was selected.

use super::*;

#[test]
fn down_removes_exactly_what_was_selected() {
    let _lab = lab_lock();
    let tag = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "workers", "--tag", &tag, "--scale", "1"])
        .run()
        .success();
    // Without a terminal, down needs --yes.
    Homectl::new()
        .args(["down", "workers", "node-c"])
        .run()
        .code(2);

    // One service on the Compose v1 node.
    Homectl::new()
        .args(["down", "workers", "node-c", "training-worker-1", "--yes"])
        .run()
        .success();
    let c = on_node_ok("workers-c.lab.home.arpa", "docker ps -a --format '{{.Label \"com.docker.compose.service\"}}' --filter label=com.docker.compose.project=ktrdr-workers");
    assert_eq!(c.trim(), "backtest-worker-1");
    // A whole stack on a Compose v2 node; node-c keeps its worker.
    Homectl::new()
        .args(["down", "workers", "node-b", "--yes"])
        .run()
        .success();
    let b = on_node_ok(
        "workers-b.lab.home.arpa",
        "docker ps -aq --filter label=com.docker.compose.project=ktrdr-workers",
    );
    assert_eq!(b.trim(), "");
    let c = on_node_ok(
        "workers-c.lab.home.arpa",
        "docker ps -q --filter label=com.docker.compose.project=ktrdr-workers",
    );
    assert_eq!(c.trim().lines().count(), 1);
    let history = Homectl::new()
        .args(["--json", "history", "node-b", "-n", "1"])
        .run()
        .json();
    assert_eq!(history[0]["kind"], "down");
    // Back to the usual state for the next tests.
    Homectl::new()
        .args(["deploy", "workers", "--tag", &tag, "--scale", "1"])
        .run()
        .success();
}

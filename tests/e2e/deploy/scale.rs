//! `--scale` on the workers stack (Compose v2 and v1), services above the
//! scale, services gone from the compose file.

use std::collections::BTreeMap;

use super::*;

/// Removes the workers' containers of a node: a known, empty start.
fn clear_workers(host: &str) {
    on_node_ok(host, &format!("ids=$(docker ps -aq --filter label=com.docker.compose.project={WORKERS_PROJECT}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null"));
}

/// The scale sequence of a workers node; `other` must stay untouched.
fn scale_sequence(node: &str, other: &str) {
    let host = host_of(node);
    let other_host = host_of(other);
    let tag = old();
    clear_workers(host);
    // The other node in a known state of its own, to see that it is left alone.
    deploy(&["workers", other, "--tag", &tag, "--scale", "1"]).success();
    let other_before = containers(other_host, WORKERS_PROJECT);

    for (scale, expected) in [
        (Some(2), 2),
        (Some(3), 3),
        (Some(1), 1),
        (Some(2), 2),
        (None, 2),
    ] {
        let mut args = vec!["workers", node, "--tag", tag.as_str()];
        let text = scale.map(|s: u32| s.to_string());
        if let Some(text) = &text {
            args.extend(["--scale", text.as_str()]);
        }
        let run = deploy(&args);
        run.success();
        assert_eq!(
            running_services(host, WORKERS_PROJECT, &tag),
            workers_at(expected),
            "{node} after --scale {scale:?}:\n{}",
            run.all()
        );
    }
    // A redeploy of what runs recreates nothing.
    let now = containers(host, WORKERS_PROJECT);
    deploy(&["workers", node, "--tag", &tag]).success();
    assert_eq!(
        containers(host, WORKERS_PROJECT),
        now,
        "{node}: a redeploy of what runs changed containers"
    );
    // One service (`up -d --no-deps`): only that one changes.
    deploy(&["workers", node, "backtest-worker-1", "--tag", &new()]).success();
    let after = containers(host, WORKERS_PROJECT);
    for c in &after {
        let was = now.iter().find(|b| b.service == c.service).unwrap();
        if c.service == "backtest-worker-1" {
            assert_eq!(
                (c.tag(), c.state.as_str()),
                (new().as_str(), "running"),
                "{node}: {c:?}"
            );
        } else {
            assert_eq!(
                c, was,
                "{node}: a deploy of backtest-worker-1 touched {}",
                c.service
            );
        }
    }
    // Nothing was recreated, stopped or started on the other node.
    assert_eq!(
        containers(other_host, WORKERS_PROJECT),
        other_before,
        "{other} was touched by deploys to {node}"
    );
    // Back to the inventory's scale for the tests that follow.
    deploy(&["workers", node, "--tag", &tag, "--scale", "1"]).success();
}

#[test]
fn scale_up_and_down_on_node_b_compose_v2() {
    let _lab = lab_lock();
    scale_sequence("node-b", "node-c");
}

#[test]
fn scale_up_and_down_on_node_c_compose_v1() {
    let _lab = lab_lock();
    scale_sequence("node-c", "node-b");
}

#[test]
fn a_service_above_the_scale_is_removed_and_nothing_else_is_touched() {
    let _lab = lab_lock();
    let host = host_of("node-b");
    deploy(&["workers", "node-b", "--tag", &old(), "--scale", "2"]).success();
    let before = containers(host, WORKERS_PROJECT);
    // backtest-worker-2 does not run at scale 1: it goes, the others stay as they are.
    let run = deploy(&[
        "workers",
        "node-b",
        "backtest-worker-2",
        "--tag",
        &new(),
        "--scale",
        "1",
    ]);
    run.success();
    let after = containers(host, WORKERS_PROJECT);
    let expected: Vec<Container> = before
        .iter()
        .filter(|c| c.service != "backtest-worker-2")
        .cloned()
        .collect();
    assert_eq!(
        after,
        expected,
        "more than backtest-worker-2 changed:\n{}",
        run.all()
    );
    // A service above the scale the node keeps: nothing changes at all.
    deploy(&["workers", "node-b", "--tag", &old(), "--scale", "1"]).success();
    let before = containers(host, WORKERS_PROJECT);
    let run = deploy(&["workers", "node-b", "training-worker-3", "--tag", &new()]);
    run.success();
    assert_eq!(
        containers(host, WORKERS_PROJECT),
        before,
        "the workers changed:\n{}",
        run.all()
    );
    // Its record names the service: it does not read as a deploy of the whole stack.
    let record = history(host).pop().unwrap();
    assert_eq!(
        record["services"],
        serde_json::json!(["training-worker-3"]),
        "{record}"
    );
}

/// Puts workers back at scale 1 with the lab's own stacks when dropped,
/// also when a test fails.
struct WorkersAtScaleOne;

impl Drop for WorkersAtScaleOne {
    fn drop(&mut self) {
        let run = deploy(&["workers", "--tag", &old(), "--scale", "1"]);
        if run.code != 0 {
            eprintln!("could not put workers back at scale 1:\n{}", run.all());
        }
    }
}

#[test]
fn a_service_gone_from_the_compose_file_is_removed_by_the_next_whole_stack_deploy() {
    let _lab = lab_lock();
    let _back = WorkersAtScaleOne;
    deploy(&["workers", "--tag", &old(), "--scale", "2"]).success();
    // backtest-worker-2 leaves the file; training-worker-2 (same profile)
    // stays in it.
    let text = std::fs::read_to_string(repo().join("stacks/workers/compose.yml")).unwrap();
    let start = text.find("  backtest-worker-2:\n").unwrap();
    let end = text.find("  backtest-worker-3:\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(
        dir.path(),
        "workers/compose.yml",
        &[(&text[start..end], "")],
    );
    let ids = |host: &str| -> BTreeMap<String, String> {
        containers(host, "ktrdr-workers")
            .into_iter()
            .map(|c| (c.service, c.id))
            .collect()
    };
    let hosts = ["workers-b.lab.home.arpa", "workers-c.lab.home.arpa"];
    let before: Vec<_> = hosts.iter().map(|h| ids(h)).collect();
    for b in &before {
        assert_eq!(b.len(), 4, "{b:?}");
    }

    // A service-level deploy leaves the orphan alone.
    deploy_in(
        Some(&inventory),
        &[
            "workers",
            "backtest-worker-1",
            "--tag",
            &old(),
            "--scale",
            "2",
        ],
    )
    .success();
    for (host, b) in hosts.iter().zip(&before) {
        assert!(ids(host).contains_key("backtest-worker-2"), "{host}");
        assert_eq!(
            &ids(host),
            b,
            "{host}: a service-level deploy changed containers"
        );
    }

    // The whole stack (Compose v2 on node-b, v1 on node-c): only the orphan goes.
    let run = deploy_in(
        Some(&inventory),
        &["workers", "--tag", &old(), "--scale", "2"],
    );
    run.success();
    assert!(
        run.all()
            .contains("removing services no longer in its compose file: backtest-worker-2"),
        "{}",
        run.all()
    );
    for (host, b) in hosts.iter().zip(&before) {
        let mut expected = b.clone();
        expected.remove("backtest-worker-2");
        assert_eq!(ids(host), expected, "{host}");
    }
    // Nothing orphaned is left: the same deploy again is skipped.
    let again = deploy_in(
        Some(&inventory),
        &["workers", "--tag", &old(), "--scale", "2"],
    );
    again.success();
    assert!(again.all().contains("(unchanged)"), "{}", again.all());
}

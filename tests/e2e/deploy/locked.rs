//! The deploy lock: a second deploy to a locked node fails at once naming
//! the holder, and a node that fails to prepare changes nothing anywhere.

use super::*;

#[test]
fn a_second_deploy_to_a_locked_node_fails_at_once_naming_the_holder() {
    let _lab = lab_lock();
    let host = host_of("node-b");
    deploy(&["workers", "node-b", "--tag", &old(), "--scale", "1"]).success();
    // The first deploy switches tags: recreate and health wait take seconds.
    let mut first = Homectl::new()
        .args(["deploy", "workers", "node-b", "--tag", &new()])
        .spawn();
    assert!(
        first.wait_for("node-b: lock ok", Duration::from_secs(20)),
        "the first deploy did not take the lock:\n{}",
        first.output_so_far()
    );
    let holder = on_node_ok(host, "cat /var/lib/homectl/lock.holder");
    let second = Homectl::new()
        .args(["deploy", "workers", "node-b", "--tag", &new()])
        .run();
    let first = first.wait(Duration::from_secs(120));
    first.success();
    second.code(1);
    assert!(
        second.elapsed < Duration::from_secs(5),
        "the second deploy waited {:?}",
        second.elapsed
    );
    // user@host, pid and since when, as the node's holder file says.
    let named = holder.trim();
    assert!(
        named.contains('@') && named.contains("(pid ") && named.contains(" since "),
        "{named}"
    );
    assert!(
        second.all().contains(&format!("locked by {named}")),
        "the holder is not named:\n{}",
        second.all()
    );
    assert_eq!(
        running_services(host, WORKERS_PROJECT, &new()),
        workers_at(1)
    );
    deploy(&["workers", "node-b", "--tag", &old()]).success();
}

#[test]
fn a_failed_prepare_on_one_node_changes_nothing_on_any_node() {
    let _lab = lab_lock();
    let tag = old();
    deploy(&["all", "--tag", &tag, "--scale", "1"]).success();
    let before: Vec<(String, Vec<Container>)> = [
        ("node-a", CORE_PROJECT),
        ("node-b", WORKERS_PROJECT),
        ("node-c", WORKERS_PROJECT),
    ]
    .iter()
    .map(|(n, p)| (n.to_string(), containers(host_of(n), p)))
    .collect();
    let records: Vec<usize> = NODES.iter().map(|(_, h)| history(h).len()).collect();
    // node-c's lock is held by someone else for a while: it fails to prepare.
    let mut holder = std::process::Command::new("ssh")
        .args([
            "-F",
            SSH_CONFIG,
            host_of("node-c"),
            "exec flock /var/lib/homectl/lock sleep 8",
        ])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while on_node(host_of("node-c"), "flock -n /var/lib/homectl/lock true")
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "could not take node-c's lock");
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = Homectl::new()
        .args(["deploy", "all", "--tag", &new()])
        .run();
    let _ = holder.kill();
    let _ = holder.wait();
    run.code(1);
    assert!(
        run.all().contains("node-c") && run.all().contains("locked by"),
        "{}",
        run.all()
    );
    for (node, list) in &before {
        let project = if node == "node-a" {
            CORE_PROJECT
        } else {
            WORKERS_PROJECT
        };
        assert_eq!(
            &containers(host_of(node), project),
            list,
            "{node} changed although a node failed to prepare"
        );
        let staged = on_node_ok(
            host_of(node),
            "ls /var/lib/homectl/stacks/*/compose.yml.next 2>/dev/null || true",
        );
        assert_eq!(staged.trim(), "", "{node}: a staged file left");
    }
    let after: Vec<usize> = NODES.iter().map(|(_, h)| history(h).len()).collect();
    assert_eq!(
        after, records,
        "a history record for a deploy that changed nothing"
    );
    for (node, host) in &NODES[..2] {
        assert!(
            wait_lock_free(host, Duration::from_secs(2)),
            "{node}'s lock not released"
        );
    }
    assert!(wait_lock_free(host_of("node-c"), Duration::from_secs(15)));
}

//! A deploy interrupted by SIGKILL or Ctrl-C (once and twice): the step in
//! flight finishes on the node, nothing after it starts, no unlock is needed.

use super::*;

/// Waits for a `--json` event of `step` (a prefix) with `status`.
#[track_caller]
fn wait_for_event(running: &mut Running, step: &str, status: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let seen = events(&running.output_so_far()).iter().any(|e| {
            e["step"].as_str().is_some_and(|s| s.starts_with(step)) && e["status"] == status
        });
        if seen {
            return;
        }
        // Output stops growing when homectl ended: look once more, then give up.
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "no `{step}` {status} event within {timeout:?}:\n{}",
        running.output_so_far()
    );
}

/// What the migrations volume holds now (the hook appends "TAG TIME").
fn migrations(host: &str) -> String {
    on_node_ok(
        host,
        "docker exec ktrdr-core-backend-1 /bin/busybox cat /data/migrations",
    )
}

/// An inventory whose core hook sleeps `secs` seconds before migrating,
/// so that a test can interrupt the deploy during the hook.
fn slow_hook_inventory(dir: &std::path::Path, secs: u32) -> std::path::PathBuf {
    stacks_variant(
        dir,
        "core/stack.toml",
        &[(
            r#"command = ["/app/entry", "migrate"]"#,
            &format!(r#"command = ["/app/entry", "migrate-slow", "{secs}"]"#),
        )],
    )
}

#[test]
fn a_killed_deploy_needs_no_unlock_and_leaves_no_mix() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let inventory = slow_hook_inventory(dir.path(), 3);
    let (backend, db) = core_at(&old());
    let migrated = migrations(CORE);

    // SIGKILL during the hook: the hook runs to its end on the node, and
    // nothing after it starts.
    let mut running = Homectl::with_inventory(&inventory)
        .args(["--json", "deploy", "core", "--tag", &new()])
        .spawn();
    wait_for_event(&mut running, "hook", "started", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    running.signal("KILL");
    let killed = running.wait(Duration::from_secs(10));
    assert_eq!(killed.code, 128 + 9);
    assert!(
        wait_lock_free(CORE, Duration::from_secs(20)),
        "the lock outlived the killed deploy's step"
    );
    let now = migrations(CORE);
    assert!(
        now.len() > migrated.len() && now.lines().last().unwrap().starts_with(&new()),
        "the hook in flight did not finish:\n{now}"
    );
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend"),
        backend,
        "a step after the hook ran"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db"), db);
    assert_eq!(
        on_node_ok(CORE, "ls -d /dev/shm/homectl-docker.* 2>/dev/null || true").trim(),
        ""
    );

    // The next deploy needs no unlock.
    core_at(&new());

    // SIGKILL during the health wait: `up` is done, the node runs the new tag.
    deploy(&["core", "--tag", &old()]).success();
    let mut running = Homectl::with_inventory(&inventory)
        .args(["--json", "deploy", "core", "--tag", &new()])
        .spawn();
    wait_for_event(&mut running, "health", "started", Duration::from_secs(30));
    running.signal("KILL");
    running.wait(Duration::from_secs(10));
    assert!(
        wait_lock_free(CORE, Duration::from_secs(20)),
        "the lock outlived the killed deploy's step"
    );
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(backend.tag(), new());
    core_at(&old());
}

#[test]
fn ctrl_c_during_the_hook_finishes_it_and_records_interrupted() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let inventory = slow_hook_inventory(dir.path(), 3);
    let (backend, db) = core_at(&old());
    let migrated = migrations(CORE);

    let mut running = Homectl::with_inventory(&inventory)
        .args(["--json", "deploy", "core", "--tag", &new()])
        .spawn();
    wait_for_event(&mut running, "hook", "started", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    // As Ctrl-C on a terminal: the whole foreground process group.
    running.signal_group("INT");
    let run = running.wait(Duration::from_secs(30));
    run.code(130);
    // The hook finished; `up` did not start.
    let now = migrations(CORE);
    assert!(
        now.len() > migrated.len() && now.lines().last().unwrap().starts_with(&new()),
        "the hook in flight did not finish:\n{now}"
    );
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend"),
        backend,
        "a step after the hook ran"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db"), db);
    let ev = events(&run.stdout);
    assert!(
        !ev.iter()
            .any(|e| e["step"].as_str().is_some_and(|s| s.starts_with("up"))
                && e["status"] == "started"),
        "up started:\n{}",
        run.stdout
    );
    let record = history(CORE).pop().unwrap();
    assert_eq!(
        (record["tag"].as_str(), record["result"].as_str()),
        (Some(new().as_str()), Some("interrupted")),
        "{record}"
    );
    // The lock is released: the next deploy needs no unlock.
    assert!(wait_lock_free(CORE, Duration::from_secs(1)));
    core_at(&new());
    core_at(&old());
}

#[test]
fn ctrl_c_during_the_pull_changes_nothing_and_records_interrupted() {
    let _lab = lab_lock();
    let (backend, db) = core_at(&old());
    // The slow tag (a large layer) must really be pulled.
    on_node(
        CORE,
        "docker image rm 10.77.0.1:5000/lab/ktrdr-backend:slowpull",
    );
    let records = history(CORE).len();

    let mut running = Homectl::new()
        .args(["--json", "deploy", "core", "--tag", "slowpull"])
        .spawn();
    wait_for_event(&mut running, "pull", "started", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    running.signal_group("INT");
    let run = running.wait(Duration::from_secs(120));
    run.code(130);
    // The pull in flight finished; nothing after it started, nothing that runs changed.
    on_node_ok(
        CORE,
        "docker image inspect 10.77.0.1:5000/lab/ktrdr-backend:slowpull >/dev/null",
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend"), backend);
    assert_eq!(container_of(CORE, CORE_PROJECT, "db"), db);
    let started: Vec<String> = events(&run.stdout)
        .iter()
        .filter(|e| e["status"] == "started")
        .filter_map(|e| e["step"].as_str().map(str::to_string))
        .collect();
    assert!(
        !started
            .iter()
            .any(|s| s.starts_with("hook") || s.starts_with("up")),
        "{started:?}"
    );
    assert_eq!(on_node_ok(CORE, "ls -d /dev/shm/homectl-docker.* /var/lib/homectl/stacks/core/compose.yml.next 2>/dev/null || true").trim(), "", "left behind");
    // Recorded as interrupted; the lock is free.
    let all = history(CORE);
    assert_eq!(
        all.len(),
        records + 1,
        "no record of the interrupted deploy"
    );
    let record = all.last().unwrap();
    assert_eq!(
        (record["tag"].as_str(), record["result"].as_str()),
        (Some("slowpull"), Some("interrupted")),
        "{record}"
    );
    assert!(wait_lock_free(CORE, Duration::from_secs(1)));
    core_at(&old());
}

#[test]
fn a_second_ctrl_c_stops_waiting_and_the_node_still_ends_cleanly() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let inventory = slow_hook_inventory(dir.path(), 4);
    let (backend, _) = core_at(&old());
    let mut running = Homectl::with_inventory(&inventory)
        .args(["--json", "deploy", "core", "--tag", &new()])
        .spawn();
    wait_for_event(&mut running, "hook", "started", Duration::from_secs(30));
    running.signal_group("INT");
    std::thread::sleep(Duration::from_millis(300));
    running.signal_group("INT");
    let run = running.wait(Duration::from_secs(3));
    run.code(130);
    // The hook still runs to its end on the node, nothing after it starts,
    // and the lock ends with it.
    assert!(
        wait_lock_free(CORE, Duration::from_secs(20)),
        "the lock outlived the hook"
    );
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend"),
        backend,
        "a step after the hook ran"
    );
    core_at(&old());
}

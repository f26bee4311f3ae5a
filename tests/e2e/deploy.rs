//! `homectl deploy` against the lab. Every assertion is about what the
//! nodes' Docker engines really run (over plain ssh), not about what
//! homectl says. Each test brings the nodes it uses to a known state first.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::*;

const CORE: &str = "core.lab.home.arpa";
const CORE_PROJECT: &str = "ktrdr-core";
const WORKERS_PROJECT: &str = "ktrdr-workers";

fn old() -> String {
    lab_var("LAB_TAG_OLD")
}

fn new() -> String {
    lab_var("LAB_TAG_NEW")
}

/// `homectl deploy ARGS...` against the lab inventory.
fn deploy(args: &[&str]) -> Run {
    deploy_in(None, args)
}

/// `homectl -i INVENTORY deploy ARGS...`. The lab is shared with other
/// people's demos and benchmarks: a deploy that finds a node locked by
/// someone else is tried again for a while (the lock test itself does not
/// come through here).
fn deploy_in(inventory: Option<&std::path::Path>, args: &[&str]) -> Run {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let command = match inventory {
            Some(path) => Homectl::with_inventory(path),
            None => Homectl::new(),
        };
        let run = command.args(["deploy"]).args(args).run();
        if run.code == 1
            && run.all().contains(": FAILED lock: locked by")
            && Instant::now() < deadline
        {
            eprintln!(
                "a node is locked by someone else, trying again: {}",
                run.all()
                    .lines()
                    .find(|l| l.contains("locked by"))
                    .unwrap_or("")
            );
            std::thread::sleep(Duration::from_secs(3));
            continue;
        }
        return run;
    }
}

/// The core stack at `tag`, both services running and the backend healthy.
#[track_caller]
fn core_at(tag: &str) -> (Container, Container) {
    deploy(&["core", "--tag", tag]).success();
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    let db = container_of(CORE, CORE_PROJECT, "db");
    assert_eq!(backend.tag(), tag, "{backend:?}");
    assert_eq!(
        (backend.state.as_str(), backend.health.as_str()),
        ("running", "healthy"),
        "{backend:?}"
    );
    assert_eq!(db.state, "running", "{db:?}");
    (backend, db)
}

/// The services that have a container on the node, each checked to run
/// `tag` and be running.
#[track_caller]
fn running_services(host: &str, project: &str, tag: &str) -> BTreeSet<String> {
    let list = containers(host, project);
    for c in &list {
        assert_eq!(c.state, "running", "{host}: {c:?}");
        assert_eq!(c.tag(), tag, "{host}: {c:?}");
    }
    let services: BTreeSet<String> = list.iter().map(|c| c.service.clone()).collect();
    assert_eq!(
        services.len(),
        list.len(),
        "{host}: one container per service: {list:?}"
    );
    services
}

fn workers_at(scale: u32) -> BTreeSet<String> {
    (1..=scale)
        .flat_map(|n| {
            [
                format!("backtest-worker-{n}"),
                format!("training-worker-{n}"),
            ]
        })
        .collect()
}

/// Removes the workers' containers of a node: a known, empty start.
fn clear_workers(host: &str) {
    on_node_ok(host, &format!("ids=$(docker ps -aq --filter label=com.docker.compose.project={WORKERS_PROJECT}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null"));
}

/// The JSON events homectl printed so far (`--json`).
fn events(output: &str) -> Vec<serde_json::Value> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect()
}

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

/// The node's history (history.jsonl), oldest first.
fn history(host: &str) -> Vec<serde_json::Value> {
    on_node_ok(
        host,
        "cat /var/lib/homectl/history.jsonl 2>/dev/null || true",
    )
    .lines()
    .map(|l| {
        serde_json::from_str(l).unwrap_or_else(|e| panic!("a history line is not JSON ({e}): {l}"))
    })
    .collect()
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
fn deploy_core_runs_the_tag_on_the_core_node() {
    let _lab = lab_lock();
    let tag = old();
    let run = deploy(&["core", "--tag", &tag]);
    run.success();
    eprintln!("deploy core took {:.1}s", run.elapsed.as_secs_f64());
    let all = containers(CORE, CORE_PROJECT);
    assert_eq!(
        all.iter().map(|c| c.service.as_str()).collect::<Vec<_>>(),
        ["backend", "db"],
        "{all:?}"
    );
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    let db = container_of(CORE, CORE_PROJECT, "db");
    assert_eq!(backend.tag(), tag);
    assert_eq!(
        (backend.state.as_str(), backend.health.as_str()),
        ("running", "healthy")
    );
    assert_eq!(db.tag(), "lab-db", "the db stays on its own tag");
    assert_eq!(db.state, "running");
    // The backend answers with the tag's version on the node.
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        tag
    );
    // A switch to another tag, timed.
    let run = deploy(&["core", "--tag", &new()]);
    run.success();
    eprintln!(
        "deploy core (switch of tags) took {:.1}s",
        run.elapsed.as_secs_f64()
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").tag(), new());
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        new()
    );
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
fn a_service_deploy_leaves_the_db_alone_and_a_redeploy_recreates_nothing() {
    let _lab = lab_lock();
    let (_, db) = core_at(&old());

    deploy(&["core", "backend", "--tag", &new()]).success();
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(backend.tag(), new());
    assert_eq!(
        (backend.state.as_str(), backend.health.as_str()),
        ("running", "healthy")
    );
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db"),
        db,
        "the db container was touched"
    );

    // The same command again: nothing is recreated, and homectl tells.
    deploy(&["core", "backend", "--tag", &new()]).success();
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend").id,
        backend.id,
        "the backend was recreated by a redeploy of what runs"
    );
    let last = history(CORE).pop().unwrap();
    assert!(
        last["detail"].as_str().unwrap().starts_with("unchanged"),
        "{last}"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
    // And of the whole stack too.
    deploy(&["core", "--tag", &new()]).success();
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend").id,
        backend.id,
        "the backend was recreated by a redeploy of what runs"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);

    // Manual rollback: the old tag again.
    deploy(&["core", "backend", "--tag", &old()]).success();
    let back = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(back.tag(), old());
    assert_eq!(back.health, "healthy");
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        old()
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
}

#[test]
fn the_before_up_hook_runs_before_up() {
    let _lab = lab_lock();
    core_at(&old());
    deploy(&["core", "--tag", &new()]).success();
    // The new backend copied /data/migrations when it started: the hook's
    // line for the new tag is there only if the hook ran before `up`.
    let served = on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/migrations");
    let last = served.lines().last().unwrap_or("");
    assert!(
        last.starts_with(&format!("{} ", new())),
        "the new backend did not see the hook's migration:\n{served}"
    );
    // No one-off hook container is left behind.
    let left: Vec<Container> = containers(CORE, CORE_PROJECT)
        .into_iter()
        .filter(|c| c.service == "backend" && !c.name.ends_with("backend-1"))
        .collect();
    assert!(left.is_empty(), "hook containers left: {left:?}");
}

#[test]
fn an_unhealthy_tag_is_rolled_back_to_the_same_image() {
    let _lab = lab_lock();
    let (before, db) = core_at(&old());
    let run = deploy(&["core", "--tag", "unhealthy"]);
    run.code(1);
    assert!(run.all().contains("rolled back"), "{}", run.all());
    let after = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(
        after.image_id, before.image_id,
        "not the image that ran before"
    );
    assert_eq!(after.tag(), old());
    assert_eq!(
        (after.state.as_str(), after.health.as_str()),
        ("running", "healthy")
    );
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db").id,
        db.id,
        "the db was touched"
    );
    let record = history(CORE).pop().unwrap();
    assert_eq!(
        (record["tag"].as_str(), record["result"].as_str()),
        (Some("unhealthy"), Some("rolled-back")),
        "{record}"
    );
}

#[test]
fn no_rollback_leaves_the_unhealthy_tag_running() {
    let _lab = lab_lock();
    core_at(&old());
    let run = deploy(&["core", "--tag", "unhealthy", "--no-rollback"]);
    run.code(1);
    let after = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(after.tag(), "unhealthy", "{}", run.all());
    assert_ne!(after.health, "healthy");
    let record = history(CORE).pop().unwrap();
    assert_eq!(
        (record["tag"].as_str(), record["result"].as_str()),
        (Some("unhealthy"), Some("failed")),
        "{record}"
    );
    // A healthy deploy restores it.
    core_at(&old());
}

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
fn history_lists_the_deploys_in_order_with_digests() {
    let _lab = lab_lock();
    let before = history(CORE).len();
    core_at(&old());
    core_at(&new());
    deploy(&["core", "backend", "--tag", &old()]).success();
    let all = history(CORE);
    assert_eq!(all.len(), before + 3, "one record per deploy");
    let records = &all[before..];
    let expect = [(old(), vec![]), (new(), vec![]), (old(), vec!["backend"])];
    for (record, (tag, services)) in records.iter().zip(&expect) {
        assert_eq!(record["tag"], tag.as_str(), "{record}");
        assert_eq!(record["services"], serde_json::json!(services), "{record}");
        assert_eq!(record["kind"], "deploy");
        assert_eq!(record["node"], "node-a");
        assert_eq!(record["stack"], "core");
        assert_eq!(record["scale"], 1);
        assert_eq!(record["result"], "ok", "{record}");
        assert!(record["operator"].as_str().unwrap().contains('@'));
        let digest = record["images"]["backend"]["digests"][0]
            .as_str()
            .unwrap_or_default();
        assert!(
            digest.starts_with("10.77.0.1:5000/lab/ktrdr-backend@sha256:"),
            "{record}"
        );
    }
    let times: Vec<&str> = records
        .iter()
        .map(|r| r["time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // The digests are what the node's engine says of the running image.
    let running = container_of(CORE, CORE_PROJECT, "backend");
    let last = &records[2];
    assert_eq!(last["images"]["backend"]["id"], running.image_id.as_str());
    let digests = on_node_ok(
        CORE,
        &format!(
            "docker image inspect --format '{{{{join .RepoDigests \" \"}}}}' {}",
            running.image_id
        ),
    );
    assert!(
        digests
            .split_whitespace()
            .any(|d| d == last["images"]["backend"]["digests"][0]),
        "{digests} vs {last}"
    );
    assert_ne!(
        records[0]["images"]["backend"]["id"], records[1]["images"]["backend"]["id"],
        "two tags, one image?"
    );
    // No secret value, in any form, anywhere in the file.
    let text = on_node_ok(CORE, "cat /var/lib/homectl/history.jsonl");
    assert_eq!(
        find_secret(text.as_bytes(), &secret_needles()),
        None,
        "a secret in the history"
    );
    let json_escaped: Vec<String> = secret_needles()
        .iter()
        .map(|n| {
            serde_json::to_string(n)
                .unwrap()
                .trim_matches('"')
                .to_string()
        })
        .collect();
    assert_eq!(
        find_secret(text.as_bytes(), &json_escaped),
        None,
        "a secret in the history (JSON-escaped)"
    );
}

/// Removes every container of the core stack on node-a.
fn clear_core() {
    on_node_ok(CORE, &format!("ids=$(docker ps -aq --filter label=com.docker.compose.project={CORE_PROJECT}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null"));
}

#[test]
fn rollback_goes_back_to_the_app_image_not_to_a_sibling_of_the_same_repository() {
    let _lab = lab_lock();
    // The db runs an image of the same repository (ktrdr-backend:lab-db).
    // Named so that it sorts before the backend, it must still not be
    // taken for the backend's previous image.
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(
        dir.path(),
        "core/compose.yml",
        &[
            ("\n  db:\n", "\n  adb:\n"),
            ("depends_on: [db]", "depends_on: [adb]"),
        ],
    );
    clear_core();
    deploy_in(Some(&inventory), &["core", "--tag", &old()]).success();
    let before = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(before.tag(), old());
    let run = deploy_in(Some(&inventory), &["core", "--tag", "unhealthy"]);
    run.code(1);
    let after = container_of(CORE, CORE_PROJECT, "backend");
    let sibling = container_of(CORE, CORE_PROJECT, "adb");
    clear_core();
    core_at(&old());
    assert_eq!(
        (after.image_id.as_str(), after.tag()),
        (before.image_id.as_str(), old().as_str()),
        "rolled back to another image:\n{}",
        run.all()
    );
    assert_eq!(sibling.tag(), "lab-db");
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

#[test]
fn a_rollback_after_a_scale_up_goes_back_to_the_previous_scale() {
    let _lab = lab_lock();
    let host = host_of("node-b");
    deploy(&["workers", "node-b", "--tag", &old(), "--scale", "1"]).success();
    let before = containers(host, WORKERS_PROJECT);
    let run = deploy(&["workers", "node-b", "--tag", "unhealthy", "--scale", "3"]);
    run.code(1);
    assert!(run.all().contains("rolled back"), "{}", run.all());
    let services = running_services(host, WORKERS_PROJECT, &old());
    assert_eq!(
        services,
        workers_at(1),
        "not what ran before:\n{}",
        run.all()
    );
    let after = containers(host, WORKERS_PROJECT);
    for c in &after {
        let was = before.iter().find(|b| b.service == c.service).unwrap();
        assert_eq!(c.image_id, was.image_id, "{c:?}");
    }
    // And the next deploy without --scale keeps the scale that runs.
    deploy(&["workers", "node-b", "--tag", &old()]).success();
    assert_eq!(
        running_services(host, WORKERS_PROJECT, &old()),
        workers_at(1)
    );
}

/// Tags `from` (a lab tag) as `to` in the registry, from node-a's engine.
fn push_as(from: &str, to: &str) {
    let password = lab_secrets()
        .into_iter()
        .find(|(k, _)| k == "homelab/registry/password")
        .unwrap()
        .1;
    let image = lab_var("LAB_IMAGE");
    let script = format!(
        "set -e; export DOCKER_CONFIG=$(mktemp -d /dev/shm/e2e-push.XXXXXX); trap 'rm -rf $DOCKER_CONFIG' EXIT; \
         head -n 1 | docker login -u {} --password-stdin {} >/dev/null 2>&1; \
         docker pull -q {image}:{from} >/dev/null; docker tag {image}:{from} {image}:{to}; docker push -q {image}:{to} >/dev/null",
        lab_var("LAB_REGISTRY_USER"),
        lab_var("LAB_REGISTRY"),
    );
    let mut child = std::process::Command::new("ssh")
        .args(["-F", SSH_CONFIG, CORE, &script])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "push {from} as {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_re_pushed_tag_and_a_changed_env_value_are_picked_up() {
    let _lab = lab_lock();
    let moving = "e2e-moving";
    push_as(&old(), moving);
    let (first, db) = core_at(moving);
    // Deployed again as it is: skipped (no pull, hook or up)...
    let again = deploy(&["--json", "core", "--tag", moving]);
    again.success();
    let steps: Vec<String> = events(&again.stdout)
        .iter()
        .filter_map(|e| e["step"].as_str().map(str::to_string))
        .collect();
    assert!(steps.iter().any(|s| s == "unchanged core"), "{steps:?}");
    assert!(
        !steps
            .iter()
            .any(|s| s.starts_with("pull") || s.starts_with("hook") || s.starts_with("up")),
        "{steps:?}"
    );
    // ...but the same tag with new content is pulled and recreates the backend.
    push_as(&new(), moving);
    let (second, _) = core_at(moving);
    assert_ne!(
        second.image_id, first.image_id,
        "the re-pushed tag was not picked up"
    );
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        new()
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
    // A changed env value (the stack's env) is picked up too.
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(
        dir.path(),
        "core/stack.toml",
        &[(
            "http://core.lab.home.arpa:8000",
            "http://core.lab.home.arpa:8001",
        )],
    );
    deploy_in(Some(&inventory), &["core", "--tag", moving]).success();
    let third = container_of(CORE, CORE_PROJECT, "backend");
    assert_ne!(
        third.id, second.id,
        "a changed env value did not recreate the backend"
    );
    let value = on_node_ok(
        CORE,
        "docker exec ktrdr-core-backend-1 /bin/sh -c 'printf %s \"$KTRDR_API_URL\"'",
    );
    assert_eq!(value, "http://core.lab.home.arpa:8001");
    core_at(&old());
}

#[test]
fn the_core_stack_on_compose_v1_hook_before_up_and_rollback() {
    let _lab = lab_lock();
    // node-c has only Compose v1: `run --rm -T` for the hook, the health
    // url, and the rollback, on the core stack there.
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[(
            "host = \"workers-c.lab.home.arpa\"\ngroups = [\"workers\"]\nstacks = [\"workers\"]",
            "host = \"workers-c.lab.home.arpa\"\ngroups = [\"core-v1\"]\nstacks = [\"core\"]",
        )],
    );
    let host = host_of("node-c");
    let on_c = |args: &[&str]| deploy_in(Some(&inventory), &[&["node-c"], args].concat());
    on_c(&["--tag", &old()]).success();
    let before = container_of(host, CORE_PROJECT, "backend");
    on_c(&["--tag", &new()]).success();
    let backend = container_of(host, CORE_PROJECT, "backend");
    assert_eq!(
        (backend.tag(), backend.health.as_str()),
        (new().as_str(), "healthy")
    );
    let served = on_node_ok(host, "wget -qO- http://127.0.0.1:8000/migrations");
    assert!(
        served.lines().last().unwrap_or("").starts_with(&new()),
        "the hook did not run before up:\n{served}"
    );
    // Unhealthy: back to the image that ran before, healthy.
    on_c(&["--tag", &old()]).success();
    on_c(&["--tag", "unhealthy"]).code(1);
    let after = container_of(host, CORE_PROJECT, "backend");
    assert_eq!(
        (after.image_id.as_str(), after.health.as_str()),
        (before.image_id.as_str(), "healthy")
    );
    // node-c is a workers node: take the core stack away again.
    on_node_ok(host, &format!("ids=$(docker ps -aq --filter label=com.docker.compose.project={CORE_PROJECT}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null"));
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

#[test]
fn a_service_deploy_leaves_the_db_alone_even_when_its_definition_changed() {
    let _lab = lab_lock();
    let (_, db) = core_at(&old());
    // The compose file now defines the db differently: `deploy core backend`
    // must still not touch it (the hook's one-off container included).
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(dir.path(), "core/compose.yml", &[("      DB_PASSWORD: ${DB_PASSWORD}\n    volumes:\n      - db-data:/data", "      DB_PASSWORD: ${DB_PASSWORD}\n      DB_EXTRA: changed\n    volumes:\n      - db-data:/data")]);
    let run = deploy_in(Some(&inventory), &["core", "backend", "--tag", &new()]);
    run.success();
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").tag(), new());
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db"),
        db,
        "the db was recreated by a deploy of the backend:\n{}",
        run.all()
    );
    // A deploy of the whole stack does pick the change up.
    deploy_in(Some(&inventory), &["core", "--tag", &new()]).success();
    assert_ne!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
    core_at(&old());
}

/// Puts the lab's op vault back as it was when dropped (a test changed a value).
struct VaultGuard(String);

impl VaultGuard {
    fn set(key: &str, value: &str) -> VaultGuard {
        let path = format!("{LAB}/op/vault.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut vault: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap();
        vault.insert(key.to_string(), value.into());
        std::fs::write(&path, serde_json::to_string_pretty(&vault).unwrap()).unwrap();
        VaultGuard(text)
    }
}

impl Drop for VaultGuard {
    fn drop(&mut self) {
        std::fs::write(format!("{LAB}/op/vault.json"), &self.0).unwrap();
    }
}

#[test]
fn a_redeploy_of_what_runs_is_skipped_unless_forced_or_a_secret_changed() {
    let _lab = lab_lock();
    let (backend, db) = core_at(&old());
    deploy(&["workers", "--tag", &old()]).success();
    let workers_b = containers("workers-b.lab.home.arpa", WORKERS_PROJECT);

    // Everything again: every node and stack is skipped, nothing recreated
    // (node-c is Compose v1).
    let run = deploy(&["--json", "all", "--tag", &old()]);
    run.success();
    let evs = events(&run.stdout);
    let skipped: BTreeSet<String> = evs
        .iter()
        .filter(|e| e["status"] == "skipped")
        .map(|e| {
            format!(
                "{} {}",
                e["node"].as_str().unwrap(),
                e["step"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        skipped,
        BTreeSet::from([
            "node-a unchanged core".to_string(),
            "node-b unchanged workers".into(),
            "node-c unchanged workers".into()
        ]),
        "{}",
        run.stdout
    );
    assert!(
        !evs.iter().any(|e| e["step"]
            .as_str()
            .is_some_and(|s| s.starts_with("up") || s.starts_with("hook"))),
        "{}",
        run.stdout
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").id, backend.id);
    assert_eq!(
        containers("workers-b.lab.home.arpa", WORKERS_PROJECT),
        workers_b
    );
    let last = history(CORE).pop().unwrap();
    assert_eq!(
        (last["result"].as_str(), last["tag"].as_str()),
        (Some("ok"), Some(old().as_str())),
        "{last}"
    );
    assert!(
        last["images"]["backend"]["id"]
            .as_str()
            .is_some_and(|id| id == backend.image_id),
        "{last}"
    );

    // --force runs every step (compose still recreates nothing).
    let forced = deploy(&["--json", "core", "--tag", &old(), "--force"]);
    forced.success();
    let steps: Vec<String> = events(&forced.stdout)
        .iter()
        .filter_map(|e| e["step"].as_str().map(str::to_string))
        .collect();
    assert!(
        steps.iter().any(|s| s == "hook core backend") && steps.iter().any(|s| s == "up core"),
        "{steps:?}"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").id, backend.id);

    // A changed secret value is picked up: the backend is recreated with it.
    {
        let _vault = VaultGuard::set("homelab/ktrdr-api/key", "a-new-api-key-for-this-test");
        deploy(&["core", "--tag", &old()]).success();
        let after = container_of(CORE, CORE_PROJECT, "backend");
        assert_ne!(
            after.id, backend.id,
            "a changed secret did not recreate the backend"
        );
        let value = on_node_ok(
            CORE,
            "docker exec ktrdr-core-backend-1 /bin/sh -c 'printf %s \"$API_KEY\"'",
        );
        assert_eq!(value, "a-new-api-key-for-this-test");
    }
    // And back, with the vault as it was.
    core_at(&old());
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db").id,
        db.id,
        "the db was touched"
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

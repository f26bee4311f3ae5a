//! `homectl restart` against the lab: the same containers restarted in
//! place, a wait for health, a history record that is no new version.

use crate::common::*;

const CORE: &str = "core.lab.home.arpa";

fn started_at(id: &str) -> String {
    on_node_ok(
        CORE,
        &format!("docker inspect --format '{{{{.State.StartedAt}}}}' {id}"),
    )
    .trim()
    .to_string()
}

#[test]
fn restart_keeps_the_containers_restarts_them_and_waits_for_health() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    let backend = container_of(CORE, "ktrdr-core", "backend");
    let db = container_of(CORE, "ktrdr-core", "db");
    let (backend_started, db_started) = (started_at(&backend.id), started_at(&db.id));

    let run = Homectl::new().args(["restart", "core", "backend"]).run();
    run.success();
    assert!(
        run.stdout
            .contains("node-a: core: backend restarted, healthy"),
        "{}",
        run.all()
    );
    let after = container_of(CORE, "ktrdr-core", "backend");
    assert_eq!(after.id, backend.id, "the same container");
    assert_eq!(after.image_id, backend.image_id, "the same image");
    assert_ne!(started_at(&after.id), backend_started, "started again");
    // homectl waited: healthy as soon as it returns, not starting.
    assert_eq!(after.health, "healthy");
    // Only the service asked for.
    assert_eq!(started_at(&db.id), db_started);

    // Recorded as a restart; it is no new version: a redeploy of the same
    // tag is still unchanged.
    let last = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    let record: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(record["kind"], "restart");
    assert_eq!(record["result"], "ok");
    assert_eq!(record["services"], serde_json::json!(["backend"]));
    let run = Homectl::new().args(["deploy", "core", "--tag", &old]).run();
    run.success();
    assert!(run.all().contains("unchanged"), "{}", run.all());

    // The whole stack.
    let run = Homectl::new().args(["restart", "node-a"]).run();
    run.success();
    assert!(
        run.stdout.contains("backend, db restarted"),
        "{}",
        run.all()
    );
    assert_ne!(started_at(&db.id), db_started);
    assert_eq!(container_of(CORE, "ktrdr-core", "db").id, db.id);
}

#[test]
fn restart_needs_a_target() {
    let run = Homectl::new().args(["restart"]).run();
    run.code(2);
    assert!(
        run.stderr.contains("Usage: homectl restart <TARGET>"),
        "{}",
        run.all()
    );
}

#[test]
fn ctrl_c_during_a_restart_finishes_the_step_and_records_interrupted() {
    let _lab = lab_lock();
    Homectl::new()
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    let running = Homectl::new().args(["restart", "core"]).spawn();
    // Once the node's lock is held, the restart is under way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while on_node(CORE, "flock -n /var/lib/homectl/lock true")
        .status
        .success()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the restart never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    running.signal_group("INT");
    let run = running.wait(std::time::Duration::from_secs(120));
    run.code(130);
    assert!(
        wait_lock_free(CORE, std::time::Duration::from_secs(10)),
        "the lock is released"
    );
    let last = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    let record: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(record["kind"], "restart", "{record}");
    assert_eq!(record["result"], "interrupted", "{record}");
    // The containers run, healthy, whatever the step in flight was.
    Homectl::new()
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    assert_eq!(container_of(CORE, "ktrdr-core", "backend").state, "running");
}

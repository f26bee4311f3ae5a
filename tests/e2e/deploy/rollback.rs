//! An unhealthy tag: rolled back to the image and scale that ran before
//! (or left running with `--no-rollback`).

use super::*;

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

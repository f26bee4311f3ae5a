//! `homectl rollback`: the earlier tag back by digest, or a clear error.

use super::*;

/// Pushes `from`'s content under tag `to` in the lab registry, from node-a.
fn repush(from: &str, to: &str) {
    let image = lab_var("LAB_IMAGE");
    let out = on_node_logged_in(
        "core.lab.home.arpa",
        &format!("docker tag {from} {image}:{to}; docker push -q {image}:{to} >/dev/null"),
    );
    assert!(out.status.success(), "re-push of {to} failed");
}

fn backend_image_id() -> String {
    on_node_ok(
        "core.lab.home.arpa",
        "docker inspect --format '{{.Image}}' ktrdr-core-backend-1",
    )
    .trim()
    .to_string()
}

fn backend_version() -> String {
    on_node_ok(
        "core.lab.home.arpa",
        "wget -qO- http://127.0.0.1:8000/version",
    )
    .trim()
    .to_string()
}

#[test]
fn rollback_brings_the_first_tag_back_by_digest_even_after_a_re_push() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let image = lab_var("LAB_IMAGE");
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    let old_id = backend_image_id();
    Homectl::new()
        .args(["deploy", "core", "--tag", &new])
        .run()
        .success();
    assert_ne!(backend_image_id(), old_id);

    // The old tag now points at other content in the registry.
    repush(&format!("{image}:{new}"), &old);
    let restore = || repush(&old_id, &old);

    let run = Homectl::new().args(["rollback", "core"]).run();
    if run.code != 0 {
        restore();
    }
    run.success();
    assert_eq!(
        backend_image_id(),
        old_id,
        "rollback brought other content back"
    );
    assert_eq!(backend_version(), old);

    // Again, with the old image gone from the node: pulled by digest.
    Homectl::new()
        .args(["deploy", "core", "--tag", &new])
        .run()
        .success();
    on_node_ok(
        "core.lab.home.arpa",
        &format!("docker rmi -f {old_id} >/dev/null"),
    );
    let run = Homectl::new().args(["rollback", "core", "backend"]).run();
    restore();
    run.success();
    assert_eq!(
        backend_image_id(),
        old_id,
        "the digest pull brought other content"
    );
    assert_eq!(backend_version(), old);

    let history = Homectl::new()
        .args(["--json", "history", "node-a", "-n", "1"])
        .run()
        .json();
    assert_eq!(history[0]["kind"], "rollback");
    assert_eq!(history[0]["tag"], old.as_str());

    // --to picks a tag.
    Homectl::new()
        .args(["rollback", "core", "--to", &new])
        .run()
        .success();
    assert_eq!(backend_version(), new);
}

#[test]
fn rollback_without_an_earlier_record_is_a_clear_error() {
    let _lab = lab_lock();
    // node-c's history starts fresh in a throw-away state folder.
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[("stacks = [\"workers\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c", "stacks = [\"workers\"]\nstate_dir = \"/var/lib/homectl/fresh-test\"\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c")],
    );
    on_node_ok(
        "workers-c.lab.home.arpa",
        "rm -rf /var/lib/homectl/fresh-test",
    );
    let run = Homectl::with_inventory(&inventory)
        .args(["rollback", "workers", "node-c"])
        .run();
    on_node_ok(
        "workers-c.lab.home.arpa",
        "rm -rf /var/lib/homectl/fresh-test",
    );
    run.code(1);
    assert!(
        run.stderr.contains("node-c") && run.stderr.contains("nothing to roll back to"),
        "{}",
        run.all()
    );
}

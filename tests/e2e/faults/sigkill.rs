//! SIGKILL during the pull, the hook or the health wait: no mix.

use super::*;

/// SIGKILL at `step` of node-a's deploy of core: node-a then runs either the
/// old or the new tag in full, and the next deploy needs no unlock.
fn killed_at(step: &str, inventory: &std::path::Path, new: &str) {
    let old = lab_var("LAB_TAG_OLD");
    let new = new.to_string();
    Homectl::with_inventory(inventory)
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    let live = Live::start(inventory, &["deploy", "core", "--tag", &new]);
    live.wait_for("node-a", step);
    std::thread::sleep(Duration::from_millis(300));
    live.signal("-KILL");
    let (code, _, _) = live.finish(Duration::from_secs(30));
    assert_eq!(code, -1, "killed by a signal");
    // The step in flight runs to its end on the node; then nothing follows.
    std::thread::sleep(Duration::from_secs(8));
    let running = tags("core.lab.home.arpa");
    assert!(
        running == vec![old.clone()] || running == vec![new.clone()],
        "after a kill at {step}: {running:?}"
    );
    // No unlock needed: the lock ended with the connection.
    Homectl::with_inventory(inventory)
        .args(["deploy", "core", "--tag", &new])
        .run()
        .success();
    assert_eq!(tags("core.lab.home.arpa"), vec![new]);
}

#[test]
fn sigkill_during_the_pull_the_hook_or_the_health_wait_leaves_no_mix() {
    let _lab = lab_lock();
    // A copy of the stacks whose hook sleeps 3 s, to be killed in.
    let dir = tempfile::tempdir().unwrap();
    let stacks = dir.path().join("stacks");
    for stack in ["core", "workers"] {
        std::fs::create_dir_all(stacks.join(stack)).unwrap();
        for f in ["compose.yml", "stack.toml"] {
            std::fs::copy(
                repo().join("stacks").join(stack).join(f),
                stacks.join(stack).join(f),
            )
            .unwrap();
        }
    }
    let st = std::fs::read_to_string(stacks.join("core/stack.toml"))
        .unwrap()
        .replace(
            "[\"/app/entry\", \"migrate\"]",
            "[\"/app/entry\", \"migrate-slow\", \"3\"]",
        );
    std::fs::write(stacks.join("core/stack.toml"), st).unwrap();
    let text = std::fs::read_to_string(repo().join("inventory/lab.toml"))
        .unwrap()
        .replacen(
            "[ssh]",
            &format!("stacks_dir = {:?}\n\n[ssh]", stacks.display().to_string()),
            1,
        );
    let inventory = dir.path().join("inventory.toml");
    std::fs::write(&inventory, text).unwrap();

    remove_slow_image();
    killed_at("pull", &inventory, &lab_var("LAB_TAG_SLOW"));
    killed_at("hook", &inventory, &lab_var("LAB_TAG_NEW"));
    killed_at("health", &inventory, &lab_var("LAB_TAG_NEW"));
}

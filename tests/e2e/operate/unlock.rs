//! `homectl unlock`: names a lingering holder of a node's lock and ends it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

#[test]
fn unlock_names_a_lingering_holder_and_ends_it() {
    let _lab = lab_lock();
    // A deploy frozen mid-way (SIGSTOP) keeps its connection and lock: the
    // lingering holder of a network partition, without the partition.
    let mut child = Command::new(env!("CARGO_BIN_EXE_homectl"))
        .current_dir(repo())
        .env(
            "PATH",
            format!("{LAB}/bin:{}", std::env::var("PATH").unwrap()),
        )
        // The unhealthy tag keeps the deploy in its health wait for seconds.
        .args([
            "-i",
            "inventory/lab.toml",
            "deploy",
            "workers",
            "node-b",
            "--no-rollback",
            "--tag",
            &lab_var("LAB_TAG_UNHEALTHY"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while on_node_ok(
        "workers-b.lab.home.arpa",
        "flock -n /var/lib/homectl/lock true && echo free || echo held",
    )
    .trim()
        != "held"
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the deploy did not take the lock"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Command::new("kill")
        .args(["-STOP", &child.id().to_string()])
        .status()
        .unwrap();

    let second = Homectl::new()
        .args([
            "deploy",
            "workers",
            "node-b",
            "--tag",
            &lab_var("LAB_TAG_OLD"),
        ])
        .run();
    second.code(1);
    assert!(second.all().contains("locked by"), "{}", second.all());

    let unlock = Homectl::new().args(["unlock", "node-b"]).run();
    unlock.success();
    assert!(
        unlock.stdout.contains("was locked by") && unlock.stdout.contains("pid"),
        "{}",
        unlock.stdout
    );
    Homectl::new().args(["unlock", "node-b"]).run().success();

    let _ = child.kill();
    let _ = child.wait();
    Homectl::new()
        .args([
            "deploy",
            "workers",
            "node-b",
            "--tag",
            &lab_var("LAB_TAG_OLD"),
        ])
        .run()
        .success();
}

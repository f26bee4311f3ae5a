//! `homectl logs`: streams, and ends on Ctrl-C leaving nothing running.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

fn unsafe_sigint(pid: u32) {
    Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
}

/// Processes (host-wide: the lab's nodes share the host's pid namespace)
/// that stream compose logs.
fn remote_log_processes() -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(" logs --no-color") || c.contains("setsid sh -c"))
        .count()
}

#[test]
fn logs_streams_and_ends_on_ctrl_c_leaving_nothing_running() {
    let _lab = lab_lock();
    Homectl::new()
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    let mut child = Command::new(env!("CARGO_BIN_EXE_homectl"))
        .current_dir(repo())
        .env(
            "PATH",
            format!("{LAB}/bin:{}", std::env::var("PATH").unwrap()),
        )
        .args([
            "-i",
            "inventory/lab.toml",
            "logs",
            "node-a",
            "backend",
            "-f",
            "--tail",
            "5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a log line");
    assert!(line.contains("backend"), "{line}");
    assert!(remote_log_processes() > 0, "the stream runs on the node");
    unsafe_sigint(child.id());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "logs did not end on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(130));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        remote_log_processes(),
        0,
        "a logs process is left on the node"
    );
}

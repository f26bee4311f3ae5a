//! Faults during a deploy (the reliability issue): a cut link, sshd killed,
//! the registry stopped, the secret provider failing, no state folder,
//! SIGKILL at three moments. What must hold: the phase-1 promise (nothing
//! changed anywhere), no mix within one step, no unlock needed afterwards.
//! One kind of fault a file in faults/; this file holds a deploy watched
//! live and the lab's state before and after.

mod links;
mod secret_provider;
mod sigkill;
mod state_folder;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crate::common::*;

/// A homectl run whose `--json` events can be waited for.
struct Live {
    child: Child,
    events: Receiver<serde_json::Value>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    start: Instant,
}

impl Live {
    fn start(inventory: &std::path::Path, args: &[&str]) -> Live {
        let mut child = Command::new(env!("CARGO_BIN_EXE_homectl"))
            .current_dir(repo())
            .env(
                "PATH",
                format!("{LAB}/bin:{}", std::env::var("PATH").unwrap()),
            )
            .arg("-i")
            .arg(inventory)
            .arg("--json")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, events) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        Live {
            child,
            events,
            stderr,
            start: Instant::now(),
        }
    }

    /// Waits for a `started` event of `node` whose step starts with `step`.
    fn wait_for(&self, node: &str, step: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let e = self.events.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no `{step}` event on {node}; stderr: {}",
                    self.stderr.lock().unwrap()
                )
            });
            if e["node"] == node
                && e["status"] == "started"
                && e["step"].as_str().unwrap_or("").starts_with(step)
            {
                return;
            }
        }
    }

    fn signal(&self, sig: &str) {
        Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
    }

    /// Exit code, stderr and how long it ran.
    fn finish(mut self, limit: Duration) -> (i32, String, Duration) {
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                let err = self.stderr.lock().unwrap().clone();
                return (status.code().unwrap_or(-1), err, self.start.elapsed());
            }
            if self.start.elapsed() > limit {
                let _ = self.child.kill();
                panic!("homectl did not end within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn lab_inventory() -> std::path::PathBuf {
    repo().join("inventory/lab.toml")
}

/// Container id and image of every ktrdr container of a node.
fn containers(host: &str) -> BTreeMap<String, String> {
    on_node_ok(host, "docker ps -a --filter label=com.docker.compose.project --format '{{.Names}} {{.ID}} {{.Image}} {{.State}}'")
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(n, rest)| (n.to_string(), rest.to_string())))
        .collect()
}

fn all_containers() -> Vec<BTreeMap<String, String>> {
    NODES.iter().map(|(_, h)| containers(h)).collect()
}

/// The image tags that a node's app containers run.
fn tags(host: &str) -> Vec<String> {
    on_node_ok(
        host,
        "docker ps --filter label=com.docker.compose.project --format '{{.Image}}'",
    )
    .lines()
    .filter(|l| !l.ends_with(":lab-db"))
    .map(|l| l.rsplit(':').next().unwrap().to_string())
    .collect()
}

fn converge(tag: &str) {
    Homectl::new()
        .args(["deploy", "all", "--tag", tag, "--scale", "1"])
        .run()
        .success();
}

fn repair_lab() {
    let out = Command::new(repo().join("scripts/lab"))
        .arg("up")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lab up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn remove_slow_image() {
    let image = format!("{}:{}", lab_var("LAB_IMAGE"), lab_var("LAB_TAG_SLOW"));
    for (_, host) in NODES {
        on_node(
            host,
            &format!("docker rmi -f {image} >/dev/null 2>&1 || true"),
        );
    }
}

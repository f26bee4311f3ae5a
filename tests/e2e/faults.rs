//! Faults during a deploy (the reliability issue): a cut link, sshd killed,
//! the registry stopped, the secret provider failing, no state folder,
//! SIGKILL at three moments. What must hold: the phase-1 promise (nothing
//! changed anywhere), no mix within one step, no unlock needed afterwards.

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

/// Every process under `root` (itself included), from /proc's parent links.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            if let Some(ppid) = after
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
            {
                parent.insert(pid, ppid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Puts a link back up even if the test fails half-way.
struct LinkGuard(&'static str);
impl Drop for LinkGuard {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "set", self.0, "up"])
            .status();
    }
}

#[test]
fn a_cut_link_during_apply_fails_that_node_only_and_a_rerun_converges() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    converge(&old);
    let live = Live::start(&lab_inventory(), &["deploy", "all", "--tag", &new]);
    live.wait_for("node-b", "up");
    let guard = LinkGuard("hlv-node-b");
    assert!(Command::new("ip")
        .args(["link", "set", "hlv-node-b", "down"])
        .status()
        .unwrap()
        .success());
    let (code, stderr, took) = live.finish(Duration::from_secs(90));
    drop(guard);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("node-b"), "{stderr}");
    assert!(
        stderr.contains("node-b (up")
            || stderr.contains("node-b (health")
            || stderr.contains("node-b (record"),
        "the step is named: {stderr}"
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(
        tags("core.lab.home.arpa").iter().all(|t| *t == new),
        "node-a finished"
    );
    assert!(
        tags("workers-c.lab.home.arpa").iter().all(|t| *t == new),
        "node-c finished"
    );

    // Link back: the lock ended with the dead connection (or unlock ends it), and a rerun converges.
    std::thread::sleep(Duration::from_secs(2));
    let _ = Homectl::new().args(["unlock", "node-b"]).run();
    converge(&new);
    assert!(tags("workers-b.lab.home.arpa").iter().all(|t| *t == new));
}

#[test]
fn sshd_killed_during_prepare_changes_nothing_anywhere() {
    let _lab = lab_lock();
    converge(&lab_var("LAB_TAG_OLD"));
    remove_slow_image();
    let before = all_containers();
    let listener: u32 = std::fs::read_to_string(format!("{LAB}/nodes/node-c/run/sshd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let live = Live::start(
        &lab_inventory(),
        &["deploy", "all", "--tag", &lab_var("LAB_TAG_SLOW")],
    );
    live.wait_for("node-c", "pull");
    // The listener and every session process of node-c's sshd.
    for pid in descendants(listener)
        .into_iter()
        .filter(|p| comm(*p) == "sshd")
    {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let (code, stderr, _) = live.finish(Duration::from_secs(120));
    repair_lab();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nothing changed"), "{stderr}");
    std::thread::sleep(Duration::from_secs(3)); // node-c's pull, cut off from us, finishes on its own
    assert_eq!(
        all_containers(),
        before,
        "a node changed although prepare failed"
    );
    for (_, host) in &NODES[..2] {
        assert_eq!(
            on_node_ok(
                host,
                "ls /var/lib/homectl/stacks/*/compose.yml.next 2>/dev/null || true"
            )
            .trim(),
            "",
            "{host} kept a staged file"
        );
    }
    converge(&lab_var("LAB_TAG_OLD"));
}

#[test]
fn the_registry_stopped_during_a_pull_fails_prepare_and_changes_nothing() {
    let _lab = lab_lock();
    converge(&lab_var("LAB_TAG_OLD"));
    remove_slow_image();
    let before = all_containers();
    let live = Live::start(
        &lab_inventory(),
        &["deploy", "all", "--tag", &lab_var("LAB_TAG_SLOW")],
    );
    live.wait_for("node-b", "pull");
    std::thread::sleep(Duration::from_millis(300));
    let pid = std::fs::read_to_string(format!("{LAB}/registry/registry.pid"))
        .unwrap()
        .trim()
        .to_string();
    assert!(Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap()
        .success());
    let (code, stderr, _) = live.finish(Duration::from_secs(120));
    repair_lab();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("prepare failed") && stderr.contains("nothing changed"),
        "{stderr}"
    );
    assert_eq!(all_containers(), before);
    converge(&lab_var("LAB_TAG_OLD"));
}

/// "Accepted publickey" lines in the nodes' sshd logs: connections made.
fn connections() -> usize {
    ["node-a", "node-b", "node-c"]
        .iter()
        .map(|n| {
            std::fs::read_to_string(format!("{LAB}/nodes/{n}/sshd.log"))
                .unwrap_or_default()
                .matches("Accepted publickey")
                .count()
        })
        .sum()
}

#[test]
fn a_failing_secret_provider_stops_before_any_node_is_touched() {
    let _lab = lab_lock();
    let before = connections();
    let run = Homectl::new()
        .env("OP_LAB_SIGNED_OUT", "1")
        .args(["deploy", "all", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.code(1);
    assert!(
        run.stderr.contains("not signed in") && run.stderr.contains("no node was touched"),
        "{}",
        run.all()
    );
    assert_eq!(connections(), before, "a node was contacted");

    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[(
            "op://homelab/registry/password",
            "op://homelab/registry/nope",
        )],
    );
    let run = Homectl::with_inventory(&inventory)
        .args(["deploy", "all", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.code(1);
    assert!(
        run.stderr.contains("op://homelab/registry/nope"),
        "{}",
        run.all()
    );
    assert_eq!(connections(), before, "a node was contacted");
    for secret in secret_values() {
        assert!(!run.all().contains(&secret));
    }
}

/// Remounts folders of node-c's mount namespace read-only, and back.
struct ReadOnly(Vec<&'static str>);
impl ReadOnly {
    fn mount(paths: Vec<&'static str>, mode: &str) {
        let pid = std::fs::read_to_string(format!("{LAB}/nodes/node-c/run/sshd.pid"))
            .unwrap()
            .trim()
            .to_string();
        for p in paths {
            let ok = Command::new("nsenter")
                .args([
                    &format!("--mount=/proc/{pid}/ns/mnt"),
                    "mount",
                    "-o",
                    &format!("remount,bind,{mode}"),
                    p,
                ])
                .status()
                .unwrap();
            assert!(ok.success(), "remount {p} {mode}");
        }
    }
}
impl Drop for ReadOnly {
    fn drop(&mut self) {
        ReadOnly::mount(self.0.clone(), "rw");
    }
}

#[test]
fn no_writable_state_folder_is_a_clear_error_naming_the_folders() {
    let _lab = lab_lock();
    converge(&lab_var("LAB_TAG_OLD"));
    let before = containers("workers-c.lab.home.arpa");
    ReadOnly::mount(vec!["/var/lib/homectl", "/root"], "ro");
    let guard = ReadOnly(vec!["/var/lib/homectl", "/root"]);
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(dir.path(), &[("stacks = [\"workers\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c", "stacks = [\"workers\"]\nstate_dir = \"/proc/homectl-state\"\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c")]);
    let run = Homectl::with_inventory(&inventory)
        .args([
            "deploy",
            "workers",
            "node-c",
            "--tag",
            &lab_var("LAB_TAG_NEW"),
        ])
        .run();
    drop(guard);
    run.code(1);
    for needle in [
        "node-c",
        "/proc/homectl-state",
        "/var/lib/homectl",
        ".local/state/homectl",
    ] {
        assert!(
            run.stderr.contains(needle),
            "`{needle}` not named: {}",
            run.stderr
        );
    }
    assert_eq!(containers("workers-c.lab.home.arpa"), before);
}

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

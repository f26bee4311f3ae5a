//! status, history, logs, down and unlock against the lab, on Compose v2
//! (node-a, node-b) and v1 (node-c) nodes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn rows(status: &serde_json::Value, node: &str) -> Vec<serde_json::Value> {
    status["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["node"] == node)
        .cloned()
        .collect()
}

/// Image digests the node itself reports for a container's image.
fn node_digests(host: &str, container_filter: &str) -> String {
    on_node_ok(host, &format!("for c in $(docker ps -q --filter {container_filter}); do docker image inspect --format '{{{{range .RepoDigests}}}}{{{{.}}}} {{{{end}}}}' $(docker inspect --format '{{{{.Image}}}}' $c); done"))
}

#[test]
fn status_shows_tags_and_digests_of_every_node() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    Homectl::new()
        .args(["deploy", "workers", "--tag", &new, "--scale", "1"])
        .run()
        .success();

    let run = Homectl::new().args(["--json", "status"]).run();
    run.success();
    let status = run.json();
    let core = rows(&status, "node-a");
    let backend = core
        .iter()
        .find(|r| r["service"] == "backend")
        .expect("backend row");
    assert_eq!(backend["tag"], old.as_str());
    assert_eq!(backend["state"], "running");
    assert_eq!(backend["health"], "healthy");
    let digest = backend["digest"].as_str().unwrap();
    assert!(digest.starts_with("sha256:"), "{backend}");
    assert!(
        node_digests(
            "core.lab.home.arpa",
            "label=com.docker.compose.service=backend"
        )
        .contains(digest),
        "the digest is the node's own"
    );
    for (node, host) in [
        ("node-b", "workers-b.lab.home.arpa"),
        ("node-c", "workers-c.lab.home.arpa"),
    ] {
        let workers = rows(&status, node);
        let names: Vec<&str> = workers
            .iter()
            .map(|r| r["service"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["backtest-worker-1", "training-worker-1"],
            "{node}: {status}"
        );
        for r in &workers {
            assert_eq!(r["tag"], new.as_str());
            assert_eq!(r["scale"], 1);
            let d = r["digest"].as_str().unwrap();
            assert!(
                node_digests(host, "label=com.docker.compose.project=ktrdr-workers").contains(d),
                "{node}: {d}"
            );
        }
    }
    // The table has the same facts.
    let table = Homectl::new().args(["status", "workers"]).run();
    table.success();
    assert!(
        table.stdout.contains(&new[..12]) && table.stdout.contains("node-c"),
        "{}",
        table.stdout
    );
}

#[test]
fn history_lists_records_newest_first_without_secrets() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    Homectl::new()
        .args(["deploy", "core", "--tag", &new])
        .run()
        .success();
    let run = Homectl::new()
        .args(["--json", "history", "core", "-n", "2"])
        .run();
    run.success();
    let records = run.json();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["tag"], new.as_str());
    assert_eq!(records[1]["tag"], old.as_str());
    assert!(records[0]["time"].as_str() >= records[1]["time"].as_str());
    assert!(!records[0]["images"]["backend"]["digests"]
        .as_array()
        .unwrap()
        .is_empty());
    let everything = Homectl::new()
        .args(["--json", "history", "-n", "500"])
        .run();
    for secret in secret_values() {
        assert!(
            !everything.all().contains(&secret),
            "a secret value is in the history"
        );
    }
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

#[test]
fn down_removes_exactly_what_was_selected() {
    let _lab = lab_lock();
    let tag = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "workers", "--tag", &tag, "--scale", "1"])
        .run()
        .success();
    // Without a terminal, down needs --yes.
    Homectl::new()
        .args(["down", "workers", "node-c"])
        .run()
        .code(2);

    // One service on the Compose v1 node.
    Homectl::new()
        .args(["down", "workers", "node-c", "training-worker-1", "--yes"])
        .run()
        .success();
    let c = on_node_ok("workers-c.lab.home.arpa", "docker ps -a --format '{{.Label \"com.docker.compose.service\"}}' --filter label=com.docker.compose.project=ktrdr-workers");
    assert_eq!(c.trim(), "backtest-worker-1");
    // A whole stack on a Compose v2 node; node-c keeps its worker.
    Homectl::new()
        .args(["down", "workers", "node-b", "--yes"])
        .run()
        .success();
    let b = on_node_ok(
        "workers-b.lab.home.arpa",
        "docker ps -aq --filter label=com.docker.compose.project=ktrdr-workers",
    );
    assert_eq!(b.trim(), "");
    let c = on_node_ok(
        "workers-c.lab.home.arpa",
        "docker ps -q --filter label=com.docker.compose.project=ktrdr-workers",
    );
    assert_eq!(c.trim().lines().count(), 1);
    let history = Homectl::new()
        .args(["--json", "history", "node-b", "-n", "1"])
        .run()
        .json();
    assert_eq!(history[0]["kind"], "down");
    // Back to the usual state for the next tests.
    Homectl::new()
        .args(["deploy", "workers", "--tag", &tag, "--scale", "1"])
        .run()
        .success();
}

#[test]
fn status_shows_a_node_that_is_down_as_unreachable() {
    let _lab = lab_lock();
    let pid = std::fs::read_to_string(format!("{LAB}/nodes/node-c/run/sshd.pid"))
        .unwrap()
        .trim()
        .to_string();
    assert!(Command::new("kill").arg(&pid).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    let run = Homectl::new().args(["--json", "status"]).run();
    let repaired = Command::new(repo().join("scripts/lab"))
        .arg("up")
        .output()
        .unwrap();
    assert!(repaired.status.success(), "lab up did not repair node-c");
    run.code(1);
    let status = run.json();
    assert_eq!(status["unreachable"][0]["node"], "node-c", "{status}");
    assert!(!rows(&status, "node-a").is_empty());
    assert!(!rows(&status, "node-b").is_empty());
}

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

/// Every secret value of the lab's op vault.
pub fn secret_values() -> Vec<String> {
    let vault: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{LAB}/op/vault.json")).unwrap())
            .unwrap();
    vault
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|v| v.len() >= 6)
        .collect()
}

#[test]
fn state_folders_and_files_are_private_and_hold_no_secret() {
    let _lab = lab_lock();
    Homectl::new()
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    let listing = on_node_ok(
        "core.lab.home.arpa",
        "find /var/lib/homectl -printf '%m %y %p\\n'",
    );
    for line in listing.lines() {
        let (mode, rest) = line.split_once(' ').unwrap();
        if rest.contains("/var/lib/homectl/stacks") {
            // The stacks' folders are not secret (a file holding a secret is
            // refused) and readable for containers running as another user,
            // behind the private state folder; never writable by others.
            let bits = u32::from_str_radix(mode, 8).unwrap();
            assert_eq!(bits & 0o022, 0, "{line}");
            continue;
        }
        let expected = if rest.starts_with("d ") { "700" } else { "600" };
        assert_eq!(mode, expected, "{line}");
    }
    let contents = on_node_ok(
        "core.lab.home.arpa",
        "find /var/lib/homectl -type f -exec cat {} +",
    );
    for secret in secret_values() {
        assert!(
            !contents.contains(&secret),
            "a secret value is in the node's state folder"
        );
    }
}

/// Pushes `from`'s content under tag `to` in the lab registry, from node-a.
fn repush(from: &str, to: &str) {
    let image = lab_var("LAB_IMAGE");
    let password = std::fs::read_to_string(format!("{LAB}/registry/password")).unwrap();
    let script = format!(
        "set -e; D=$(mktemp -d); trap 'rm -rf $D' EXIT; IFS= read -r pw; printf %s \"$pw\" | DOCKER_CONFIG=$D docker login -u lab-ci --password-stdin {reg} >/dev/null; \
         docker tag {from} {image}:{to}; DOCKER_CONFIG=$D docker push -q {image}:{to} >/dev/null",
        reg = lab_var("LAB_REGISTRY")
    );
    let mut child = Command::new("ssh")
        .args(["-F", SSH_CONFIG, "core.lab.home.arpa", &script])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "re-push of {to} failed");
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

/// Compose projects started by hand on a node (not by homectl): removed
/// with their networks when dropped, also when the test fails.
struct HandProjects {
    host: &'static str,
    projects: Vec<&'static str>,
}

impl HandProjects {
    /// Starts each project (one `web` service that sleeps, from an image the
    /// node already has) with the node's `docker compose`.
    fn start(host: &'static str, projects: &[&'static str]) -> HandProjects {
        let guard = HandProjects {
            host,
            projects: projects.to_vec(),
        };
        for project in projects {
            on_node_ok(
                host,
                &format!(
                    "set -e; d=$(mktemp -d); trap 'rm -rf $d' EXIT; \
                     img=$(docker images --format '{{{{.Repository}}}}:{{{{.Tag}}}}' | grep ktrdr-backend | head -n 1); \
                     printf 'services:\\n  web:\\n    image: %s\\n    init: true\\n    command: [\"sleep\", \"600\"]\\n' \"$img\" > $d/compose.yml; \
                     docker compose -p {project} -f $d/compose.yml up -d >/dev/null 2>&1"
                ),
            );
        }
        guard
    }

    fn ids(&self, project: &str) -> String {
        on_node_ok(
            self.host,
            &format!("docker ps -q --no-trunc --filter label=com.docker.compose.project={project}"),
        )
        .trim()
        .to_string()
    }
}

impl Drop for HandProjects {
    fn drop(&mut self) {
        for project in &self.projects {
            on_node(
                self.host,
                &format!(
                    "docker ps -aq --filter label=com.docker.compose.project={project} | xargs -r docker rm -f >/dev/null; \
                     docker network ls -q --filter label=com.docker.compose.project={project} | xargs -r docker network rm >/dev/null"
                ),
            );
        }
    }
}

fn strays_of(status: &serde_json::Value, node: &str) -> Vec<serde_json::Value> {
    status["strays"]
        .as_array()
        .unwrap_or_else(|| panic!("no strays in {status}"))
        .iter()
        .filter(|s| s["node"] == node)
        .cloned()
        .collect()
}

#[test]
fn a_project_started_by_hand_is_a_stray_that_is_not_homectls() {
    let _lab = lab_lock();
    // `ktrdr-handmade` has the inventory's name pattern, but node-b's
    // history has no stack `handmade`: not homectl's either.
    let hand = HandProjects::start("workers-b.lab.home.arpa", &["handmade", "ktrdr-handmade"]);
    let before = hand.ids("handmade");
    assert!(!before.is_empty(), "the hand-made project runs");

    let run = Homectl::new().args(["--json", "status", "node-b"]).run();
    run.success();
    let status = run.json();
    let strays = strays_of(&status, "node-b");
    for project in ["handmade", "ktrdr-handmade"] {
        let s = strays
            .iter()
            .find(|s| s["project"] == project)
            .unwrap_or_else(|| panic!("{project} is not a stray: {status}"));
        assert_eq!(s["homectl"], false, "{s}");
        assert!(s["stack"].is_null(), "{s}");
        assert_eq!(s["services"], serde_json::json!(["web"]), "{s}");
        assert_eq!(s["containers"], 1, "{s}");
    }
    // The node's own stack is not a stray, and its rows are still there.
    assert!(
        !strays.iter().any(|s| s["project"] == "ktrdr-workers"),
        "{status}"
    );
    assert!(!rows(&status, "node-b").is_empty(), "{status}");
    let table = Homectl::new().args(["status", "node-b"]).run();
    table.success();
    assert!(
        table.stdout.contains("strays") && table.stdout.contains("not homectl's"),
        "{}",
        table.stdout
    );
    assert_eq!(hand.ids("handmade"), before, "status touched it");

    // down refuses a project homectl did not deploy, and touches nothing.
    let handmade = hand.ids("ktrdr-handmade");
    let run = Homectl::new()
        .args(["down", "node-b", "stack:handmade", "--yes"])
        .run();
    run.code(2);
    assert!(run.stderr.contains("not homectl's"), "{}", run.all());
    let run = Homectl::new()
        .args(["down", "node-b", "stack:nothing-here", "--yes"])
        .run();
    run.code(2);
    assert!(
        run.stderr.contains("no stack `nothing-here`"),
        "{}",
        run.all()
    );
    assert_eq!(hand.ids("ktrdr-handmade"), handmade, "down touched it");
    assert_eq!(hand.ids("handmade"), before, "down touched it");
}

/// Deploys workers on node-c with the lab inventory when dropped: the lab
/// as the tests expect it, also when a test fails.
struct WorkersBackOnNodeC(String);

impl Drop for WorkersBackOnNodeC {
    fn drop(&mut self) {
        let run = Homectl::new()
            .args([
                "deploy", "workers", "node-c", "--tag", &self.0, "--scale", "1",
            ])
            .run();
        if run.code != 0 {
            eprintln!("could not put workers back on node-c:\n{}", run.all());
        }
    }
}

#[test]
fn a_stack_moved_off_a_node_is_a_homectl_stray_there_until_down_removes_it() {
    let _lab = lab_lock();
    let tag = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "workers", "--tag", &tag, "--scale", "1"])
        .run()
        .success();
    let _back = WorkersBackOnNodeC(tag.clone());
    let node_b_before = containers("workers-b.lab.home.arpa", "ktrdr-workers");
    // The inventory now gives node-c the core stack instead of workers.
    let dir = tempfile::tempdir().unwrap();
    let moved = inventory_variant(
        dir.path(),
        &[(
            "stacks = [\"workers\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c",
            "stacks = [\"core\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c",
        )],
    );

    let run = Homectl::with_inventory(&moved)
        .args(["--json", "status", "node-c"])
        .run();
    run.success();
    let status = run.json();
    let strays = strays_of(&status, "node-c");
    let workers = strays
        .iter()
        .find(|s| s["project"] == "ktrdr-workers")
        .unwrap_or_else(|| panic!("workers is no stray on node-c: {status}"));
    assert_eq!(workers["homectl"], true, "{workers}");
    assert_eq!(workers["stack"], "workers", "{workers}");
    assert_eq!(
        workers["services"],
        serde_json::json!(["backtest-worker-1", "training-worker-1"]),
        "{workers}"
    );
    assert_eq!(workers["containers"], 2, "{workers}");
    assert_eq!(
        rows(&status, "node-c")[0]["state"],
        "not deployed",
        "{status}"
    );
    let table = Homectl::with_inventory(&moved)
        .args(["status", "node-c"])
        .run();
    assert!(
        table
            .stdout
            .contains("homectl down node-c stack:workers --yes"),
        "{}",
        table.stdout
    );

    // Off a terminal, --yes is required, before any node is touched.
    Homectl::with_inventory(&moved)
        .args(["down", "node-c", "stack:workers"])
        .run()
        .code(2);
    assert_eq!(
        containers("workers-c.lab.home.arpa", "ktrdr-workers").len(),
        2
    );
    // The normal selection still refuses what is not there.
    Homectl::with_inventory(&moved)
        .args(["down", "node-c", "workers", "--yes"])
        .run()
        .code(2);

    let run = Homectl::with_inventory(&moved)
        .args(["down", "node-c", "stack:workers", "--yes"])
        .run();
    run.success();
    assert!(run.stdout.contains("stack workers down"), "{}", run.all());
    assert!(
        containers("workers-c.lab.home.arpa", "ktrdr-workers").is_empty(),
        "the stray is still there"
    );
    assert_eq!(
        containers("workers-b.lab.home.arpa", "ktrdr-workers"),
        node_b_before,
        "node-b's workers were touched"
    );
    let history = Homectl::new()
        .args(["--json", "history", "node-c", "-n", "1"])
        .run()
        .json();
    assert_eq!(history[0]["kind"], "down");
    assert_eq!(history[0]["stack"], "workers");
    let after = Homectl::with_inventory(&moved)
        .args(["--json", "status", "node-c"])
        .run()
        .json();
    assert!(strays_of(&after, "node-c").is_empty(), "{after}");
}

//! `homectl exec` and `run` against the lab: a command in a service's
//! running container, and in a one-off container of it (docs/operations.md,
//! "A command in a container").

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

const CORE: &str = "core.lab.home.arpa";

fn deploy_core(tag: &str) {
    Homectl::new()
        .args(["deploy", "core", "--tag", tag])
        .run()
        .success();
}

/// The one-off containers `run` left on node-a (there must be none).
fn one_offs() -> Vec<String> {
    // By name only: a container removed while it is listed is not an error.
    on_node_ok(
        CORE,
        "docker ps -a --filter label=com.docker.compose.project=ktrdr-core --format '{{.Names}}'",
    )
    .lines()
    .filter(|n| n.contains("-run-"))
    .map(str::to_string)
    .collect()
}

#[test]
fn exec_prints_a_file_of_the_running_image_and_passes_exit_codes_through() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    deploy_core(&old);
    // The lab's images carry their tag in /app/version (scripts/lab.d/images.sh).
    let run = Homectl::new()
        .args(["exec", "node-a", "backend", "--", "cat", "/app/version"])
        .run();
    run.success();
    assert_eq!(run.stdout.trim(), old);
    let run = Homectl::new()
        .args([
            "exec",
            "node-a",
            "stack:core",
            "backend",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ])
        .run();
    run.code(7);
    assert_eq!(run.stdout, "out\n");
    assert!(run.stderr.contains("err\n"), "{}", run.all());
    // An argument is data, not shell code.
    let run = Homectl::new()
        .args(["exec", "node-a", "backend", "--", "echo", "$(id) 'a b' ;"])
        .run();
    run.success();
    assert_eq!(run.stdout, "$(id) 'a b' ;\n");
    // No such replica: homectl's own runtime error; no such service: usage.
    Homectl::new()
        .args(["exec", "node-a", "backend", "--replica", "2", "--", "true"])
        .run()
        .code(1);
    let run = Homectl::new()
        .args(["exec", "node-a", "nope", "--", "true"])
        .run();
    run.code(2);
    assert!(
        run.stderr.contains("services: backend, db"),
        "{}",
        run.all()
    );
    // A secret value printed by the command is masked.
    let run = Homectl::new()
        .args([
            "exec",
            "node-a",
            "backend",
            "--",
            "sh",
            "-c",
            "echo \"pw=$DB_PASSWORD\"",
        ])
        .run();
    run.success();
    assert_eq!(run.stdout, "pw=***\n");
}

#[test]
fn exec_it_opens_a_shell_under_a_pty() {
    let _lab = lab_lock();
    deploy_core(&lab_var("LAB_TAG_OLD"));
    let line = Homectl::new()
        .args(["exec", "node-a", "backend", "-it", "--", "sh"])
        .command_line()
        .iter()
        .map(|a| homectl_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    // `script` gives homectl a pseudo-terminal, as a person's terminal would.
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(repo())
        .env(
            "PATH",
            format!("{LAB}/bin:{}", std::env::var("PATH").unwrap_or_default()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    stdin
        .write_all(b"tty; echo \"hi-$((6*7))\"; exit 3\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("/dev/pts/"),
        "a terminal in the container:\n{text}"
    );
    assert!(text.contains("hi-42"), "{text}");
}

fn homectl_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[test]
fn run_shows_the_secrets_masked_and_the_nodes_env_and_leaves_no_container() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    deploy_core(&old);
    let before = container_of(CORE, "ktrdr-core", "backend");
    let run = Homectl::new()
        .args(["run", "node-a", "backend", "--", "env"])
        .run();
    run.success();
    for line in [
        "DB_PASSWORD=***",
        "API_KEY=***",
        "HOMECTL_NODE=node-a",
        "KTRDR_API_URL=http://core.lab.home.arpa:8000",
    ] {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "{line}:\n{}",
            run.all()
        );
    }
    assert!(run.stdout.contains("TLS_KEY=***"), "{}", run.all());
    assert_eq!(find_secret(run.all().as_bytes(), &secret_needles()), None);
    // The deployed image: the one-off runs the tag that runs.
    let run = Homectl::new()
        .args(["run", "node-a", "backend", "--", "cat", "/app/version"])
        .run();
    run.success();
    assert_eq!(run.stdout.trim(), old);
    // The exit code is the command's; nothing that runs was touched.
    Homectl::new()
        .args(["run", "node-a", "backend", "--", "sh", "-c", "exit 5"])
        .run()
        .code(5);
    assert_eq!(container_of(CORE, "ktrdr-core", "backend").id, before.id);
    assert_eq!(one_offs(), Vec::<String>::new());
}

#[test]
fn run_raw_passes_a_megabyte_of_binary_byte_exact() {
    let _lab = lab_lock();
    deploy_core(&lab_var("LAB_TAG_OLD"));
    // The container writes 1 MiB of random bytes and their checksum (on stderr).
    let (code, stdout, stderr) = Homectl::new()
        .args([
            "run",
            "node-a",
            "backend",
            "--raw",
            "--",
            "sh",
            "-c",
            "head -c 1048576 /dev/urandom > /tmp/blob && sha256sum /tmp/blob >&2 && cat /tmp/blob",
        ])
        .run_bytes();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.len(), 1 << 20, "{stderr}");
    assert!(stderr.contains("NOT masked"), "--raw says so: {stderr}");
    let local = {
        let mut child = Command::new("sha256sum")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&stdout).unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    let sum = local.split_whitespace().next().unwrap();
    assert!(
        stderr.contains(&format!("{sum}  /tmp/blob")),
        "checksums differ: {sum} vs {stderr}"
    );
    assert_eq!(one_offs(), Vec::<String>::new());
}

#[test]
fn ctrl_c_during_run_ends_the_one_off_container() {
    let _lab = lab_lock();
    deploy_core(&lab_var("LAB_TAG_OLD"));
    let mut running = Homectl::new()
        .args([
            "run",
            "node-a",
            "backend",
            "--",
            "sh",
            "-c",
            "echo started; sleep 120",
        ])
        .spawn();
    assert!(
        running.wait_for("started", Duration::from_secs(30)),
        "{}",
        running.output_so_far()
    );
    assert_eq!(one_offs().len(), 1, "the one-off runs");
    running.signal_group("INT");
    let run = running.wait(Duration::from_secs(30));
    run.code(130);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !one_offs().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(one_offs(), Vec::<String>::new(), "nothing keeps running");
}

#[test]
fn run_and_exec_work_on_compose_v1_too() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "workers", "node-c", "--tag", &old, "--scale", "1"])
        .run()
        .success();
    let run = Homectl::new()
        .args([
            "run",
            "node-c",
            "backtest-worker-1",
            "--",
            "sh",
            "-c",
            "cat /app/version; echo \"key=$KTRDR_API_KEY node=$HOMECTL_NODE\"; exit 4",
        ])
        .run();
    run.code(4);
    assert!(
        run.stdout
            .starts_with(&format!("{old}\nkey=*** node=node-c\n")),
        "{}",
        run.all()
    );
    let run = Homectl::new()
        .args([
            "exec",
            "node-c",
            "training-worker-1",
            "--",
            "cat",
            "/app/version",
        ])
        .run();
    run.success();
    assert_eq!(run.stdout.trim(), old);
    let left = on_node_ok(
        "workers-c.lab.home.arpa",
        "docker ps -a --filter label=com.docker.compose.oneoff=True --format '{{.Names}}'",
    );
    assert_eq!(left.trim(), "", "the one-off container is removed");
}

//! Secrets during real deploys (docs/security.md): never
//! in any process's argv, never in a file on a node outside Docker's own
//! data, never in homectl's output; registry credentials gone after the
//! pull; the values arrive byte-exact in the containers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::*;

const CORE: &str = "core.lab.home.arpa";

/// Samples every process's argv (/proc/*/cmdline: the lab's namespaces
/// share the host's /proc) every few milliseconds.
pub(crate) struct ArgvWatcher {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Sampled>,
}

#[derive(Default)]
pub(crate) struct Sampled {
    pub(crate) sweeps: u64,
    /// argv seen with a secret in it, the secret replaced by ***.
    pub(crate) leaks: Vec<String>,
    /// Every distinct compose (and `docker pull`) command line seen (to show
    /// the watcher saw the deploys).
    pub(crate) compose: std::collections::BTreeSet<String>,
}

impl ArgvWatcher {
    pub(crate) fn start() -> ArgvWatcher {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let mut needles = secret_needles();
        needles.push(registry_auth());
        needles.push(registry_header_auth());
        let handle = std::thread::spawn(move || {
            let mut sampled = Sampled::default();
            let me = std::process::id().to_string();
            while !flag.load(Ordering::SeqCst) {
                let Ok(dir) = std::fs::read_dir("/proc") else {
                    break;
                };
                for entry in dir.flatten() {
                    let name = entry.file_name();
                    let Some(pid) = name.to_str() else { continue };
                    if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
                        continue;
                    }
                    let Ok(argv) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    if argv.is_empty() {
                        continue;
                    }
                    if find_secret(&argv, &needles).is_some() {
                        let mut shown = String::from_utf8_lossy(&argv).replace('\0', " ");
                        for n in &needles {
                            shown = shown.replace(n.as_str(), "***");
                        }
                        sampled.leaks.push(format!("pid {pid}: {shown}"));
                    }
                    let text = String::from_utf8_lossy(&argv).replace('\0', " ");
                    if (text.contains("docker-compose")
                        || text.contains("compose ")
                        || text.starts_with("docker pull ")
                        || text.starts_with("docker stack "))
                        && sampled.compose.len() < 500
                    {
                        sampled.compose.insert(text.chars().take(200).collect());
                    }
                }
                sampled.sweeps += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            sampled
        });
        ArgvWatcher { stop, handle }
    }

    pub(crate) fn finish(self) -> Sampled {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("the watcher thread")
    }
}

/// Every regular file under `dir`, except the Docker engine's own data.
pub(crate) fn node_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            // docker: --data-root, exec: --exec-root (containerd's state):
            // the Docker engine's own data, where the contract allows secrets
            // (a container's environment is in its config).
            let name = entry.file_name();
            if dir.parent().is_some_and(|p| p.ends_with("nodes"))
                && (name == "docker" || name == "exec")
            {
                continue;
            }
            node_files(&path, out);
        } else if meta.is_file() {
            out.push(path);
        }
    }
}

/// The lab's registry user name and password, from the vault.
fn registry_credential() -> (String, String) {
    let secrets = lab_secrets();
    let value = |key: &str| {
        secrets
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    (
        value("homelab/registry/username").unwrap_or_else(|| "lab-ci".into()),
        value("homelab/registry/password").expect("the registry password in the vault"),
    )
}

/// The registry credential as docker login stores it (base64 of user:password).
pub(crate) fn registry_auth() -> String {
    let (user, password) = registry_credential();
    base64(format!("{user}:{password}").as_bytes())
}

/// The registry credential as `plan` hands it to a node's engine (the
/// X-Registry-Auth header: base64url of the auth JSON).
pub(crate) fn registry_header_auth() -> String {
    let (user, password) = registry_credential();
    let json_text = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
    let json = format!(
        r#"{{"username":"{}","password":"{}","serveraddress":"{}"}}"#,
        json_text(&user),
        json_text(&password),
        lab_var("LAB_REGISTRY"),
    );
    base64(json.as_bytes()).replace('+', "-").replace('/', "_")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A value from the vault by its path.
fn secret(path: &str) -> String {
    lab_secrets()
        .into_iter()
        .find(|(k, _)| k == path)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{path} not in the vault"))
}

/// A container's variable, byte-exact (no printenv in the image: the
/// container's own shell prints it; the value is in no argv).
fn container_env(host: &str, container: &str, var: &str) -> Vec<u8> {
    let out = on_node(
        host,
        &format!("docker exec {container} /bin/sh -c 'printf %s \"${var}\"'"),
    );
    assert!(
        out.status.success(),
        "{container} on {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn secrets_never_in_argv_files_or_output_and_exact_in_the_containers() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let needles = secret_needles();
    // A failing hook that prints every secret: what homectl shows of it is masked.
    let dir = tempfile::tempdir().unwrap();
    let leaky_hook = stacks_variant(
        dir.path(),
        "core/stack.toml",
        &[(
            r#"command = ["/app/entry", "migrate"]"#,
            r#"command = ["/bin/sh", "-c", "printf '%s\n' \"db=$DB_PASSWORD\" \"api=$API_KEY\" \"tls=$TLS_KEY\"; exit 3"]"#,
        )],
    );

    let watcher = ArgvWatcher::start();
    // Run in order: vec! evaluates its elements one after another.
    let runs = vec![
        (
            "deploy core",
            Homectl::new().args(["deploy", "core", "--tag", &old]).run(),
        ),
        (
            "deploy --json core",
            Homectl::new()
                .args(["--json", "deploy", "core", "--tag", &new])
                .run(),
        ),
        (
            "deploy workers",
            Homectl::new()
                .args(["deploy", "workers", "--tag", &old, "--scale", "1"])
                .run(),
        ),
        (
            "deploy --dry-run all",
            Homectl::new()
                .args(["deploy", "all", "--tag", &new, "--dry-run"])
                .run(),
        ),
        (
            "deploy --json --dry-run all",
            Homectl::new()
                .args(["--json", "deploy", "all", "--tag", &new, "--dry-run"])
                .run(),
        ),
        (
            "deploy -v core (hook prints secrets)",
            Homectl::with_inventory(&leaky_hook)
                .args(["-v", "deploy", "core", "--tag", &old])
                .run(),
        ),
        (
            "deploy --json core (hook prints secrets)",
            Homectl::with_inventory(&leaky_hook)
                .args(["--json", "deploy", "core", "--tag", &old])
                .run(),
        ),
        (
            "deploy core unhealthy (rollback)",
            Homectl::new()
                .args(["deploy", "core", "--tag", "unhealthy"])
                .run(),
        ),
        // plan asks the registry through each node's engine, with the
        // credentials in a header (docs/operations.md, "plan").
        (
            "plan all",
            Homectl::new().args(["plan", "all", "--tag", &new]).run(),
        ),
        (
            "plan --json all",
            Homectl::new()
                .args(["--json", "plan", "all", "--tag", &new])
                .run(),
        ),
    ];
    let sampled = watcher.finish();

    for (what, run) in &runs {
        let expected = match *what {
            w if w.contains("hook prints") || w.contains("unhealthy") => 1,
            _ => 0,
        };
        assert_eq!(run.code, expected, "{what}:\n{}", run.all());
        assert_eq!(
            find_secret(run.all().as_bytes(), &needles),
            None,
            "{what}: a secret in homectl's output"
        );
    }
    // The hook's output is shown, its secrets as ***.
    let hook_run = &runs[5].1;
    assert!(
        hook_run.all().contains("db=***") && hook_run.all().contains("api=***"),
        "the failed hook's output, masked:\n{}",
        hook_run.all()
    );
    // The dry run shows the secret variables, as ***.
    assert!(runs[3].1.stdout.contains("***"), "{}", runs[3].1.stdout);

    assert!(
        sampled.leaks.is_empty(),
        "secrets in argv:\n{}",
        sampled.leaks.join("\n")
    );
    assert!(
        sampled.sweeps > 100,
        "the watcher sampled only {} times",
        sampled.sweeps
    );
    let seen = |what: &str| sampled.compose.iter().any(|c| c.contains(what));
    assert!(
        seen(" up ") && seen(" run ") && seen(" pull "),
        "the watcher did not see the deploys' compose commands: {:?}",
        sampled.compose
    );

    // No secret in any file of the nodes (outside Docker's own data), no
    // registry credential in any form.
    let mut file_needles = needles.clone();
    file_needles.push(registry_auth());
    file_needles.push(registry_header_auth());
    for (node, host) in NODES {
        let mut files = Vec::new();
        node_files(&Path::new(LAB).join("nodes").join(node), &mut files);
        assert!(
            files.iter().any(|f| f.ends_with("history.jsonl")),
            "{node}: no history.jsonl among its files: the scan missed the state folder"
        );
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            assert_eq!(
                find_secret(&bytes, &file_needles),
                None,
                "a secret in {}",
                file.display()
            );
        }
        let left = on_node_ok(
            host,
            "ls -d /dev/shm/homectl-docker.* ~/.docker/config.json 2>/dev/null || true",
        );
        assert_eq!(left.trim(), "", "registry credentials left on {node}");
        // The node's temporary folders and state, as the node sees them.
        // Each file after a line naming it, so that a finding names the file.
        let listing = on_node(
            host,
            "for f in /var/lib/homectl/history.jsonl /var/lib/homectl/stacks/*/* /tmp/* /var/tmp/*; do \
             [ -f \"$f\" ] && printf '\\n==FILE %s\\n' \"$f\" && cat \"$f\"; done 2>/dev/null; true",
        );
        let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
        assert!(
            listing.contains("==FILE /var/lib/homectl/history.jsonl"),
            "{node}: the listing missed the history"
        );
        for part in listing.split("\n==FILE ").skip(1) {
            let (file, _) = part.split_once('\n').unwrap_or((part, ""));
            assert_eq!(
                find_secret(part.as_bytes(), &file_needles),
                None,
                "a secret in {node}'s {file}"
            );
        }
    }

    // The values arrive byte-exact: the multi-line one and the hostile one.
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    for (var, path) in [
        ("TLS_KEY", "homelab/ktrdr-tls/key"),
        ("API_KEY", "homelab/ktrdr-api/key"),
        ("DB_PASSWORD", "homelab/ktrdr-db/password"),
    ] {
        assert_eq!(
            String::from_utf8_lossy(&container_env(CORE, "ktrdr-core-backend-1", var)),
            secret(path),
            "{var} in the backend"
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&container_env(CORE, "ktrdr-core-db-1", "DB_PASSWORD")),
        secret("homelab/ktrdr-db/password")
    );
    for node in ["node-b", "node-c"] {
        let host = host_of(node);
        let name = on_node_ok(host, "docker ps --filter label=com.docker.compose.project=ktrdr-workers --filter label=com.docker.compose.service=backtest-worker-1 --format '{{.Names}}'");
        assert_eq!(
            String::from_utf8_lossy(&container_env(host, name.trim(), "KTRDR_API_KEY")),
            secret("homelab/ktrdr-api/key"),
            "{node}"
        );
    }
    // The hostile value was data: nothing it names was run.
    for (_, host) in NODES {
        assert_eq!(
            on_node_ok(host, "ls /tmp/pwned /tmp/pwned2 2>/dev/null || true").trim(),
            ""
        );
    }
}

/// `run`, `exec` and `restart` keep the promises of a deploy: no secret in
/// any argv (local or on the nodes), none in homectl's output (but with
/// `run --raw`, which says so), none in a file on the node.
#[test]
fn run_exec_and_restart_keep_secrets_out_of_argv_files_and_output() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let needles = secret_needles();
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    let watcher = ArgvWatcher::start();
    let print_all = "printf '%s\\n' \"db=$DB_PASSWORD\" \"api=$API_KEY\" \"tls=$TLS_KEY\"; sleep 1";
    let runs = vec![
        (
            "run env",
            Homectl::new()
                .args(["run", "node-a", "backend", "--", "env"])
                .run(),
        ),
        (
            "run printing secrets",
            Homectl::new()
                .args(["run", "node-a", "backend", "--", "sh", "-c", print_all])
                .run(),
        ),
        (
            "exec printing secrets",
            Homectl::new()
                .args(["exec", "node-a", "backend", "--", "sh", "-c", print_all])
                .run(),
        ),
        (
            "restart core",
            Homectl::new().args(["restart", "core"]).run(),
        ),
    ];
    // --raw shows the values (that is its point), still never in an argv.
    let raw = Homectl::new()
        .args([
            "run",
            "node-a",
            "backend",
            "--raw",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_PASSWORD\"",
        ])
        .run();
    let sampled = watcher.finish();

    for (what, run) in &runs {
        assert_eq!(run.code, 0, "{what}:\n{}", run.all());
        assert_eq!(
            find_secret(run.all().as_bytes(), &needles),
            None,
            "{what}: a secret in homectl's output"
        );
    }
    assert!(
        runs[1].1.stdout.contains("db=***\napi=***\n"),
        "{}",
        runs[1].1.all()
    );
    assert!(
        runs[2].1.stdout.contains("db=***\napi=***\n"),
        "{}",
        runs[2].1.all()
    );
    raw.success();
    assert_eq!(
        raw.stdout,
        secret("homelab/ktrdr-db/password"),
        "--raw is exact"
    );
    assert!(
        sampled.leaks.is_empty(),
        "secrets in argv:\n{}",
        sampled.leaks.join("\n")
    );
    let seen = |what: &str| sampled.compose.iter().any(|c| c.contains(what));
    assert!(
        seen(" run --rm -T --no-deps "),
        "the watcher did not see the one-off's compose command: {:?}",
        sampled.compose
    );
    let listing = on_node(
        CORE,
        "cat /var/lib/homectl/history.jsonl /var/lib/homectl/stacks/*/* /tmp/* /var/tmp/* 2>/dev/null",
    );
    assert_eq!(
        find_secret(&listing.stdout, &needles),
        None,
        "a secret in node-a's state or temporary files"
    );
}

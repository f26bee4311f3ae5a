//! Helpers for the end-to-end tests: run homectl against the lab, talk to
//! the lab's nodes directly to check their real state.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const LAB: &str = "/var/lib/homectl-lab";
pub const SSH_CONFIG: &str = "/var/lib/homectl-lab/ssh/ssh_config";
pub const NODES: [(&str, &str); 3] = [
    ("node-a", "core.lab.home.arpa"),
    ("node-b", "workers-b.lab.home.arpa"),
    ("node-c", "workers-c.lab.home.arpa"),
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A value from the lab's tags.env (LAB_TAG_OLD, LAB_TAG_NEW, ...).
pub fn lab_var(name: &str) -> String {
    let text =
        std::fs::read_to_string(format!("{LAB}/tags.env")).expect("the lab is up (scripts/lab up)");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} not in tags.env"))
        .trim_matches('"')
        .to_string()
}

/// The finished run of a homectl command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success:\n{}", self.all());
        self
    }
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "expected exit {code}:\n{}", self.all());
        self
    }
    /// The JSON document on stdout (the first, when a failure's error
    /// object follows it).
    pub fn json(&self) -> serde_json::Value {
        serde_json::Deserializer::from_str(&self.stdout)
            .into_iter::<serde_json::Value>()
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("stdout is not JSON:\n{}", self.stdout))
    }
    /// The error object that ends stdout under `--json` when a command fails.
    pub fn json_error(&self) -> serde_json::Value {
        let last = self.stdout.lines().last().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("the last line is not JSON ({e}):\n{}", self.stdout));
        assert!(value["error"].is_object(), "no error object: {last}");
        value["error"].clone()
    }
}

/// A homectl command against the lab inventory (or another one).
pub struct Homectl {
    command: Command,
}

impl Homectl {
    pub fn new() -> Self {
        Self::with_inventory(&repo().join("inventory/lab.toml"))
    }

    pub fn with_inventory(inventory: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_homectl"));
        let path = format!("{LAB}/bin:{}", std::env::var("PATH").unwrap_or_default());
        command
            .current_dir(repo())
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .arg("-i")
            .arg(inventory);
        Homectl { command }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.command.args(args);
        self
    }

    pub fn run(mut self) -> Run {
        let start = Instant::now();
        let out = self.command.output().expect("homectl runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }
}

impl Homectl {
    /// Runs to the end; stdout as bytes, exactly as homectl wrote them.
    pub fn run_bytes(mut self) -> (i32, Vec<u8>, String) {
        let out = self.command.output().expect("homectl runs");
        (
            out.status.code().unwrap_or(-1),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The command line, for a test that runs homectl another way (under
    /// a pseudo-terminal with `script`): program, then arguments.
    pub fn command_line(&self) -> Vec<String> {
        std::iter::once(self.command.get_program())
            .chain(self.command.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }
}

/// Runs a shell command on a lab node over plain ssh (not homectl).
pub fn on_node(host: &str, script: &str) -> Output {
    Command::new("ssh")
        .args(["-F", SSH_CONFIG, host, script])
        .output()
        .expect("ssh runs")
}

/// stdout of a command on a node, which must succeed.
#[track_caller]
pub fn on_node_ok(host: &str, script: &str) -> String {
    let out = on_node(host, script);
    assert!(
        out.status.success(),
        "`{script}` on {host} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of the lab inventory with some text replaced, in a temp folder
/// (stacks_dir made absolute so the copy still finds the stacks).
pub fn inventory_variant(dir: &Path, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("inventory/lab.toml")).unwrap();
    text = text.replacen(
        "[ssh]",
        &format!(
            "stacks_dir = {:?}\n\n[ssh]",
            repo().join("stacks").display().to_string()
        ),
        1,
    );
    for (from, to) in replacements {
        assert!(text.contains(from), "{from} not in the lab inventory");
        text = text.replace(from, to);
    }
    let path = dir.join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------
// Helpers of the deploy and secrets tests (tests/e2e/deploy.rs, secrets.rs).

/// The node name → host of the lab.
pub fn host_of(node: &str) -> &'static str {
    NODES
        .iter()
        .find(|(n, _)| *n == node)
        .map(|(_, h)| *h)
        .unwrap_or_else(|| panic!("no lab node {node}"))
}

/// A container of a compose project on a node, as that node's Docker
/// engine reports it (not as homectl does).
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub service: String,
    /// The image reference it was created from (`REGISTRY/NAME:TAG`).
    pub image_ref: String,
    /// The image id it runs (`sha256:...`).
    pub image_id: String,
    /// running, exited, created, ...
    pub state: String,
    /// healthy, unhealthy, starting, or empty without a health check.
    pub health: String,
}

impl Container {
    pub fn tag(&self) -> &str {
        self.image_ref
            .rsplit_once(':')
            .map(|(_, t)| t)
            .unwrap_or("")
    }
}

/// Every container (running or not) of a compose project on a node, by service.
#[track_caller]
pub fn containers(host: &str, project: &str) -> Vec<Container> {
    let script = format!(
        "ids=$(docker ps -aq --filter label=com.docker.compose.project={project}); [ -z \"$ids\" ] || docker inspect --format \
         '{{{{.Id}}}}|{{{{.Name}}}}|{{{{index .Config.Labels \"com.docker.compose.service\"}}}}|{{{{.Config.Image}}}}|{{{{.Image}}}}|{{{{json .State}}}}' $ids"
    );
    let mut list: Vec<Container> = on_node_ok(host, &script)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, '|').collect();
            assert_eq!(f.len(), 6, "unexpected docker inspect line: {l}");
            let state: serde_json::Value =
                serde_json::from_str(f[5]).unwrap_or_else(|e| panic!("{e}: {l}"));
            Container {
                id: f[0].into(),
                name: f[1].trim_start_matches('/').into(),
                service: f[2].into(),
                image_ref: f[3].into(),
                image_id: f[4].into(),
                state: state["Status"].as_str().unwrap_or("").into(),
                health: state["Health"]["Status"].as_str().unwrap_or("").into(),
            }
        })
        .collect();
    list.sort_by(|a, b| a.service.cmp(&b.service));
    list
}

/// The one container of a service (panics if there is none or several).
#[track_caller]
pub fn container_of(host: &str, project: &str, service: &str) -> Container {
    let all: Vec<Container> = containers(host, project)
        .into_iter()
        .filter(|c| c.service == service)
        .collect();
    assert_eq!(
        all.len(),
        1,
        "expected one container of {service} on {host}: {all:?}"
    );
    all.into_iter().next().unwrap()
}

/// The lab vault's secret values (what the `op` stand-in resolves), by path.
pub fn lab_secrets() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(format!("{LAB}/op/vault.json")).expect("the lab's vault");
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("vault.json is a JSON object");
    map.into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect()
}

/// The strings that must never be seen: every secret value that is long
/// and distinctive enough (the registry user name is no secret), and each
/// line of a multi-line one, so a partial leak is caught too.
pub fn secret_needles() -> Vec<String> {
    let mut needles = Vec::new();
    for (path, value) in lab_secrets() {
        if path.ends_with("/username") {
            continue;
        }
        needles.push(value.clone());
        if value.contains('\n') {
            needles.extend(
                value
                    .lines()
                    .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
                    .map(str::to_string),
            );
        }
    }
    needles
}

/// Whether `haystack` holds a secret; says which (by position and
/// length, never by value: test output must not leak it either).
pub fn find_secret(haystack: &[u8], needles: &[String]) -> Option<String> {
    needles
        .iter()
        .enumerate()
        .find(|(_, n)| !n.is_empty() && haystack.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|(i, n)| format!("secret #{i} ({} bytes)", n.len()))
}

impl Homectl {
    /// Starts the command in its own process group (as a shell job would
    /// be), stdout and stderr piped; see `Running`.
    pub fn spawn(mut self) -> Running {
        use std::os::unix::process::CommandExt;
        let start = Instant::now();
        let child = self
            .command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("homectl starts");
        Running::new(child, start)
    }
}

/// A homectl command running in the background: its output is collected
/// by threads, line by line, so a test can wait for a line.
pub struct Running {
    child: std::process::Child,
    start: Instant,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    fn new(mut child: std::process::Child, start: Instant) -> Running {
        use std::io::BufRead;
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut readers = Vec::new();
        let out = child.stdout.take().unwrap();
        let sink = stdout.clone();
        readers.push(std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        }));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        readers.push(std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        }));
        Running {
            child,
            start,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// stdout and stderr so far.
    pub fn output_so_far(&self) -> String {
        format!(
            "{}\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        )
    }

    /// Waits until stdout or stderr holds `text`; false on timeout or exit.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.output_so_far().contains(text) {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return self.output_so_far().contains(text);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends a signal to homectl alone (`kill -SIG PID`).
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{signal} {} failed", self.child.id());
    }

    /// Sends a signal to homectl's process group, as Ctrl-C on a terminal does.
    pub fn signal_group(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg("--")
            .arg(format!("-{}", self.child.id()))
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{signal} -{} failed", self.child.id());
    }

    /// Waits for the end (at most `timeout`, then SIGKILL and panic).
    pub fn wait(mut self, timeout: Duration) -> Run {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "homectl did not end within {timeout:?}:\n{}",
                    self.output_so_far()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        let stdout = self.stdout.lock().unwrap().clone();
        let stderr = self.stderr.lock().unwrap().clone();
        Run {
            code,
            stdout,
            stderr,
            elapsed: self.start.elapsed(),
        }
    }
}

/// Waits until no process holds the node's deploy lock (homectl's flock
/// in /var/lib/homectl/lock); false after `timeout`.
pub fn wait_lock_free(host: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if on_node(
            host,
            // Never create the lock file: homectl makes it, private.
            "[ ! -e /var/lib/homectl/lock ] || flock -n /var/lib/homectl/lock true",
        )
        .status
        .success()
        {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A copy of stacks/ in `dir`/stacks with some text of one stack file
/// replaced, and a lab inventory that uses it.
pub fn stacks_variant(dir: &Path, file: &str, replacements: &[(&str, &str)]) -> PathBuf {
    let stacks = dir.join("stacks");
    for stack in ["core", "workers"] {
        std::fs::create_dir_all(stacks.join(stack)).unwrap();
        for name in ["compose.yml", "stack.toml"] {
            std::fs::copy(
                repo().join("stacks").join(stack).join(name),
                stacks.join(stack).join(name),
            )
            .unwrap();
        }
    }
    let path = stacks.join(file);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    for (from, to) in replacements {
        assert!(text.contains(from), "{from} not in stacks/{file}");
        text = text.replace(from, to);
    }
    std::fs::write(&path, text).unwrap();
    let default = format!(
        "stacks_dir = {:?}",
        repo().join("stacks").display().to_string()
    );
    let ours = format!("stacks_dir = {:?}", stacks.display().to_string());
    inventory_variant(dir, &[(default.as_str(), ours.as_str())])
}

/// Whether a process this one descends from holds a flock on `file`
/// (from /proc/locks: `N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE ...`).
fn held_by_an_ancestor(file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    let inode = file.metadata().map(|m| m.ino()).unwrap_or(0);
    let holders: Vec<u32> = std::fs::read_to_string("/proc/locks")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"FLOCK")
                && f.get(5).and_then(|d| d.rsplit(':').next()) == Some(inode.to_string().as_str()))
            .then(|| f.get(4)?.parse().ok())
            .flatten()
        })
        .collect();
    let mut pid = std::process::id();
    while pid > 1 {
        if holders.contains(&pid) {
            return true;
        }
        // The parent is the 4th field of /proc/PID/stat, after "(comm)".
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        pid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0);
    }
    false
}

/// Serializes end-to-end tests across processes (two `cargo test` runs
/// against the one lab): held until the returned file is dropped. Tests
/// that change the nodes take it first. It also waits (a while) until no
/// node is locked by a deploy that does not take it (someone's demo).
pub fn lab_lock() -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/lock/homectl-e2e.lock")
        .expect("the e2e lock file");
    // Run under `flock /run/lock/homectl-e2e.lock cargo test ...` (as the
    // benchmark and people do), an ancestor holds it already: waiting for
    // it would wait forever.
    if file.try_lock().is_err() && !held_by_an_ancestor(&file) {
        file.lock().expect("the e2e lock");
    }
    for (node, host) in NODES {
        if !wait_lock_free(host, Duration::from_secs(300)) {
            eprintln!(
                "warning: {node} stays locked by someone else: {}",
                on_node(host, "cat /var/lib/homectl/lock.holder")
                    .stdout
                    .escape_ascii()
            );
        }
    }
    file
}

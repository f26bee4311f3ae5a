//! Helpers for the end-to-end tests: run homectl against the lab, talk to
//! the lab's nodes directly to check their real state.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const LAB: &str = "/var/lib/homectl-lab";
pub const SSH_CONFIG: &str = "/var/lib/homectl-lab/ssh/ssh_config";
pub const NODES: [(&str, &str); 3] =
    [("node-a", "core.lab.home.arpa"), ("node-b", "workers-b.lab.home.arpa"), ("node-c", "workers-c.lab.home.arpa")];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A value from the lab's tags.env (LAB_TAG_OLD, LAB_TAG_NEW, ...).
pub fn lab_var(name: &str) -> String {
    let text = std::fs::read_to_string(format!("{LAB}/tags.env")).expect("the lab is up (scripts/lab up)");
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
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
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
        command.current_dir(repo()).env("PATH", path).env("NO_COLOR", "1").arg("-i").arg(inventory);
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

/// Runs a shell command on a lab node over plain ssh (not homectl).
pub fn on_node(host: &str, script: &str) -> Output {
    Command::new("ssh").args(["-F", SSH_CONFIG, host, script]).output().expect("ssh runs")
}

/// stdout of a command on a node, which must succeed.
#[track_caller]
pub fn on_node_ok(host: &str, script: &str) -> String {
    let out = on_node(host, script);
    assert!(out.status.success(), "`{script}` on {host} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of the lab inventory with some text replaced, in a temp folder
/// (stacks_dir made absolute so the copy still finds the stacks).
pub fn inventory_variant(dir: &Path, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("inventory/lab.toml")).unwrap();
    text = text.replacen("[ssh]", &format!("stacks_dir = {:?}\n\n[ssh]", repo().join("stacks").display().to_string()), 1);
    for (from, to) in replacements {
        assert!(text.contains(from), "{from} not in the lab inventory");
        text = text.replace(from, to);
    }
    let path = dir.join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    path
}

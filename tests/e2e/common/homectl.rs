//! Running homectl against the lab inventory (or another one) to its end.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{repo, LAB};

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
    pub(super) command: Command,
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

//! All of homectl's output goes through here, so quiet and JSON modes
//! cannot be bypassed and a closed pipe (`homectl status | head`) ends
//! output quietly instead of panicking.
//!
//! What homectl says (`out`, `info`, `warn`, `json_line`) has its control
//! characters escaped (`escape.rs`), since it quotes nodes, env values and
//! hook arguments; what a remote command wrote for the user to redirect
//! (`out_raw`: `logs`) and what `src/report/` renders with its own colours
//! from escaped parts (`out_rendered`: tables) go out as they are.

use super::escape::escape_controls;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
}

impl Printer {
    /// Results: messages, JSON documents. Shown even with `--quiet`.
    pub fn out(&self, text: &str) {
        self.out_raw(&escape_controls(text));
    }

    /// A rendering of `src/report/` (a table with its colours) whose parts
    /// from elsewhere are escaped already. Shown even with `--quiet`.
    pub fn out_rendered(&self, text: &str) {
        self.out_raw(text);
    }

    /// Output as a command wrote it (`logs`, a completion script), for
    /// the user to redirect. Shown even with `--quiet`.
    pub fn out_raw(&self, text: &str) {
        if text.ends_with('\n') {
            to_stdout(text.as_bytes());
        } else {
            to_stdout(format!("{text}\n").as_bytes());
        }
    }

    /// Bytes of a command's stdout exactly as they came (`run`, `exec`),
    /// flushed at once: an interactive session shows each as it arrives.
    pub fn out_bytes(&self, bytes: &[u8]) {
        to_stdout(bytes);
    }

    /// Bytes of a command's stderr exactly as they came (`run`, `exec`).
    pub fn err_bytes(&self, bytes: &[u8]) {
        to_stderr(bytes);
    }

    /// Progress and notes for people; not with `--quiet` or `--json`.
    pub fn info(&self, text: &str) {
        if !self.quiet && !self.json {
            to_stderr(format!("{}\n", escape_controls(text)).as_bytes());
        }
    }

    /// Warnings and errors: always, on stderr.
    pub fn warn(&self, text: &str) {
        to_stderr(format!("{}\n", escape_controls(text)).as_bytes());
    }

    /// A diagnostic rendered by miette (with its own colours): always, on
    /// stderr, as it is.
    pub fn diagnostic(&self, text: &str) {
        to_stderr(format!("{text}\n").as_bytes());
    }

    /// One JSON value on its own line of stdout.
    pub fn json_line(&self, value: &serde_json::Value) {
        self.out(&value.to_string());
    }
}

// A closed pipe ends output quietly: write errors are ignored.
#[cfg(not(test))]
fn to_stdout(bytes: &[u8]) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

#[cfg(not(test))]
fn to_stderr(bytes: &[u8]) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(bytes);
    let _ = stderr.flush();
}

// In the crate's own tests, through the macros that the test harness
// captures: a passing test (the deploy-flow tests' failures on purpose)
// prints nothing, a failing one shows what it printed.
#[cfg(test)]
#[allow(clippy::print_stdout)]
fn to_stdout(bytes: &[u8]) {
    print!("{}", String::from_utf8_lossy(bytes));
}

#[cfg(test)]
#[allow(clippy::print_stderr)]
fn to_stderr(bytes: &[u8]) {
    eprint!("{}", String::from_utf8_lossy(bytes));
}

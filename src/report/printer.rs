//! All of homectl's output goes through here, so quiet and JSON modes
//! cannot be bypassed and a closed pipe (`homectl status | head`) ends
//! output quietly instead of panicking.
//!
//! What homectl says (`out`, `info`, `warn`, `json_line`) has its control
//! characters escaped (`escape.rs`), since it quotes nodes, env values and
//! hook arguments; what a remote command wrote for the user to redirect
//! (`out_raw`: `logs`) and what `src/report/` renders with its own colours
//! from escaped parts (`out_rendered`: tables) go out as they are.

use std::io::Write;

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
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Bytes of a command's stdout exactly as they came (`run`, `exec`),
    /// flushed at once: an interactive session shows each as it arrives.
    pub fn out_bytes(&self, bytes: &[u8]) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    }

    /// Bytes of a command's stderr exactly as they came (`run`, `exec`).
    pub fn err_bytes(&self, bytes: &[u8]) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(bytes);
        let _ = stderr.flush();
    }

    /// Progress and notes for people; not with `--quiet` or `--json`.
    pub fn info(&self, text: &str) {
        if !self.quiet && !self.json {
            let _ = writeln!(std::io::stderr().lock(), "{}", escape_controls(text));
        }
    }

    /// Warnings and errors: always, on stderr.
    pub fn warn(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}", escape_controls(text));
    }

    /// A diagnostic rendered by miette (with its own colours): always, on
    /// stderr, as it is.
    pub fn diagnostic(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// One JSON value on its own line of stdout.
    pub fn json_line(&self, value: &serde_json::Value) {
        self.out(&value.to_string());
    }
}

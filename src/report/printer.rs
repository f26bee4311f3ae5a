//! All of homectl's output goes through here, so quiet and JSON modes
//! cannot be bypassed and a closed pipe (`homectl status | head`) ends
//! output quietly instead of panicking.

use std::io::Write;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
}

impl Printer {
    /// Results: tables, JSON documents. Shown even with `--quiet`.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Progress and notes for people; not with `--quiet` or `--json`.
    pub fn info(&self, text: &str) {
        if !self.quiet && !self.json {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
    }

    /// Warnings and errors: always, on stderr.
    pub fn warn(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// One JSON value on its own line of stdout.
    pub fn json_line(&self, value: &serde_json::Value) {
        self.out(&value.to_string());
    }
}

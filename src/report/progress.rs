//! Live progress of a command across nodes: one line per node on a
//! terminal (indicatif), plain lines elsewhere, one JSON event per line
//! with `--json`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::escape::escape_controls as esc;
use super::Printer;

use crate::execution::reporter::Reporter;
pub use crate::execution::reporter::Status;

enum Mode {
    Json,
    Plain,
    Bars {
        multi: MultiProgress,
        bars: BTreeMap<String, ProgressBar>,
    },
}

pub struct Progress {
    printer: Printer,
    mode: Mutex<Mode>,
    started: Instant,
}

impl Progress {
    pub fn new(printer: Printer, nodes: &[String]) -> Progress {
        let mode = if printer.json {
            Mode::Json
        } else if printer.quiet || !std::io::stderr().is_terminal() {
            Mode::Plain
        } else {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let width = nodes.iter().map(String::len).max().unwrap_or(4);
            let style =
                ProgressStyle::with_template(&format!("{{spinner}} {{prefix:{width}}} {{msg}}"))
                    .expect("a valid template");
            let bars = nodes
                .iter()
                .map(|n| {
                    let bar = multi.add(
                        ProgressBar::new_spinner()
                            .with_style(style.clone())
                            .with_prefix(n.clone()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    (n.clone(), bar)
                })
                .collect();
            Mode::Bars { multi, bars }
        };
        Progress {
            printer,
            mode: Mutex::new(mode),
            started: Instant::now(),
        }
    }

    /// A step of a node changed status. `detail` is shown for failures.
    pub fn event(
        &self,
        node: &str,
        step: &str,
        status: Status,
        elapsed: Option<Duration>,
        detail: &str,
    ) {
        let mode = self.mode.lock().expect("progress lock");
        match &*mode {
            Mode::Json => self.printer.json_line(&serde_json::json!({
                "time": super::super::plan::history::now_rfc3339(),
                "t_ms": self.started.elapsed().as_millis() as u64,
                "node": node,
                "step": step,
                "status": status.word(),
                "elapsed_ms": elapsed.map(|e| e.as_millis() as u64),
                "detail": detail,
            })),
            Mode::Plain => {
                if status == Status::Started || (self.printer.quiet && status != Status::Failed) {
                    return;
                }
                self.printer
                    .out(&plain_line(node, step, status, elapsed, detail));
            }
            Mode::Bars { bars, multi } => {
                let Some(bar) = bars.get(node) else { return };
                match status {
                    Status::Started => bar.set_message(format!("{}…", esc(step))),
                    Status::Ok | Status::Skipped => {
                        bar.set_message(format!("{} {}", esc(step), status.word()))
                    }
                    Status::Failed | Status::Interrupted => {
                        let _ = multi.println(failure_line(node, step, status, detail));
                        bar.set_message(format!(
                            "{} {} {}",
                            style("✗").red(),
                            esc(step),
                            status.word()
                        ));
                    }
                }
            }
        }
    }

    /// A node is done; its line shows the outcome.
    pub fn finish(&self, node: &str, ok: bool, summary: &str) {
        let mode = self.mode.lock().expect("progress lock");
        match &*mode {
            Mode::Json => self.printer.json_line(&serde_json::json!({
                "time": super::super::plan::history::now_rfc3339(),
                "t_ms": self.started.elapsed().as_millis() as u64,
                "node": node, "step": "done", "status": if ok { "ok" } else { "failed" }, "detail": summary,
            })),
            Mode::Plain => {
                if ok && self.printer.quiet {
                    return;
                }
                self.printer.out(&format!("{node}: {} {summary}", if ok { "done" } else { "FAILED" }));
            }
            Mode::Bars { bars, .. } => {
                if let Some(bar) = bars.get(node) {
                    let mark = if ok { style("✓").green().to_string() } else { style("✗").red().bold().to_string() };
                    bar.finish_with_message(format!("{mark} {}", esc(summary)));
                }
            }
        }
    }

    /// A warning: between the bars on a terminal, on stderr without one,
    /// a `{"warning": ...}` line with `--json`.
    pub fn warn(&self, text: &str) {
        let mode = self.mode.lock().expect("progress lock");
        match &*mode {
            Mode::Bars { multi, .. } => {
                let _ = multi.println(esc(text));
            }
            Mode::Plain => self.printer.warn(text),
            Mode::Json => self
                .printer
                .json_line(&serde_json::json!({ "warning": text })),
        }
    }

    /// A note about the whole command, between the bars on a terminal.
    pub fn note(&self, text: &str) {
        let mode = self.mode.lock().expect("progress lock");
        match &*mode {
            Mode::Bars { multi, .. } => {
                let _ = multi.println(esc(text));
            }
            Mode::Plain => self.printer.out(text),
            Mode::Json => {}
        }
    }
}

/// A step's line when the output is not a terminal (`--quiet`, CI logs):
/// `node: step status (1.2s): detail`, control characters escaped.
fn plain_line(
    node: &str,
    step: &str,
    status: Status,
    elapsed: Option<Duration>,
    detail: &str,
) -> String {
    let took = elapsed
        .map(|e| format!(" ({:.1}s)", e.as_secs_f64()))
        .unwrap_or_default();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    esc(&format!("{node}: {step} {}{took}{detail}", status.word())).into_owned()
}

/// The line printed above the bars when a step fails: its detail's first
/// line, control characters escaped.
fn failure_line(node: &str, step: &str, status: Status, detail: &str) -> String {
    let first = detail.lines().next().unwrap_or("");
    format!(
        "{} {}: {} {}: {}",
        style("✗").red().bold(),
        esc(node),
        esc(step),
        status.word(),
        esc(first)
    )
}

impl Reporter for Progress {
    fn event(
        &self,
        node: &str,
        step: &str,
        status: Status,
        elapsed: Option<Duration>,
        detail: &str,
    ) {
        Progress::event(self, node, step, status, elapsed, detail)
    }
    fn finish(&self, node: &str, ok: bool, summary: &str) {
        Progress::finish(self, node, ok, summary)
    }
    fn warn(&self, text: &str) {
        Progress::warn(self, text)
    }
    fn note(&self, text: &str) {
        Progress::note(self, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hook that printed colours and a carriage return (to overwrite the
    /// line), and an env value with the same, quoted in the detail.
    const DETAIL: &str = "hook failed: \x1b[31mFAKE OK\x1b[0m\rall good\nenv X='a\x1b]0;title\x07'";

    #[test]
    fn a_plain_progress_line_shows_control_characters_escaped() {
        let line = plain_line(
            "node-a",
            "hook backend",
            Status::Failed,
            Some(Duration::from_millis(1200)),
            DETAIL,
        );
        assert_eq!(
            line,
            "node-a: hook backend failed (1.2s): hook failed: \\x1b[31mFAKE OK\\x1b[0m\\rall good\nenv X='a\\x1b]0;title\\x07'"
        );
    }

    #[test]
    fn a_failure_line_above_the_bars_shows_control_characters_escaped() {
        let line = console::strip_ansi_codes(&failure_line("node-a", "up", Status::Failed, DETAIL))
            .into_owned();
        assert_eq!(
            line,
            "✗ node-a: up failed: hook failed: \\x1b[31mFAKE OK\\x1b[0m\\rall good"
        );
    }
}

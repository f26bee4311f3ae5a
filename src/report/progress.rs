//! Live progress of a command across nodes: one line per node on a
//! terminal (indicatif), plain lines elsewhere, one JSON event per line
//! with `--json`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Started,
    Ok,
    Failed,
    Skipped,
    Interrupted,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Started => "started",
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
        }
    }
}

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
                let took = elapsed
                    .map(|e| format!(" ({:.1}s)", e.as_secs_f64()))
                    .unwrap_or_default();
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                };
                self.printer
                    .out(&format!("{node}: {step} {}{took}{detail}", status.word()));
            }
            Mode::Bars { bars, multi } => {
                let Some(bar) = bars.get(node) else { return };
                match status {
                    Status::Started => bar.set_message(format!("{step}…")),
                    Status::Ok | Status::Skipped => {
                        bar.set_message(format!("{step} {}", status.word()))
                    }
                    Status::Failed | Status::Interrupted => {
                        let first = detail.lines().next().unwrap_or("");
                        let _ = multi.println(format!(
                            "{} {node}: {step} {}: {first}",
                            style("✗").red().bold(),
                            status.word()
                        ));
                        bar.set_message(format!("{} {step} {}", style("✗").red(), status.word()));
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
                    bar.finish_with_message(format!("{mark} {summary}"));
                }
            }
        }
    }

    /// A note about the whole command, between the bars on a terminal.
    pub fn note(&self, text: &str) {
        let mode = self.mode.lock().expect("progress lock");
        match &*mode {
            Mode::Bars { multi, .. } => {
                let _ = multi.println(text);
            }
            Mode::Plain => self.printer.out(text),
            Mode::Json => {}
        }
    }
}

//! What the execution layer tells about its progress, defined here where
//! it is used: `report::progress::Progress` implements it (terminal bars,
//! plain lines or JSON events), so execution never depends on how
//! progress is shown (docs/architecture.md, "The flow").

use std::time::Duration;

/// How a step of a node ended (or that it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Started,
    Ok,
    Failed,
    Skipped,
    Interrupted,
}

impl Status {
    /// The word in plain lines and JSON events.
    pub fn word(self) -> &'static str {
        match self {
            Status::Started => "started",
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Receives a deploy's progress, per node and step.
pub trait Reporter: Send + Sync {
    /// A step of a node started or ended (`elapsed` once it ended).
    fn event(
        &self,
        node: &str,
        step: &str,
        status: Status,
        elapsed: Option<Duration>,
        detail: &str,
    );
    /// A node is done: its one-line summary.
    fn finish(&self, node: &str, ok: bool, summary: &str);
    /// A warning the operator must see.
    fn warn(&self, text: &str);
    /// A note (shown on a terminal and in plain lines, not in JSON).
    fn note(&self, text: &str);
}

/// A reporter that shows nothing: for read-only questions whose answer is
/// the command's output (`plan` of a swarm stack).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: &str, _: &str, _: Status, _: Option<Duration>, _: &str) {}
    fn finish(&self, _: &str, _: bool, _: &str) {}
    fn warn(&self, _: &str) {}
    fn note(&self, _: &str) {}
}

//! `scripts/history.sh`: the node's last history records (`homectl
//! history`), and the `HISTORY <json>` lines that the state, status and
//! stray steps print too.

use super::{lines_of, StepInput};
use crate::plan::history::HistoryRecord;
use crate::remote::step::Step;

const HISTORY: &str = include_str!("../scripts/history.sh");

/// The node's last `limit` records.
pub fn step(limit: usize) -> Step {
    StepInput::new("history")
        .var("HC_HISTORY_LINES", &limit.to_string())
        .step(HISTORY)
}

/// The records of the `HISTORY <json>` lines; bad lines are skipped.
pub fn parse(output: &str) -> Vec<HistoryRecord> {
    lines_of(output, "HISTORY")
        .filter_map(|j| serde_json::from_str(j).ok())
        .collect()
}

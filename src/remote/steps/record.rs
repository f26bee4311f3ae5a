//! `scripts/record.sh`: appends a history record (JSON, no secrets).

use super::StepInput;
use crate::remote::step::Step;

const RECORD: &str = include_str!("../scripts/record.sh");

pub fn step(record_json: &str) -> Step {
    StepInput::new("record")
        .data("HC_RECORD", record_json.to_string())
        .step(RECORD)
}

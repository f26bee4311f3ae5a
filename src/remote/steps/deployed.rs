//! `scripts/deployed.sh`: whether a stack is deployed on the node (`homectl
//! run`), asked of the holder.

use super::StepInput;
use crate::remote::step::Step;

const DEPLOYED: &str = include_str!("../scripts/deployed.sh");

pub fn step(stack: &str) -> Step {
    StepInput::new(format!("find {stack}"))
        .var("HC_STACK", stack)
        .step(DEPLOYED)
}

/// True for a `DEPLOYED` answer.
pub fn parse(output: &str) -> bool {
    output.lines().any(|l| l.trim() == "DEPLOYED")
}

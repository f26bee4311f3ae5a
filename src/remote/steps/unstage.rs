//! `scripts/unstage.sh`: what a prepared deploy staged goes, when the
//! deploy goes no further.

use super::StepInput;
use crate::remote::step::Step;

const UNSTAGE: &str = include_str!("../scripts/unstage.sh");

pub fn step(stacks: &[String]) -> Step {
    StepInput::new("unstage")
        .list("HC_STACKS", stacks)
        .step(UNSTAGE)
}

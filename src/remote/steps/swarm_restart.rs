//! `scripts/swarm_restart.sh`: `docker service update --force` of some
//! services of a swarm stack, on its manager (docs/swarm.md, `restart`).
//! Its output is not read: a failure is its exit code.

use super::StepInput;
use crate::remote::step::Step;

const RESTART: &str = include_str!("../scripts/swarm_restart.sh");

/// Replaces every task of `services` (names within the stack).
pub fn step(project: &str, services: &[String]) -> Step {
    StepInput::new(format!("service update --force {project}"))
        .var("HC_PROJECT", project)
        .list("HC_SERVICES", services)
        .step(RESTART)
}

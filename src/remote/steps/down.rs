//! `scripts/down.sh`: stops and removes a stack's containers, or some of
//! its services' (`homectl down`), and tells how many went.

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const DOWN: &str = include_str!("../scripts/down.sh");

/// `services` empty: the whole stack (its networks too).
pub fn step(stack: &str, project: &str, services: &[String]) -> Step {
    StepInput::new(format!("down {stack}"))
        .var("HC_PROJECT", project)
        .list("HC_SERVICES", services)
        .step(DOWN)
}

/// The number of containers removed (`REMOVED N`; 0 without the line).
pub fn parse(output: &str) -> usize {
    lines_of(output, "REMOVED")
        .find_map(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_removed_line_counts_the_containers() {
        assert_eq!(super::parse("REMOVED 3\n"), 3);
        assert_eq!(super::parse("docker: error\n"), 0);
    }
}

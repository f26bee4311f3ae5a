//! `scripts/swarm_down.sh`: `docker stack rm` of a swarm stack (on the
//! manager) and, on every node, the wait until no container of it is left
//! (docs/swarm.md, `down`).

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const DOWN: &str = include_str!("../scripts/swarm_down.sh");

/// `remove`: on the manager, removes the stack first; elsewhere waits only.
pub fn step(project: &str, remove: bool, wait_secs: u64) -> Step {
    StepInput::new(format!("stack rm {project}"))
        .var("HC_PROJECT", project)
        .var("HC_REMOVE", if remove { "1" } else { "0" })
        .var("HC_WAIT", &wait_secs.to_string())
        .step(DOWN)
}

/// The containers still there when the wait began (`REMOVED N`; 0 without
/// the line).
pub fn parse(output: &str) -> usize {
    lines_of(output, "REMOVED")
        .find_map(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_removed_line_is_read() {
        assert_eq!(super::parse("Removing service p_w\nREMOVED 3\n"), 3);
        assert_eq!(super::parse("Nothing found in stack: p\n"), 0);
    }
}

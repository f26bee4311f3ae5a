//! `scripts/stray.sh`: whether a stack the inventory does not assign to
//! the node runs there and is homectl's (`homectl down NODE stack:S`,
//! docs/operations.md, "Strays").

use super::{history, lines_of, StepInput};
use crate::plan::history::HistoryRecord;
use crate::remote::step::Step;

const STRAY: &str = include_str!("../scripts/stray.sh");

pub fn step(stack: &str, project: &str) -> Step {
    StepInput::new(format!("stray {stack}"))
        .var("HC_PROJECT", project)
        .step(STRAY)
}

/// What the stray step found.
#[derive(Debug, PartialEq)]
pub struct Stray {
    /// The project's containers, in any state.
    pub containers: usize,
    pub history: Vec<HistoryRecord>,
}

pub fn parse(output: &str) -> Stray {
    Stray {
        containers: lines_of(output, "CONTAINERS")
            .find_map(|n| n.trim().parse().ok())
            .unwrap_or(0),
        history: history::parse(output),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_containers_line_counts_the_projects_containers() {
        assert_eq!(super::parse("CONTAINERS 2\nHISTORY x\n").containers, 2);
        assert_eq!(super::parse("").containers, 0);
    }
}

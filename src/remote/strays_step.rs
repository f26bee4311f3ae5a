//! The read-only step that asks a node whether stacks run there as strays
//! (a deploy's moved-stack warning, docs/operations.md "Moving a stack to
//! another node"), and its parser.

use super::step::{quote, Step};
use crate::inventory::Inventory;
use crate::plan::strays::{strays, Stray};
use crate::remote::steps::history::parse as parse_history;

const STRAYS_OF: &str = include_str!("scripts/strays_of.sh");

/// Asks about the compose projects of `stacks`.
pub fn strays_of_step(inventory: &Inventory, stacks: &[String]) -> Step {
    let projects: Vec<String> = stacks.iter().map(|s| inventory.project_name(s)).collect();
    Step::new(
        "strays",
        format!("HC_PROJECTS={}\n{STRAYS_OF}", quote(&projects.join(" "))),
    )
}

/// The strays of `node` in the step's output.
pub fn parse_strays_of(inventory: &Inventory, node: &str, output: &str) -> Vec<Stray> {
    let history = parse_history(output);
    let containers = output
        .lines()
        .filter_map(|l| l.strip_prefix("CONTAINER "))
        .filter_map(|l| l.split_once(' '));
    strays(inventory, node, containers, &history)
}

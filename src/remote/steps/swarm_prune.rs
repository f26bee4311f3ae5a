//! `scripts/swarm_prune_facts.sh`: what a manager says about a swarm
//! stack for `prune` (docs/swarm.md, "prune"): its records in the
//! manager's history and the images its services' specs name.

use super::{lines_of, StepInput};
use crate::plan::prune_swarm::SwarmFacts;
use crate::remote::step::Step;
use crate::remote::steps::history::parse as parse_history;

const SWARM_PRUNE_FACTS: &str = include_str!("../scripts/swarm_prune_facts.sh");

pub fn facts_step(project: &str) -> Step {
    StepInput::new(format!("swarm facts {project}"))
        .var("HC_PROJECT", project)
        .step(SWARM_PRUNE_FACTS)
}

/// `None` from a node that is no manager; else the records of `stack`.
pub fn parse_facts(output: &str, manager: &str, stack: &str) -> Option<SwarmFacts> {
    if !output.lines().any(|l| l.trim() == "MANAGER") {
        return None;
    }
    let mut specs: Vec<String> = lines_of(output, "SPEC")
        .map(|s| s.trim().to_string())
        .filter(|s| s.contains("@sha256:"))
        .collect();
    specs.sort();
    specs.dedup();
    Some(SwarmFacts {
        stack: stack.to_string(),
        manager: manager.to_string(),
        services: lines_of(output, "SERVICE")
            .map(|s| s.trim().to_string())
            .collect(),
        history: parse_history(output)
            .into_iter()
            .filter(|r| r.stack == stack)
            .collect(),
        specs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manager_gives_the_stacks_records_and_the_pinned_specs() {
        assert_eq!(parse_facts("NOT-MANAGER\n", "node-b", "sw"), None);
        let out = "MANAGER\n\
HISTORY {\"time\":\"t\",\"operator\":\"o\",\"node\":\"node-a\",\"stack\":\"sw\",\"kind\":\"deploy\",\"tag\":\"a\",\"scale\":1,\"result\":\"ok\",\"duration_ms\":1}\n\
HISTORY {\"time\":\"t\",\"operator\":\"o\",\"node\":\"node-a\",\"stack\":\"core\",\"kind\":\"deploy\",\"tag\":\"a\",\"scale\":1,\"result\":\"ok\",\"duration_ms\":1}\n\
SERVICE p_w\nSPEC r/w@sha256:2\nSPEC r/w@sha256:1\nSPEC r/w@sha256:2\nSPEC busybox:latest\n";
        let facts = parse_facts(out, "node-a", "sw").unwrap();
        assert_eq!(facts.manager, "node-a");
        assert_eq!(facts.history.len(), 1);
        assert_eq!(facts.services, ["p_w"]);
        assert_eq!(facts.specs, ["r/w@sha256:1", "r/w@sha256:2"]);
    }

    #[test]
    fn the_project_reaches_the_script_quoted() {
        let text = facts_step("p $(id)").to_string();
        assert!(text.contains("HC_PROJECT='p $(id)'"), "{text}");
    }
}

//! Before `prune` (docs/swarm.md, "prune"): for each swarm stack of the
//! selected nodes, what its manager says (its records, the images its
//! services' specs name), asked of the first listed node of the stack that
//! is a manager, read-only and without a lock.

use std::collections::BTreeMap;
use std::time::Duration;

use super::node_session::NodeSession;
use crate::inventory::Project;
use crate::plan::prune_swarm::SwarmFacts;
use crate::plan::swarm_plan::nodes_of;
use crate::plan::SelectedNode;
use crate::remote::steps::swarm_prune::{facts_step, parse_facts};

const TIMEOUT: Duration = Duration::from_secs(120);

/// Stack → its manager's facts, or why none answered, for every swarm
/// stack the selected nodes list.
pub async fn swarm_facts(
    project: &Project,
    selected: &[SelectedNode],
) -> BTreeMap<String, Result<SwarmFacts, String>> {
    let inv = &project.inventory;
    let mut stacks: Vec<&String> = selected
        .iter()
        .flat_map(|n| inv.nodes[&n.node].stacks.iter())
        .filter(|s| project.stacks[*s].is_swarm())
        .collect();
    stacks.sort();
    stacks.dedup();
    let mut out = BTreeMap::new();
    for stack in stacks {
        out.insert(stack.clone(), facts_of(project, stack).await);
    }
    out
}

/// What the first listed node of `stack` that is a manager says of it
/// (read-only, no lock), or why none answered.
pub async fn facts_of(project: &Project, stack: &str) -> Result<SwarmFacts, String> {
    let inv = &project.inventory;
    let step = facts_step(&inv.project_name(stack));
    let mut errors = Vec::new();
    for name in nodes_of(project, stack) {
        let mut session = match NodeSession::open(inv, &inv.nodes[&name], false).await {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        let out = session.run(&step, TIMEOUT).await;
        session.close().await;
        match out {
            Ok(out) => {
                if let Some(facts) = parse_facts(&out, &name, stack) {
                    return Ok(facts);
                }
            }
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    Err(format!(
        "swarm stack {stack}: no manager among {} answered, so its images are not pruned{}",
        nodes_of(project, stack).join(", "),
        if errors.is_empty() {
            String::new()
        } else {
            format!(" ({})", errors.join("; "))
        }
    ))
}

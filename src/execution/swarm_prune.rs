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
        out.insert(stack.clone(), of_stack(project, stack).await);
    }
    out
}

async fn of_stack(project: &Project, stack: &str) -> Result<SwarmFacts, String> {
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

/// After a successful swarm deploy, in its sessions and under its locks:
/// the prune of the stack on every node (docs/swarm.md, "prune"), from
/// what the manager says now. A failure is a warning on that node, never a
/// failed deploy. The summary line of each node, in the nodes' order.
pub async fn after_deploy(
    ctx: &super::swarm_session::SwarmContext<'_>,
    stack: &str,
    manager: &str,
    sessions: &mut BTreeMap<String, NodeSession>,
) -> Vec<(String, String)> {
    use super::reporter::Status;
    if ctx.interrupt.is_set() {
        return Vec::new();
    }
    let project = ctx.project.inventory.project_name(stack);
    let asked = match sessions.get_mut(manager) {
        Some(session) => session.run(&facts_step(&project), TIMEOUT).await,
        None => Err("no session".into()),
    };
    let facts = match asked.map(|out| parse_facts(&out, manager, stack)) {
        Ok(Some(facts)) => facts,
        Ok(None) | Err(_) => {
            let why = format!(
                "warning: the deploy succeeded but {manager} did not say what swarm stack {stack} keeps, so nothing was pruned (run `homectl prune`)"
            );
            ctx.progress.note(&ctx.secrets.mask(&why));
            return Vec::new();
        }
    };
    let keep = ctx.project.inventory.keep;
    let stacks = [stack.to_string()];
    let pruned = futures_util::future::join_all(sessions.iter_mut().map(|(node, session)| {
        let facts = std::slice::from_ref(&facts);
        let stacks = &stacks;
        async move {
            let started = std::time::Instant::now();
            ctx.progress.event(node, "prune", Status::Started, None, "");
            let result =
                super::node_prune::prune_node(&mut session.shell, node, stacks, keep, false, facts)
                    .await;
            (node.clone(), result, started.elapsed())
        }
    }))
    .await;
    pruned
        .into_iter()
        .map(|(node, result, took)| match result {
            Ok(pruned) => {
                let line = pruned.summary();
                ctx.progress
                    .event(&node, "prune", Status::Ok, Some(took), &line);
                (node, line)
            }
            Err(e) => {
                let why = ctx.secrets.mask(&e);
                ctx.progress.event(
                    &node,
                    "prune",
                    Status::Skipped,
                    Some(took),
                    &format!("warning: {why}"),
                );
                ctx.progress.note(&format!(
                    "warning: {node}: the deploy succeeded but its prune failed: {why}"
                ));
                (node, "prune failed (a warning)".to_string())
            }
        })
        .collect()
}

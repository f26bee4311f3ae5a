//! The prune after a successful swarm deploy (docs/swarm.md, "prune"), in
//! the deploy's sessions and under its locks, from what the manager says.

use std::collections::BTreeMap;
use std::time::Duration;

use super::node_prune::prune_node;
use super::node_session::NodeSession;
use super::reporter::Status;
use super::swarm_session::SwarmContext;
use crate::plan::prune_swarm::nothing_to_prune;
use crate::remote::steps::swarm_prune::{facts_step, parse_facts};

const TIMEOUT: Duration = Duration::from_secs(120);

/// After a successful swarm deploy, in its sessions and under its locks:
/// the prune of the stack on every node (docs/swarm.md, "prune"), from
/// what the manager says now. A failure is a warning on that node, never a
/// failed deploy. The summary line of each node, in the nodes' order.
pub async fn after_deploy(
    ctx: &SwarmContext<'_>,
    stack: &str,
    manager: &str,
    sessions: &mut BTreeMap<String, NodeSession>,
) -> Vec<(String, String)> {
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
    if nothing_to_prune(&facts, keep) {
        return vec![(
            manager.to_string(),
            format!("prune: nothing to remove (every image is within the last {keep} versions)"),
        )];
    }
    let stacks = [stack.to_string()];
    let pruned = futures_util::future::join_all(sessions.iter_mut().map(|(node, session)| {
        let facts = std::slice::from_ref(&facts);
        let stacks = &stacks;
        async move {
            let started = std::time::Instant::now();
            ctx.progress.event(node, "prune", Status::Started, None, "");
            let result = prune_node(&mut session.shell, node, stacks, keep, false, facts).await;
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

//! A deploy over all its nodes in parallel (docs/operations.md,
//! "Deploying"): phase 1 (`prepare`) everywhere, then phase 2 (`apply`)
//! only if every node passed phase 1; otherwise every prepared node is
//! released (its staged files dropped, its lock freed) and nothing changed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::moved_stacks::strays_elsewhere;
use super::node_deploy::{prepare, DeployContext, NodeError, NodeFailure};
use crate::error::{Error, Result};
use crate::plan::moved_stacks::moved_stack_warnings;
use crate::plan::SelectedNode;

/// How long a deploy waits, after its nodes applied, for the other nodes'
/// answer about moved stacks (they were asked while the nodes applied).
const MOVED_WAIT: Duration = Duration::from_secs(15);

/// Runs both phases on `nodes`; Ok(0) if every node deployed.
pub async fn deploy_nodes(ctx: Arc<DeployContext>, nodes: Vec<SelectedNode>) -> Result<i32> {
    let progress = ctx.progress.clone();
    let interrupt = ctx.interrupt.clone();
    let names: Vec<String> = nodes.iter().map(|n| n.node.clone()).collect();
    // The stacks of this deploy, for the moved-stack warning.
    let stacks: BTreeSet<String> = (nodes.iter())
        .flat_map(|n| n.stacks.iter().map(|s| s.stack.clone()))
        .collect();

    // Phase 1: prepare every node.
    let tasks: Vec<_> = nodes
        .into_iter()
        .map(|n| tokio::spawn(prepare(ctx.clone(), n)))
        .collect();
    let mut prepared = Vec::new();
    let mut failures: Vec<(String, NodeFailure)> = Vec::new();
    for (task, node) in tasks.into_iter().zip(&names) {
        match task.await {
            Ok(Ok(p)) => prepared.push(p),
            Ok(Err(f)) => failures.push((node.clone(), f)),
            Err(e) => failures.push((
                node.clone(),
                NodeFailure::new("prepare", NodeError::Internal(e.to_string())),
            )),
        }
    }
    if !failures.is_empty() || interrupt.is_set() {
        for p in prepared {
            let name = p.name().to_string();
            p.release(&ctx).await;
            progress.finish(
                &name,
                false,
                "not deployed: another node failed to prepare (nothing changed)",
            );
        }
        for (node, f) in &failures {
            progress.finish(
                node,
                false,
                &format!("{}: {}", f.step, first_line(&f.reason())),
            );
        }
        if interrupt.is_set() {
            return Err(Error::Interrupted);
        }
        let nodes: Vec<&str> = failures.iter().map(|(n, _)| n.as_str()).collect();
        return Err(Error::on_nodes(
            format!(
                "prepare failed on {}; nothing changed on any node, every lock released\n{}",
                nodes.join(", "),
                failure_list(&failures)
            ),
            &nodes,
        ));
    }

    // While the nodes apply: do the deployed stacks still run elsewhere?
    let moved = tokio::spawn(strays_elsewhere(
        Arc::new(ctx.project.inventory.clone()),
        stacks.clone(),
        names.iter().cloned().collect(),
    ));
    // Phase 2: apply on every node.
    let tasks: Vec<_> = prepared
        .into_iter()
        .map(|p| tokio::spawn(p.apply(ctx.clone())))
        .collect();
    let mut failed = Vec::new();
    for task in tasks {
        let outcome = match task.await {
            Ok(o) => o,
            Err(e) => return Err(Error::runtime(format!("internal error: {e}"))),
        };
        progress.finish(&outcome.node, outcome.failure.is_none(), &outcome.summary);
        if let Some(f) = outcome.failure {
            failed.push((outcome.node, f));
        }
    }
    if interrupt.is_set() {
        moved.abort();
        return Err(Error::Interrupted);
    }
    if let Ok(Ok(strays)) = tokio::time::timeout(MOVED_WAIT, moved).await {
        for warning in moved_stack_warnings(&ctx.project.inventory, &strays, Some(&stacks)) {
            progress.warn(&warning);
        }
    }
    if failed.is_empty() {
        return Ok(0);
    }
    let nodes: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    Err(Error::on_nodes(
        format!(
            "deploy failed on {}\n{}",
            nodes.join(", "),
            failure_list(&failed)
        ),
        &nodes,
    ))
}

/// One indented entry a node: `node (step): reason`.
fn failure_list(failures: &[(String, NodeFailure)]) -> String {
    failures
        .iter()
        .map(|(n, f)| format!("  {n} ({}): {}", f.step, f.reason().replace('\n', "\n    ")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

//! One node's prune, in a remote shell that holds the node's lock (the
//! `prune` command's, or a deploy's after its apply): the facts, the
//! decision of `plan::prune`, the removal (docs/operations.md, "Pruning").

use std::time::Duration;

use serde::Serialize;

use super::RemoteShell;
use crate::plan::prune::{plan_prune, StackPrune};
use crate::plan::prune_swarm::{resolve_ids, with_swarm, SwarmFacts};
use crate::remote::steps::prune::{facts_step, parse_facts, parse_prune, prune_step};
use crate::remote::steps::swarm_ended;

const FACTS_TIMEOUT: Duration = Duration::from_secs(120);
const PRUNE_TIMEOUT: Duration = Duration::from_secs(600);

/// What prune did (or, dry, would do) on one node.
#[derive(Debug, Clone, Serialize)]
pub struct NodePrune {
    pub node: String,
    pub dry_run: bool,
    pub stacks: Vec<StackPrune>,
    /// Image ids removed (dry run: to remove).
    pub removed_images: Vec<String>,
    /// (stack, version) of folder versions removed (dry run: to remove).
    pub removed_files: Vec<(String, String)>,
    /// Image ids the removal left, and why (it changed since the decision).
    pub kept_images: Vec<(String, String)>,
    /// Bytes freed: Docker's images' size before minus after, plus the
    /// folders removed (dry run: the removed images' and folders' sizes).
    pub freed_bytes: u64,
}

impl NodePrune {
    /// One line for humans: what went and what it freed.
    pub fn summary(&self) -> String {
        let verb = if self.dry_run {
            "would remove"
        } else {
            "removed"
        };
        if self.removed_images.is_empty() && self.removed_files.is_empty() {
            return "prune: nothing to remove".to_string();
        }
        format!(
            "prune: {verb} {} images and {} stack file versions, {} {}",
            self.removed_images.len(),
            self.removed_files.len(),
            mb(self.freed_bytes),
            if self.dry_run { "to free" } else { "freed" }
        )
    }
}

pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Prunes `stacks` on the node of `shell`, keeping `keep` versions each;
/// `swarm`: what the managers of the node's swarm stacks said.
pub async fn prune_node(
    shell: &mut RemoteShell,
    node: &str,
    stacks: &[String],
    keep: usize,
    dry_run: bool,
    swarm: &[SwarmFacts],
) -> Result<NodePrune, String> {
    // The stopped containers of the selected swarm stacks' ended tasks go
    // first (a dry run only counts them): each holds an image.
    let names: Vec<String> = swarm
        .iter()
        .filter(|s| stacks.contains(&s.stack))
        .flat_map(|s| s.services.iter().cloned())
        .collect();
    let mut freed = Default::default();
    if !names.is_empty() {
        let out = run(shell, &swarm_ended::step(&names, !dry_run), FACTS_TIMEOUT).await?;
        freed = swarm_ended::freed_images(&out);
    }
    let facts = run(shell, &facts_step(), FACTS_TIMEOUT).await?;
    let mut facts = parse_facts(&facts);
    for image in &freed {
        facts.container_images.remove(image);
    }
    for s in swarm {
        with_swarm(&mut facts, node, s);
    }
    resolve_ids(&mut facts);
    let plan = plan_prune(&facts, stacks, keep);
    let planned_images: Vec<String> = plan
        .iter()
        .flat_map(|s| s.remove_images.iter().map(|i| i.id.clone()))
        .collect();
    let planned_files: Vec<(String, String)> = plan
        .iter()
        .flat_map(|s| {
            s.remove_files
                .iter()
                .map(|f| (s.stack.clone(), f.version.clone()))
        })
        .collect();
    let planned_bytes: u64 = plan
        .iter()
        .map(|s| {
            s.remove_images.iter().map(|i| i.size).sum::<u64>()
                + s.remove_files.iter().map(|f| f.size).sum::<u64>()
        })
        .sum();
    let mut result = NodePrune {
        node: node.to_string(),
        dry_run,
        stacks: plan,
        removed_images: planned_images,
        removed_files: planned_files,
        kept_images: Vec::new(),
        freed_bytes: planned_bytes,
    };
    if dry_run {
        return Ok(result);
    }
    let Some(step) = prune_step(&result.stacks) else {
        return Ok(result);
    };
    let output = run(shell, &step, PRUNE_TIMEOUT).await;
    let outcome = parse_prune(output.as_deref().unwrap_or_else(|e| e.as_str()));
    let files_bytes: u64 = result
        .stacks
        .iter()
        .flat_map(|s| {
            s.remove_files
                .iter()
                .filter(|f| {
                    outcome
                        .removed_files
                        .iter()
                        .any(|(st, v)| *st == s.stack && *v == f.version)
                })
                .map(|f| f.size)
        })
        .sum();
    let images_bytes = match outcome.disk {
        Some((before, after)) => before.saturating_sub(after),
        None => result
            .stacks
            .iter()
            .flat_map(|s| &s.remove_images)
            .filter(|i| outcome.removed_images.contains(&i.id))
            .map(|i| i.size)
            .sum(),
    };
    result.freed_bytes = images_bytes + files_bytes;
    result.removed_images = outcome.removed_images;
    result.removed_files = outcome.removed_files;
    result.kept_images = outcome.kept_images.into_iter().collect();
    output.map(|_| result)
}

async fn run(
    shell: &mut RemoteShell,
    step: &crate::remote::Step,
    timeout: Duration,
) -> Result<String, String> {
    match shell.run(step, timeout).await {
        Ok(out) if out.code == 0 => Ok(out.output),
        Ok(out) => Err(format!("{} failed: {}", step.name, out.output.trim())),
        Err(super::StepError::Timeout) => Err(format!(
            "{}: no answer within {}s",
            step.name,
            timeout.as_secs()
        )),
        Err(super::StepError::Lost(e)) => Err(format!("{}: connection lost: {e}", step.name)),
    }
}

/// After a successful deploy, in its session and under its lock: the
/// warning about stacks moved away that still run here (docs/operations.md,
/// "Moving a stack to another node"), and the prune (docs/operations.md,
/// "Pruning"): the same decision and step as `prune`.
/// A failure is a warning, never a failed deploy. The line for the node's
/// summary.
pub async fn after_deploy(
    shell: &mut RemoteShell,
    ctx: &super::node_deploy::DeployContext,
    node: &str,
    stacks: &[String],
) -> Option<String> {
    use crate::execution::reporter::Status;
    if ctx.interrupt.is_set() {
        return None;
    }
    // Stacks the inventory moved away from this node that still run here.
    let inventory = &ctx.project.inventory;
    let strays = super::moved_stacks::strays_here(shell, inventory, node).await;
    for warning in crate::plan::moved_stacks::moved_stack_warnings(inventory, &strays, None) {
        ctx.progress.warn(&warning);
    }
    if stacks.is_empty() {
        return None;
    }
    let t = std::time::Instant::now();
    ctx.progress.event(node, "prune", Status::Started, None, "");
    // A swarm stack of this node may keep one of these images (a rollback
    // target of its spec): its manager says which, or nothing is pruned.
    let mut swarm = Vec::new();
    for stack in &inventory.nodes[node].stacks {
        if ctx.project.stacks[stack].is_swarm() {
            match super::swarm_prune::facts_of(&ctx.project, stack).await {
                Ok(facts) => swarm.push(facts),
                Err(e) => {
                    let why = ctx.secrets.mask(&e);
                    ctx.progress.event(
                        node,
                        "prune",
                        Status::Skipped,
                        Some(t.elapsed()),
                        &format!("warning: {why}"),
                    );
                    ctx.progress.note(&format!(
                        "warning: {node}: the deploy succeeded but nothing was pruned: {why}"
                    ));
                    return Some("prune skipped (a warning)".to_string());
                }
            }
        }
    }
    match prune_node(
        shell,
        node,
        stacks,
        ctx.project.inventory.keep,
        false,
        &swarm,
    )
    .await
    {
        Ok(pruned) => {
            let line = pruned.summary();
            ctx.progress
                .event(node, "prune", Status::Ok, Some(t.elapsed()), &line);
            Some(line)
        }
        Err(e) => {
            let why = ctx.secrets.mask(&e);
            ctx.progress.event(
                node,
                "prune",
                Status::Skipped,
                Some(t.elapsed()),
                &format!("warning: {why}"),
            );
            ctx.progress.note(&format!(
                "warning: {node}: the deploy succeeded but its prune failed: {why}"
            ));
            Some("prune failed (a warning)".to_string())
        }
    }
}

//! `homectl prune TARGET [--keep N] [--dry-run]`: per node and stack, the
//! images and stack file versions older than the last `keep` versions go
//! (docs/operations.md, "Pruning"). Under each node's lock, as a deploy;
//! a dry run takes no lock and removes nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::execution::node_prune::{mb, prune_node, NodePrune};
use crate::execution::node_session::NodeSession;
use crate::execution::swarm_prune::swarm_facts;
use crate::inventory::Project;
use crate::plan::prune_swarm::SwarmFacts;
use crate::plan::{self, SelectedNode};
use crate::settings::{GlobalSettings, PruneSettings};

pub fn run(global: &GlobalSettings, args: &PruneSettings) -> Result<i32> {
    let project = Arc::new(crate::inventory::load(&global.inventory)?);
    let selection = plan::select(&project, Some(&args.select.target), &args.select.names)?;
    let keep = args.keep.unwrap_or(project.inventory.keep);
    let printer = global.printer();
    let results = crate::commands::runtime()?.block_on(async {
        // Swarm stacks: their records and specs, from their managers.
        let swarm = Arc::new(swarm_facts(&project, &selection.nodes).await);
        let tasks: Vec<_> = selection
            .nodes
            .into_iter()
            .map(|n| {
                let swarm = swarm.clone();
                tokio::spawn(prune_one(project.clone(), n, keep, args.dry_run, swarm))
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            if let Ok(r) = t.await {
                results.push(r);
            }
        }
        results
    });
    let mut failed = Vec::new();
    let mut done = Vec::new();
    for (node, result) in results {
        match result {
            Ok(pruned) => done.push(pruned),
            Err(e) => {
                printer.warn(&format!("✗ {node}: {e}"));
                failed.push(node);
            }
        }
    }
    if global.json {
        let doc = serde_json::json!({ "keep": keep, "dry_run": args.dry_run, "nodes": done, "failed": failed });
        printer.out(&serde_json::to_string_pretty(&doc).expect("serializes"));
    } else {
        for pruned in &done {
            print_node(&printer, pruned);
        }
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        Err(Error::on_nodes(
            format!("prune failed on {}", failed.join(", ")),
            &failed,
        ))
    }
}

fn print_node(printer: &crate::report::Printer, pruned: &NodePrune) {
    let node = &pruned.node;
    let verb = if pruned.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for stack in &pruned.stacks {
        let kept: Vec<&str> = stack.kept.iter().map(|v| v.tag.as_str()).collect();
        printer.out(&format!(
            "{node}: {}: keeps {} (newest first)",
            stack.stack,
            if kept.is_empty() {
                "nothing recorded".to_string()
            } else {
                kept.join(", ")
            }
        ));
        for image in stack
            .remove_images
            .iter()
            .filter(|i| pruned.removed_images.contains(&i.id))
        {
            let name = image
                .tags
                .first()
                .cloned()
                .unwrap_or_else(|| image.id.clone());
            printer.out(&format!(
                "{node}: {}: {verb} image {name} ({})",
                stack.stack,
                mb(image.size)
            ));
        }
        for (stack_name, version) in pruned
            .removed_files
            .iter()
            .filter(|(s, _)| *s == stack.stack)
        {
            printer.out(&format!(
                "{node}: {stack_name}: {verb} stack files {version}"
            ));
        }
        for (id, why) in &stack.spared {
            printer.info(&format!("{node}: {}: keeps image {id}: {why}", stack.stack));
        }
    }
    for (id, why) in &pruned.kept_images {
        printer.info(&format!("{node}: left image {id}: {why}"));
    }
    printer.out(&format!("{node}: {}", pruned.summary()));
}

async fn prune_one(
    project: Arc<Project>,
    selected: SelectedNode,
    keep: usize,
    dry_run: bool,
    swarm: Arc<BTreeMap<String, std::result::Result<SwarmFacts, String>>>,
) -> (String, std::result::Result<NodePrune, String>) {
    let inv = &project.inventory;
    let node = selected.node.clone();
    // The node's swarm stacks, each as its manager said; without that,
    // nothing is pruned here (it could remove what such a stack keeps).
    let mut of_swarm = Vec::new();
    for stack in inv.nodes[&node].stacks.iter() {
        match swarm.get(stack) {
            Some(Ok(facts)) => of_swarm.push(facts.clone()),
            Some(Err(e)) => return (node, Err(e.clone())),
            None => {}
        }
    }
    // A dry run reads only: no lock, so it works beside a deploy.
    let mut session = match NodeSession::open(inv, &inv.nodes[&node], !dry_run).await {
        Ok(s) => s,
        Err(e) => return (node, Err(e)),
    };
    let stacks: Vec<String> = selected.stacks.iter().map(|s| s.stack.clone()).collect();
    let result = prune_node(&mut session.shell, &node, &stacks, keep, dry_run, &of_swarm).await;
    session.close().await;
    (node, result)
}

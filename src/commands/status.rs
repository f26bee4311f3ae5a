//! `homectl status`: what runs on the selected nodes, read from their real
//! Compose state (by labels, so Compose v1 and v2 alike) and history, and
//! each node's strays (docs/operations.md, "Strays").

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::execution::fanout::run_on_nodes;
use crate::inventory;
use crate::plan::history::current_scale;
use crate::plan::strays::{strays, Stray};
use crate::remote::steps::status::{self as status_step, NodeStatus};
use crate::report::status_table::{render_status, StatusRow};
use crate::report::swarm_status::render_swarm_status;
use crate::settings::{GlobalSettings, SelectSettings};

pub fn run(global: &GlobalSettings, select: &SelectSettings) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let selection = select.select(&project)?;
    // Swarm stacks: once each, from their manager (docs/swarm.md).
    let (selection, swarm) = crate::plan::swarm_plan::split_swarm(&project, selection);
    let mut swarm_stacks = Vec::new();
    let mut unreachable = Vec::new();
    for asked in crate::commands::swarm_deploy::status(&project, &swarm)? {
        match asked {
            // In JSON, beside the compose stacks' answers (docs/swarm.md, "status").
            Err(f) if global.json => {
                unreachable.extend(f.nodes.iter().map(|n| (n.clone(), f.message.clone())))
            }
            Err(f) => return Err(Error::on_nodes(f.message, &f.nodes)),
            Ok(status) if global.json => swarm_stacks.push(status),
            Ok(status) => global.printer().out(&render_swarm_status(&status)),
        }
    }
    if !swarm.is_empty() && selection.nodes.is_empty() && !global.json {
        return Ok(0);
    }
    let inv = Arc::new(project.inventory.clone());
    let steps = selection
        .nodes
        .iter()
        .map(|n| (n.node.clone(), status_step::step()))
        .collect();
    let results = crate::commands::runtime()?.block_on(run_on_nodes(
        inv.clone(),
        steps,
        Duration::from_secs(60),
    ));

    let mut rows = Vec::new();
    let mut stray_list: Vec<Stray> = Vec::new();
    for selected in &selection.nodes {
        let Some((_, result)) = results.iter().find(|(n, _)| n == &selected.node) else {
            continue;
        };
        let output = match result {
            Ok(o) => o,
            Err(e) => {
                unreachable.push((selected.node.clone(), e.clone()));
                continue;
            }
        };
        let NodeStatus {
            containers,
            digests,
            history,
        } = status_step::parse(output);
        stray_list.extend(strays(
            &inv,
            &selected.node,
            containers.iter().map(|c| (c.project, c.service)),
            &history,
        ));
        for s in &selected.stacks {
            let project_name = inv.project_name(&s.stack);
            let last = history.iter().rev().find(|r| r.stack == s.stack);
            let last_deploy = last.map_or("-".to_string(), |r| {
                format!("{} by {} ({})", r.time, r.operator, r.result)
            });
            let scale = current_scale(&history, &s.stack);
            let mut any = false;
            for c in &containers {
                let (service, image_ref, image_id, state, health) =
                    (c.service, c.image_ref, c.image_id, c.state, c.health);
                if c.project != project_name
                    || s.services
                        .as_ref()
                        .is_some_and(|list| !list.iter().any(|x| x == service))
                {
                    continue;
                }
                any = true;
                rows.push(StatusRow {
                    node: selected.node.clone(),
                    stack: s.stack.clone(),
                    service: service.to_string(),
                    tag: tag_of(image_ref),
                    digest: digests
                        .get(image_id)
                        .and_then(|d| {
                            d.iter()
                                .find(|x| x.starts_with(repo_of(image_ref)))
                                .or(d.first())
                        })
                        .map_or("-".to_string(), |d| short_digest(d)),
                    state: state.to_string(),
                    health: health.to_string(),
                    scale,
                    last_deploy: last_deploy.clone(),
                });
            }
            if !any {
                rows.push(StatusRow {
                    node: selected.node.clone(),
                    stack: s.stack.clone(),
                    service: "-".into(),
                    tag: "-".into(),
                    digest: "-".into(),
                    state: "not deployed".into(),
                    health: "-".into(),
                    scale,
                    last_deploy,
                });
            }
        }
    }
    rows.sort_by(|a, b| (&a.node, &a.stack, &a.service).cmp(&(&b.node, &b.stack, &b.service)));
    let printer = global.printer();
    if global.json {
        let unreachable: Vec<_> = unreachable
            .iter()
            .map(|(n, e)| serde_json::json!({"node": n, "error": e}))
            .collect();
        printer.out(
            &serde_json::to_string_pretty(
                &serde_json::json!({"services": rows, "swarm": swarm_stacks, "strays": stray_list, "unreachable": unreachable}),
            )
            .expect("serializes"),
        );
    } else {
        printer.out_rendered(&render_status(&rows, &stray_list, &unreachable));
    }
    if unreachable.is_empty() {
        return Ok(0);
    }
    let nodes: Vec<&str> = unreachable.iter().map(|(n, _)| n.as_str()).collect();
    Err(Error::on_nodes(
        format!("status: no answer from {}", nodes.join(", ")),
        &nodes,
    ))
}

/// `reg/ns/name:tag` → `tag` (a digest reference keeps its digest).
fn tag_of(image_ref: &str) -> String {
    let last = image_ref.rsplit('/').next().unwrap_or(image_ref);
    match last.split_once(':') {
        Some((_, tag)) => tag.to_string(),
        None => "latest".to_string(),
    }
}

/// `reg/ns/name:tag` → `reg/ns/name@`, to pick the digest of that repository.
fn repo_of(image_ref: &str) -> &str {
    let cut = image_ref
        .rfind(':')
        .filter(|i| !image_ref[*i..].contains('/'))
        .unwrap_or(image_ref.len());
    &image_ref[..cut]
}

/// `repo@sha256:abcdef…` → `sha256:abcdef012345`.
fn short_digest(digest: &str) -> String {
    let d = digest.rsplit('@').next().unwrap_or(digest);
    d.chars().take(19).collect()
}

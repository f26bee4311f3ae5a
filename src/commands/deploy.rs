//! `homectl deploy`: two phases over all selected nodes in parallel
//! (docs/operations.md, "Deploying"). Phase 1 everywhere, then phase 2 only if every
//! node passed phase 1.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::execution::deploy_phases::deploy_nodes;
use crate::execution::interrupt::Interrupt;
use crate::execution::node_deploy::{DeployContext, Target};
use crate::execution::operator::operator;
use crate::execution::transport::Transport;
use crate::inventory::Project;
use crate::plan::node_plan::{plan_node, Request};
use crate::plan::node_state::NodeState;
use crate::plan::plan_changes::changes;
use crate::plan::Selection;
use crate::remote::steps::lib::Login;
use crate::remote::steps::{hooks, pin, pull, round, stage};
use crate::report::plan_summary::render_plan;
use crate::report::progress::Progress;
use crate::secrets::{resolve_all, ProviderSettings, SecretValue, Secrets};
use crate::settings::{DeploySettings, GlobalSettings};

/// A deploy, or a rollback (`DeploySettings::rollback`: two phases, locks,
/// health wait, automatic rollback, history marked "rollback").
pub fn run(global: &GlobalSettings, settings: DeploySettings) -> Result<i32> {
    let DeploySettings {
        project,
        selection,
        target,
        tag,
        scale,
        dry_run: dry,
        no_rollback,
        force,
    } = settings;
    let printer = global.printer();
    let refs = selection.secret_references(&project);
    // Swarm stacks deploy once each, through a manager (docs/swarm.md).
    let (selection, swarm) = crate::plan::swarm_plan::split_swarm(&project, selection);

    if dry {
        let (mut text, mut json) = dry_run(&project, &selection, target, &tag, scale)?;
        for t in &swarm {
            let (more, plan) = crate::plan::swarm_dry_run::swarm_dry_run(&project, t, &tag, scale);
            text.push_str(&more);
            json["swarm"]
                .as_array_mut()
                .map(|a| a.push(plan.clone()))
                .unwrap_or_else(|| json["swarm"] = serde_json::json!([plan]));
        }
        if printer.json {
            printer.json_line(&json);
        } else {
            printer.out(&text);
        }
        return Ok(0);
    }

    // Every secret resolves before any node is touched (one `op` call).
    let settings = ProviderSettings {
        exec: project.inventory.secrets_exec.clone(),
    };
    let secrets = resolve_all(&refs, &settings)
        .map_err(|e| Error::runtime(format!("secrets: {e}\nno node was touched")))?;
    crate::commands::secrets_in_files::refuse_secrets_in_files(&project, &selection, &secrets)?;
    if !swarm.is_empty() {
        crate::commands::swarm_deploy::run(
            &project, &swarm, &tag, scale, &secrets, printer, target,
        )?;
        if selection.nodes.is_empty() {
            return Ok(0);
        }
    }

    let nodes: Vec<String> = selection.nodes.iter().map(|n| n.node.clone()).collect();
    let progress = Arc::new(Progress::new(printer, &nodes));
    let runtime = crate::commands::runtime()?;
    runtime.block_on(async move {
        let note = progress.clone();
        let interrupt = Interrupt::listen(move || {
            note.note("interrupted: finishing the steps in flight (Ctrl-C again to stop waiting)")
        });
        let ctx = Arc::new(DeployContext {
            target,
            project: Arc::new(project),
            tag: tag.clone(),
            scale,
            no_rollback,
            force,
            secrets,
            progress: progress.clone(),
            interrupt: interrupt.clone(),
            operator: operator(),
            transport: Transport::Ssh,
        });

        deploy_nodes(ctx, selection.nodes).await
    })
}

/// The plan of each node with its remote commands; secrets as `***`. As
/// text, and as one JSON document for `--json` (the same steps, each
/// step's text as `--dry-run` prints it). Connects to nothing: the planner
/// sees a node that runs nothing, so the scale is `--scale`, else the
/// inventory's, and every file travels.
fn dry_run(
    project: &Project,
    selection: &Selection,
    target: Target,
    tag: &str,
    scale: Option<u32>,
) -> Result<(String, serde_json::Value)> {
    let inv = &project.inventory;
    let hidden = Secrets::new();
    let login = Login {
        server: &inv.registry.server,
        username: &inv.registry.username,
        password: SecretValue::new(String::new()),
    };
    let request = Request {
        target,
        tag,
        scale,
        force: false,
        secrets: &hidden,
    };
    let unknown = NodeState::default();
    let mut out = format!("# dry run: tag {tag}; nothing is changed and no node is contacted\n");
    let mut plans = Vec::new();
    let mut summary = Vec::new();
    let mut commands = String::new();
    for selected in &selection.nodes {
        let node = &inv.nodes[&selected.node];
        let stack_plans = plan_node(project, selected, &unknown, &request)
            .map_err(|e| Error::runtime(format!("{}: {e}", node.name)))?;
        for plan in stack_plans {
            // The summary of what it can say without the node.
            let mut changes = changes(project, &node.name, &plan, &unknown, None, &hidden);
            changes.why = None;
            summary.push(changes);
            let out = &mut commands;
            let d = &plan.deploy;
            let stack = &project.stacks[&d.stack];
            let n = d.scale;
            out.push_str(&format!(
                "\n## {} ({}): stack {} at scale {n}{}: services {}{}\n",
                node.name,
                node.host,
                stack.name,
                if scale.is_none() {
                    " (or the scale it runs at now)"
                } else {
                    ""
                },
                d.services.join(", "),
                if d.remove.is_empty() {
                    String::new()
                } else {
                    format!("; removes {}", d.remove.join(", "))
                }
            ));
            let files: Vec<&str> = stack.folder.files.iter().map(|f| f.path.as_str()).collect();
            out.push_str(&format!(
                "# files shipped ({}, version {}): {}\n",
                files.len(),
                stack.folder.version,
                files.join(", ")
            ));
            let lines: Vec<String> = plan
                .stage
                .iter()
                .flatten()
                .map(|f| f.line.clone())
                .collect();
            let mut steps = vec![
                stage::step(d, &lines, Vec::new()),
                match &plan.pins {
                    Some(pins) => pin::step(d, &hidden, &login, pins),
                    None => pull::step(d, &hidden, &login),
                },
            ];
            steps.extend(hooks::steps(d, &hidden));
            for round in &plan.rounds {
                let (up, health) = round::steps(
                    round,
                    &hidden,
                    stack.health.url.as_deref(),
                    stack.health.timeout.as_secs(),
                );
                steps.push(up);
                steps.extend(health);
            }
            let mut json_steps = Vec::new();
            for step in steps {
                let text = step.to_string().replace(
                    crate::remote::steps::lib::LIB,
                    "# (homectl's shell functions: src/remote/scripts/lib.sh)\n",
                );
                out.push_str(&format!("{text}\n\n"));
                json_steps.push(serde_json::json!({ "step": step.name, "commands": text }));
            }
            plans.push(serde_json::json!({
                "node": node.name, "host": node.host, "stack": stack.name, "scale": n,
                "scale_from_node": scale.is_none(), "services": d.services, "remove": d.remove,
                "files": files, "files_version": stack.folder.version, "steps": json_steps,
            }));
        }
    }
    out.push_str(&render_plan(&summary, "# "));
    out.push_str(&commands);
    let json =
        serde_json::json!({ "dry_run": true, "tag": tag, "summary": summary, "plans": plans });
    Ok((out, json))
}

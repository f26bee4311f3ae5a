//! `homectl deploy`: two phases over all selected nodes in parallel
//! (docs/operations.md, "Deploying"). Phase 1 everywhere, then phase 2 only if every
//! node passed phase 1.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::execution::interrupt::Interrupt;
use crate::execution::moved_stacks::strays_elsewhere;
use crate::execution::node_deploy::{prepare, DeployContext, NodeFailure};
use crate::execution::operator::operator;
use crate::inventory::Project;
use crate::plan::deploy_plan::plan_stack;
use crate::plan::moved_stacks::moved_stack_warnings;
use crate::plan::Selection;
use crate::remote::steps::lib::Login;
use crate::remote::steps::{health, hooks, pull, stage, up};
use crate::report::progress::Progress;
use crate::secrets::{resolve_all, ProviderSettings, SecretValue, Secrets};
use crate::settings::{DeploySettings, GlobalSettings};

/// How long a deploy waits, after its nodes applied, for the other nodes'
/// answer about moved stacks (they were asked while the nodes applied).
const MOVED_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

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
        let (mut text, mut json) = dry_run(&project, &selection, &tag, scale);
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
        let by_history = target == crate::execution::node_deploy::Target::RollbackByHistory;
        crate::commands::swarm_deploy::run(
            &project, &swarm, &tag, scale, &secrets, printer, by_history,
        )?;
        if selection.nodes.is_empty() {
            return Ok(0);
        }
    }

    let nodes: Vec<String> = selection.nodes.iter().map(|n| n.node.clone()).collect();
    // The stacks of this deploy, for the moved-stack warning.
    let stacks: BTreeSet<String> = (selection.nodes.iter())
        .flat_map(|n| n.stacks.iter().map(|s| s.stack.clone()))
        .collect();
    let progress = Arc::new(Progress::new(printer, &nodes));
    let runtime = crate::commands::runtime()?;
    runtime.block_on(async move {
        let note = progress.clone();
        let interrupt = Interrupt::listen(move || note.note("interrupted: finishing the steps in flight (Ctrl-C again to stop waiting)"));
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
        });

        // Phase 1: prepare every node.
        let tasks: Vec<_> = selection.nodes.into_iter().map(|n| tokio::spawn(prepare(ctx.clone(), n))).collect();
        let mut prepared = Vec::new();
        let mut failures: Vec<(String, NodeFailure)> = Vec::new();
        for (task, node) in tasks.into_iter().zip(&nodes) {
            match task.await {
                Ok(Ok(p)) => prepared.push(p),
                Ok(Err(f)) => failures.push((node.clone(), f)),
                Err(e) => failures.push((node.clone(), NodeFailure { step: "prepare".into(), reason: format!("internal error: {e}"), interrupted: false })),
            }
        }
        if !failures.is_empty() || interrupt.is_set() {
            for p in prepared {
                let name = p.name().to_string();
                p.release(&ctx).await;
                progress.finish(&name, false, "not deployed: another node failed to prepare (nothing changed)");
            }
            for (node, f) in &failures {
                progress.finish(node, false, &format!("{}: {}", f.step, first_line(&f.reason)));
            }
            let interrupted = interrupt.is_set();
            let list = failures.iter().map(|(n, f)| format!("  {n} ({}): {}", f.step, f.reason.replace('\n', "\n    "))).collect::<Vec<_>>().join("\n");
            return if interrupted {
                Err(Error::Interrupted)
            } else {
                {
                let nodes: Vec<&str> = failures.iter().map(|(n, _)| n.as_str()).collect();
                Err(Error::on_nodes(format!("prepare failed on {}; nothing changed on any node, every lock released\n{list}", nodes.join(", ")), &nodes))
            }
            };
        }

        // While the nodes apply: do the deployed stacks still run elsewhere?
        let moved = tokio::spawn(strays_elsewhere(
            Arc::new(ctx.project.inventory.clone()),
            stacks.clone(),
            nodes.iter().cloned().collect(),
        ));
        // Phase 2: apply on every node.
        let tasks: Vec<_> = prepared.into_iter().map(|p| tokio::spawn(p.apply(ctx.clone()))).collect();
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
        let list = failed.iter().map(|(n, f)| format!("  {n} ({}): {}", f.step, f.reason.replace('\n', "\n    "))).collect::<Vec<_>>().join("\n");
        let nodes: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
        Err(Error::on_nodes(format!("deploy failed on {}\n{list}", nodes.join(", ")), &nodes))
    })
}

/// The plan of each node with its remote commands; secrets as `***`. As
/// text, and as one JSON document for `--json` (the same steps, each
/// step's text as `--dry-run` prints it). Connects to nothing, so the scale
/// is `--scale`, else the inventory's.
fn dry_run(
    project: &Project,
    selection: &Selection,
    tag: &str,
    scale: Option<u32>,
) -> (String, serde_json::Value) {
    let inv = &project.inventory;
    let hidden = Secrets::new();
    let login = Login {
        server: &inv.registry.server,
        username: &inv.registry.username,
        password: SecretValue::new(String::new()),
    };
    let mut out = format!("# dry run: tag {tag}; nothing is changed and no node is contacted\n");
    let mut plans = Vec::new();
    for selected in &selection.nodes {
        let node = &inv.nodes[&selected.node];
        for s in &selected.stacks {
            let stack = &project.stacks[&s.stack];
            let n = scale.or(node.scale).unwrap_or(1).min(stack.max_scale);
            let d = plan_stack(inv, node, stack, s.services.as_deref(), tag, n);
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
            // Without a node, every file counts as one that travels.
            let plan = crate::plan::folder_changes::stage_plan(
                &stack.folder,
                &crate::plan::folder_changes::NodeFolder::default(),
            )
            .unwrap_or_default();
            let files: Vec<&str> = stack.folder.files.iter().map(|f| f.path.as_str()).collect();
            out.push_str(&format!(
                "# files shipped ({}, version {}): {}\n",
                files.len(),
                stack.folder.version,
                files.join(", ")
            ));
            let lines: Vec<String> = plan.iter().map(|f| f.line.clone()).collect();
            let mut steps = vec![
                stage::step(&d, &lines, Vec::new()),
                pull::step(&d, &hidden, &login),
            ];
            steps.extend(hooks::steps(&d, &hidden));
            if stack.rolling && !d.services.is_empty() {
                // One up and health a round (docs/stacks.md, "Rolling updates").
                let plans = up::rolling_rounds(&d);
                let count = plans.len();
                for (i, plan) in plans.iter().enumerate() {
                    steps.push(up::round_step(up::step(plan, &hidden), i + 1, count));
                    if !plan.services.is_empty() {
                        steps.push(up::round_step(
                            health::step(
                                plan,
                                stack.health.url.as_deref(),
                                stack.health.timeout.as_secs(),
                            ),
                            i + 1,
                            count,
                        ));
                    }
                }
            } else {
                steps.push(up::step(&d, &hidden));
                steps.push(health::step(
                    &d,
                    stack.health.url.as_deref(),
                    stack.health.timeout.as_secs(),
                ));
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
    let json = serde_json::json!({ "dry_run": true, "tag": tag, "plans": plans });
    (out, json)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

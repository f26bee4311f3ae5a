//! `homectl plan TARGET [NAME...] [--tag T] [--scale N]`: what a deploy
//! would change, per node and stack (docs/operations.md, "plan"). Read-only:
//! no lock, one connection per node, all nodes at once; the node's state
//! and the registry's digests (asked from the node, never a pull) go
//! through the same planner as `deploy` (`plan::node_plan`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::execution::swarm_plan;
use crate::execution::swarm_session::{SwarmContext, SwarmFailure};
use crate::inventory::Project;
use crate::plan::node_plan::{plan_node, Request, Target};
use crate::plan::node_state::NodeState;
use crate::plan::plan_changes::{changes, registry_questions, StackChanges};
use crate::plan::swarm_changes::SwarmChanges;
use crate::plan::swarm_plan::SwarmTarget;
use crate::plan::SelectedNode;
use crate::remote::steps::lib::Login;
use crate::remote::steps::{plan as plan_step, state};
use crate::report::plan_summary::render_plan;
use crate::report::swarm_plan_summary::render_swarm_plan;
use crate::secrets::{resolve_all, ProviderSettings, Secrets};
use crate::settings::{GlobalSettings, PlanSettings};

const STEP_TIMEOUT: Duration = Duration::from_secs(120);

pub fn run(global: &GlobalSettings, settings: PlanSettings) -> Result<i32> {
    let PlanSettings {
        project,
        selection,
        tag,
        scale,
    } = settings;
    let printer = global.printer();
    // The values are needed to tell which changed (compared salted, per
    // name). They are resolved while the connections open: no step runs
    // on a node before they are here.
    let refs = selection.secret_references(&project);
    let provider = ProviderSettings {
        exec: project.inventory.secrets_exec.clone(),
    };
    let (resolved_tx, resolved) = watch::channel(None);
    let resolver = std::thread::spawn(move || {
        let result = resolve_all(&refs, &provider).map(Arc::new);
        let shared = result.as_ref().map(Arc::clone).map_err(|_| ());
        resolved_tx.send_replace(Some(shared));
        result
    });

    let (selection, swarm) = crate::plan::swarm_plan::split_swarm(&project, selection);
    let runtime = crate::commands::runtime()?;
    let project = Arc::new(project);
    let (results, swarm_results) = runtime.block_on(async {
        let tasks: Vec<_> = selection
            .nodes
            .iter()
            .cloned()
            .map(|selected| {
                let (project, resolved, tag) = (project.clone(), resolved.clone(), tag.clone());
                tokio::spawn(async move {
                    let node = selected.node.clone();
                    (
                        node,
                        plan_on(&project, &selected, resolved, &tag, scale).await,
                    )
                })
            })
            .collect();
        // Swarm stacks: once each, through their manager (docs/swarm.md,
        // "plan"), beside the nodes' plans, once the secrets are here.
        let swarm_results = match resolved_secrets(resolved.clone()).await {
            Some(secrets) => swarm_plans(&project, &swarm, &secrets, &tag, scale).await,
            None => Vec::new(),
        };
        let mut results = Vec::new();
        for task in tasks {
            match task.await {
                Ok(r) => results.push(r),
                Err(e) => results.push(("?".into(), Err(format!("internal error: {e}")))),
            }
        }
        (results, swarm_results)
    });
    // The provider's error, once (the nodes' and swarm stacks' plans
    // stopped before any step).
    match resolver.join() {
        Ok(result) => {
            result.map_err(|e| Error::runtime(format!("secrets: {e}\nno node was touched")))?;
        }
        Err(_) => {
            return Err(Error::runtime(
                "internal error: the secrets resolver panicked",
            ))
        }
    };

    let mut all: Vec<StackChanges> = Vec::new();
    let mut swarm_all: Vec<SwarmChanges> = Vec::new();
    let mut failed = Vec::new();
    for result in swarm_results {
        match result {
            Ok(changes) => swarm_all.push(changes),
            Err(f) => failed.extend(f.nodes.iter().map(|n| (n.clone(), f.message.clone()))),
        }
    }
    for (node, result) in results {
        match result {
            Ok(list) => all.extend(list),
            Err(e) => failed.push((node, e)),
        }
    }
    if printer.json {
        let errors: Vec<_> = failed
            .iter()
            .map(|(n, e)| serde_json::json!({ "node": n, "error": e }))
            .collect();
        printer.json_line(
            &serde_json::json!({ "tag": tag, "plans": all, "swarm": swarm_all, "errors": errors }),
        );
    } else {
        let text = format!("{}{}", render_plan(&all, ""), render_swarm_plan(&swarm_all));
        printer.out(text.trim_end());
    }
    if failed.is_empty() {
        return Ok(0);
    }
    let nodes: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    let list: Vec<String> = failed.iter().map(|(n, e)| format!("  {n}: {e}")).collect();
    Err(Error::on_nodes(
        format!(
            "plan could not ask {}\n{}",
            nodes.join(", "),
            list.join("\n")
        ),
        &nodes,
    ))
}

/// Each swarm stack through its manager, all at once.
async fn swarm_plans(
    project: &Project,
    targets: &[SwarmTarget],
    secrets: &Secrets,
    tag: &str,
    scale: Option<u32>,
) -> Vec<std::result::Result<SwarmChanges, SwarmFailure>> {
    let ctx = SwarmContext::read_only(project, tag, scale, secrets);
    futures_util::future::join_all(targets.iter().map(|target| swarm_plan::plan(&ctx, target)))
        .await
}

/// The secrets once resolved (`None` if the provider failed: the command
/// then reports why, once).
type Resolved = watch::Receiver<Option<std::result::Result<Arc<Secrets>, ()>>>;

/// What a node's task says when the secrets could not be resolved (not
/// shown: the provider's error is).
const SECRETS_FAILED: &str = "the secrets are not resolved";

async fn resolved_secrets(mut resolved: Resolved) -> Option<Arc<Secrets>> {
    let answer = resolved.wait_for(Option::is_some).await.ok()?;
    answer.as_ref()?.as_ref().ok().cloned()
}

/// One node: its state and the registry's answers, in one step; then the
/// planner and the changes of each stack.
async fn plan_on(
    project: &Project,
    selected: &SelectedNode,
    resolved: Resolved,
    tag: &str,
    scale: Option<u32>,
) -> std::result::Result<Vec<StackChanges>, String> {
    let inv = &project.inventory;
    let node = &inv.nodes[&selected.node];
    let projects: Vec<String> = selected
        .stacks
        .iter()
        .map(|s| inv.project_name(&s.stack))
        .collect();
    let stacks: Vec<String> = selected.stacks.iter().map(|s| s.stack.clone()).collect();
    let (refs, urls) = registry_questions(project, selected, tag);
    let mut session = NodeSession::open(inv, node, false).await?;
    let Some(secrets) = resolved_secrets(resolved).await else {
        session.close().await;
        return Err(SECRETS_FAILED.into());
    };
    let secrets = secrets.as_ref();
    let password = secrets
        .get(&inv.registry.password)
        .cloned()
        .ok_or("the registry password is not resolved")?;
    let login = Login {
        server: &inv.registry.server,
        username: &inv.registry.username,
        password,
    };
    let ask = plan_step::step(&login, &refs, &urls, &projects, &stacks);
    let output = session.run(&ask, STEP_TIMEOUT).await;
    session.close().await;
    let output = output?;
    let state: NodeState = state::parse(&output);
    let answers = plan_step::parse(&output);
    if let Some(why) = &answers.registry_error {
        return Err(format!("registry: {}", secrets.mask(why)));
    }
    let request = Request {
        target: Target::Tag,
        tag,
        scale,
        force: false,
        secrets,
    };
    let plans = plan_node(project, selected, &state, &request)?;
    Ok(plans
        .iter()
        .map(|p| changes(project, &node.name, p, &state, Some(&answers), secrets))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_node_waits_for_the_secrets_and_learns_when_they_failed() {
        let (tx, rx) = watch::channel(None);
        let waiting = tokio::spawn(resolved_secrets(rx.clone()));
        tx.send_replace(Some(Ok(Arc::new(Secrets::default()))));
        assert!(
            waiting.await.unwrap().is_some(),
            "resolved: the node goes on"
        );

        let (tx, rx) = watch::channel(None);
        let waiting = tokio::spawn(resolved_secrets(rx));
        tx.send_replace(Some(Err(())));
        assert!(waiting.await.unwrap().is_none(), "failed: the node stops");

        let (tx, rx) = watch::channel::<Option<std::result::Result<Arc<Secrets>, ()>>>(None);
        drop(tx);
        assert!(
            resolved_secrets(rx).await.is_none(),
            "resolver gone: no hang"
        );
    }
}

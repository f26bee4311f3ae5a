//! The deploy of a swarm stack (docs/swarm.md, "A deploy"): prepare on
//! every node of the stack (connect, lock, find the manager, pull with a
//! throw-away login: by tag on the manager, by digest on the others); if
//! one fails nothing changes. Then through the manager: `docker stack
//! deploy` of the file with every image pinned, the wait until Swarm has
//! converged or rolled back, and the record in the manager's history.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::node_deploy::HOOK_TIMEOUT;
use super::node_session::NodeSession;
use futures_util::future::join_all;

use super::reporter::Status;
use super::swarm_deploy_prune::after_deploy;
use super::swarm_history::{record, rollback_images};
use super::swarm_session::{
    close_all, fail, manager_of, open_all, SwarmContext, SwarmFailure, STEP_TIMEOUT,
};
use crate::plan::deploy_plan::plan_stack;
use crate::plan::swarm_hooks::swarm_hooks;
use crate::plan::swarm_plan::{
    decide, deploy_document, service_images, services_to_deploy, SwarmTarget,
};
use crate::plan::swarm_stalled::{unsettled, Stall, STALLED};
use crate::plan::swarm_state::{verdict, SwarmService, Verdict};
use crate::remote::steps::lib::Login;
use crate::remote::steps::swarm_deploy::SwarmDeployInput;
use crate::remote::steps::swarm_hook::SwarmHookInput;
use crate::remote::steps::{swarm_deploy, swarm_hook, swarm_pull, swarm_state};

/// Between two looks at the manager (each takes a few docker calls there):
/// short, so the end of a convergence is seen soon after it happens.
const POLL: Duration = Duration::from_millis(300);
/// The least time a deploy waits for Swarm: an update with a rollback
/// takes about half a minute on the lab (docs/swarm.md).
pub(crate) const MIN_WAIT: Duration = Duration::from_secs(180);

/// Deploys one swarm stack. Ok: the summary line.
pub async fn deploy(ctx: &SwarmContext<'_>, target: &SwarmTarget) -> Result<String, SwarmFailure> {
    let mut sessions = open_all(ctx, target, true).await?;
    let result = run(ctx, target, &mut sessions).await;
    close_all(sessions).await;
    result
}

async fn run(
    ctx: &SwarmContext<'_>,
    target: &SwarmTarget,
    sessions: &mut BTreeMap<String, NodeSession>,
) -> Result<String, SwarmFailure> {
    let inv = &ctx.project.inventory;
    let stack = &ctx.project.stacks[&target.stack];
    let mask = |text: &str| ctx.secrets.mask(text);
    let event = |node: &str, step: &str, status: Status, detail: &str| {
        ctx.progress.event(node, step, status, None, detail)
    };

    // Prepare 2: every node's place in the Swarm; the manager.
    let manager = manager_of(ctx, target, sessions).await?;

    // The images: each service's reference; the stack's current state.
    let manager_node = &inv.nodes[&manager];
    let plan = plan_stack(inv, manager_node, stack, None, ctx.tag, 1);
    let mut env = plan.env.clone();
    env.remove("HOMECTL_NODE");
    let mut refs =
        service_images(ctx.project, &target.stack, &env).map_err(|e| fail(e, &[&manager]))?;
    let previous;
    let rolled;
    let ctx = if ctx.target == crate::plan::node_plan::Target::RollbackByHistory {
        let session = sessions.get_mut(&manager).expect("opened");
        let (tag, images) = rollback_images(session, &target.stack)
            .await
            .map_err(|e| fail(e, &[&manager]))?;
        for (service, image) in images {
            refs.insert(service, image);
        }
        previous = tag;
        rolled = SwarmContext {
            tag: &previous,
            ..ctx.clone()
        };
        &rolled
    } else {
        ctx
    };
    let state_out = sessions
        .get_mut(&manager)
        .expect("opened")
        .run(&swarm_state::step(&plan.project), STEP_TIMEOUT)
        .await
        .map_err(|e| fail(mask(&e), &[&manager]))?;
    let before = swarm_state::parse(&state_out, &plan.project);
    let decision = decide(&refs, &before, target.services.as_deref());
    let to_pull = &decision.to_pull;

    // Prepare 3: pull, by tag on the manager, then by digest elsewhere.
    let login = Login {
        server: &inv.registry.server,
        username: &inv.registry.username,
        password: ctx
            .secrets
            .get(&inv.registry.password)
            .cloned()
            .unwrap_or_else(|| crate::secrets::SecretValue::new(String::new())),
    };
    event(&manager, "pull", Status::Started, "");
    let out = sessions
        .get_mut(&manager)
        .expect("opened")
        .run(
            &swarm_pull::step(&target.stack, to_pull, &login),
            STEP_TIMEOUT,
        )
        .await
        .map_err(|e| {
            fail(
                format!("{manager}: {}; nothing changed", mask(&e)),
                &[&manager],
            )
        })?;
    let digests = swarm_pull::parse(&out);
    let mut pins = BTreeMap::new();
    for r in to_pull {
        let d = digests.get(r).ok_or_else(|| {
            fail(
                format!("{manager}: the pull gave no digest for {r}; nothing changed"),
                &[&manager],
            )
        })?;
        pins.insert(r.clone(), d.clone());
    }
    event(&manager, "pull", Status::Ok, "");
    let by_digest: Vec<String> = pins.values().cloned().collect();
    let others: Vec<String> = target
        .nodes
        .iter()
        .filter(|n| **n != manager)
        .cloned()
        .collect();
    let pulls = join_all(
        sessions
            .iter_mut()
            .filter(|(n, _)| others.contains(n))
            .map(|(n, s)| {
                let step = swarm_pull::step(&target.stack, &by_digest, &login);
                async move { (n.clone(), s.run(&step, STEP_TIMEOUT).await) }
            }),
    )
    .await;
    let failed: Vec<(String, String)> = pulls
        .into_iter()
        .filter_map(|(n, r)| r.err().map(|e| (n, mask(&e))))
        .collect();
    if !failed.is_empty() {
        return Err(fail(
            format!(
                "pull failed; nothing changed on any node:\n{}",
                failed
                    .iter()
                    .map(|(n, e)| format!("  {n}: {e}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            &failed.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ));
    }
    for n in &others {
        event(n, "pull", Status::Ok, "");
    }
    if ctx.interrupt.is_set() {
        return Err(SwarmFailure {
            message: "interrupted before the deploy; nothing changed".into(),
            nodes: vec![],
            interrupted: true,
        });
    }

    // Apply: the file with every image pinned; replicas of scale_services.
    let services = services_to_deploy(stack, &refs, &decision, &pins, &before, ctx.scale);
    let wanted: BTreeMap<String, String> = services
        .iter()
        .map(|(s, d)| (s.clone(), d.image.clone()))
        .collect();
    // Services outside a NAME narrowing that run already stay out of the
    // file: `docker stack deploy` (without --prune) leaves them as they are,
    // where listing them would update their spec (a new version) anyway.
    let document = without_services(&stack.compose.document, decision.kept.keys());
    let mut services = services;
    for service in decision.kept.keys() {
        services.remove(service);
    }
    let document = deploy_document(&document, &services, &stack.before_up)
        .map_err(|e| fail(e, &[&manager]))?;
    let file = serde_yaml_ng::to_string(&document).map_err(|e| {
        fail(
            format!("cannot write the deployed compose file: {e}"),
            &[&manager],
        )
    })?;
    let hooks = swarm_hooks(&stack.before_up, &document, &plan.project)
        .map_err(|e| fail(e, &[&manager]))?;
    let started = Instant::now();
    let configs = read_configs(stack).map_err(|e| fail(e, &[&manager]))?;
    let session = sessions.get_mut(&manager).expect("opened");

    // The hooks, one-off containers on the manager; a failed one: the
    // stack is not deployed (its services run as they did).
    for hook in &hooks {
        let step = swarm_hook::step(
            hook,
            &SwarmHookInput {
                project: &plan.project,
                env: &env,
                secret_vars: &plan.secrets,
                secrets: ctx.secrets,
                configs: &configs,
            },
        );
        let name = format!("hook {}", hook.service);
        event(&manager, &name, Status::Started, "");
        if let Err(e) = session.run(&step, HOOK_TIMEOUT).await {
            let message = format!("not deployed, its services run as before: {}", mask(&e));
            event(&manager, &name, Status::Failed, "");
            record(
                ctx,
                session,
                target,
                &manager,
                ctx.kind(),
                "failed",
                &message,
                &wanted,
                started,
            )
            .await;
            return Err(fail(
                format!("stack {} ({manager}): {message}", target.stack),
                &[&manager],
            ));
        }
        event(&manager, &name, Status::Ok, "");
    }
    let step = swarm_deploy::step(&SwarmDeployInput {
        project: &plan.project,
        file: &file,
        env: &env,
        secret_vars: &plan.secrets,
        secrets: ctx.secrets,
        configs: &configs,
    });
    event(&manager, "stack deploy", Status::Started, "");
    if let Err(e) = session.run(&step, STEP_TIMEOUT).await {
        let message = mask(&e);
        record(
            ctx,
            session,
            target,
            &manager,
            ctx.kind(),
            "failed",
            &message,
            &wanted,
            started,
        )
        .await;
        return Err(fail(format!("{manager}: {message}"), &[&manager]));
    }
    event(&manager, "stack deploy", Status::Ok, "");

    // Wait until Swarm converges or has rolled back.
    event(&manager, "converge", Status::Started, "");
    let deadline = started + stack.health.timeout.max(MIN_WAIT);
    let (result, detail, state) =
        wait_converged(ctx, session, &plan.project, &wanted, started, deadline)
            .await
            .map_err(|e| fail(e, &[&manager]))?;
    record(
        ctx,
        session,
        target,
        &manager,
        ctx.kind(),
        result,
        &detail,
        &wanted,
        started,
    )
    .await;
    let nodes = nodes_of_tasks(&state);
    match result {
        "ok" => {
            event(&manager, "converge", Status::Ok, "");
            let pruned = after_deploy(ctx, &target.stack, &manager, sessions).await;
            let freed: Vec<String> = pruned
                .iter()
                .map(|(node, line)| format!("{node} {line}"))
                .collect();
            Ok(format!(
                "stack {} converged through {manager}: {}; tasks on {}{}",
                target.stack,
                summary(&state),
                nodes.join(", "),
                if freed.is_empty() {
                    String::new()
                } else {
                    format!("; {}", freed.join("; "))
                }
            ))
        }
        "interrupted" => Err(SwarmFailure {
            message: format!("stack {}: {detail}", target.stack),
            nodes: vec![manager.clone()],
            interrupted: true,
        }),
        _ => {
            event(&manager, "converge", Status::Failed, &detail);
            let what = if result == "rolled-back" {
                "the update failed and Swarm rolled it back"
            } else {
                "the update did not converge"
            };
            Err(fail(
                format!("stack {} ({manager}): {what}: {detail}", target.stack),
                &[&manager],
            ))
        }
    }
}

/// Polls the manager until every service of `wanted` (service → image)
/// has converged, Swarm rolled it back, the deadline passed or Ctrl-C:
/// (result, detail, last state).
pub(crate) async fn wait_converged(
    ctx: &SwarmContext<'_>,
    session: &mut NodeSession,
    project: &str,
    wanted: &BTreeMap<String, String>,
    started: Instant,
    deadline: Instant,
) -> Result<(&'static str, String, BTreeMap<String, SwarmService>), String> {
    let mask = |text: &str| ctx.secrets.mask(text);
    let mut stall = Stall::default();
    loop {
        let out = session
            .run(&swarm_state::step(project), STEP_TIMEOUT)
            .await
            .map_err(|e| mask(&e))?;
        let state = swarm_state::parse(&out, project);
        let verdict = verdict(&state, wanted);
        if verdict == Verdict::Pending {
            if let Some(away) = stall.check(Instant::now(), &out, &state, wanted) {
                let detail = format!(
                    "Swarm node {} not Ready and no task changed for {}s: the update of {} waits for it; Swarm goes on with it (or rolls it back) once the node is back: {}",
                    away.join(", "),
                    STALLED.as_secs(),
                    unsettled(&state, wanted).join(", "),
                    summary(&state)
                );
                return Ok(("failed", mask(&detail), state));
            }
        }
        match verdict {
            Verdict::Converged => return Ok(("ok", String::new(), state)),
            Verdict::Failed(why) => {
                let text = why
                    .iter()
                    .map(|(s, w)| format!("{s}: {w}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Ok(("rolled-back", mask(&text), state));
            }
            Verdict::Pending if ctx.interrupt.is_set() => {
                return Ok((
                    "interrupted",
                    "interrupted: the update goes on in Swarm".to_string(),
                    state,
                ))
            }
            Verdict::Pending if Instant::now() > deadline => {
                let detail = format!(
                    "not converged within {}s: {}",
                    deadline.duration_since(started).as_secs(),
                    mask(&summary(&state))
                );
                return Ok(("failed", detail, state));
            }
            Verdict::Pending => tokio::time::sleep(POLL).await,
        }
    }
}

/// The compose document without these services.
fn without_services<'a>(
    document: &serde_yaml_ng::Value,
    names: impl Iterator<Item = &'a String>,
) -> serde_yaml_ng::Value {
    let mut doc = document.clone();
    if let Some(serde_yaml_ng::Value::Mapping(list)) = doc.get_mut("services") {
        for name in names {
            list.remove(name.as_str());
        }
    }
    doc
}

/// The files the stack's `configs:` read, from its folder: (path, bytes).
fn read_configs(stack: &crate::inventory::Stack) -> Result<Vec<(String, Vec<u8>)>, String> {
    crate::plan::swarm_plan::config_files(&stack.compose.document)?
        .into_iter()
        .map(|path| {
            std::fs::read(stack.dir.join(&path))
                .map(|bytes| (path.clone(), bytes))
                .map_err(|e| {
                    format!(
                        "stack {}: cannot read {path} for its configs: {e}",
                        stack.name
                    )
                })
        })
        .collect()
}

/// `service running/desired` for each service.
pub(crate) fn summary(state: &BTreeMap<String, SwarmService>) -> String {
    state
        .iter()
        .map(|(n, s)| format!("{n} {}/{}", s.running(), s.replicas))
        .collect::<Vec<_>>()
        .join(", ")
}

fn nodes_of_tasks(state: &BTreeMap<String, SwarmService>) -> Vec<String> {
    let mut nodes: Vec<String> = state
        .values()
        .flat_map(|s| s.tasks.iter().map(|t| t.node.clone()))
        .collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

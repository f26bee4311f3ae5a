//! `homectl restart TARGET [NAME...]`: the selected services restarted in
//! place (the same containers: no pull, no new image), then a wait for
//! their health as a deploy does; under each node's lock, with a history
//! record of kind "restart" (docs/operations.md, "Restarting").

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::execution::interrupt::Interrupt;
use crate::execution::node_session::NodeSession;
use crate::execution::operator::operator;
use crate::inventory::Project;
use crate::plan::deploy_plan::plan_stack;
use crate::plan::history::{now_rfc3339, HistoryRecord, RecordKind, RecordResult};
use crate::plan::{SelectedNode, SelectedStack};
use crate::remote::steps::{health, record, restart};
use crate::settings::{GlobalSettings, SelectSettings};

const RESTART_TIMEOUT: Duration = Duration::from_secs(300);

pub fn run(global: &GlobalSettings, select: &SelectSettings) -> Result<i32> {
    let project = Arc::new(crate::inventory::load(&global.inventory)?);
    let selection = select.select(&project)?;
    let printer = global.printer();
    // Swarm stacks: once each, through a manager (docs/swarm.md).
    let (selection, swarm) = crate::plan::swarm_plan::split_swarm(&project, selection);
    if !swarm.is_empty() {
        crate::commands::swarm_deploy::restart(&project, &swarm, printer)?;
        if selection.nodes.is_empty() {
            return Ok(0);
        }
    }
    let who = operator();
    let (results, interrupted) = crate::commands::runtime()?.block_on(async {
        // Ctrl-C: the steps in flight finish, no new one starts, and each
        // node records the interruption (docs/operations.md, "Interruptions").
        let interrupt = Interrupt::listen(move || {
            printer
                .warn("interrupted: finishing the steps in flight (Ctrl-C again to stop waiting)")
        });
        let tasks: Vec<_> = selection
            .nodes
            .into_iter()
            .map(|n| {
                tokio::spawn(restart_node(
                    project.clone(),
                    n,
                    who.clone(),
                    interrupt.clone(),
                ))
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            if let Ok(r) = t.await {
                results.push(r);
            }
        }
        (results, interrupt.is_set())
    });
    let mut failed = Vec::new();
    for (node, lines, failure) in results {
        lines
            .iter()
            .for_each(|l| printer.out(&format!("{node}: {l}")));
        if let Some(e) = failure {
            printer.warn(&format!("✗ {node}: {e}"));
            failed.push(node);
        }
    }
    if interrupted {
        Err(Error::Interrupted)
    } else if failed.is_empty() {
        Ok(0)
    } else {
        Err(Error::runtime(format!(
            "restart failed on {}",
            failed.join(", ")
        )))
    }
}

/// One node: lock, then each stack restarted and waited for, recorded.
async fn restart_node(
    project: Arc<Project>,
    selected: SelectedNode,
    who: String,
    interrupt: Interrupt,
) -> (String, Vec<String>, Option<String>) {
    let inv = &project.inventory;
    let node = selected.node.clone();
    let mut lines = Vec::new();
    let mut session = match NodeSession::open(inv, &inv.nodes[&node], true).await {
        Ok(s) => s,
        Err(e) => return (node, lines, Some(e)),
    };
    let mut failure = None;
    for chosen in &selected.stacks {
        let t = Instant::now();
        let (result, detail) =
            match restart_stack(&project, &node, chosen, &mut session, &interrupt).await {
                Ok(services) => {
                    let line = format!(
                        "{}: {} restarted, healthy in {:.1}s",
                        chosen.stack,
                        services.join(", "),
                        t.elapsed().as_secs_f64()
                    );
                    lines.push(line.clone());
                    (RecordResult::Ok, line)
                }
                Err(e) => {
                    failure = Some(format!("{}: {e}", chosen.stack));
                    (
                        if interrupt.is_set() {
                            RecordResult::Interrupted
                        } else {
                            RecordResult::Failed
                        },
                        e,
                    )
                }
            };
        let record = HistoryRecord {
            values: Default::default(),
            time: now_rfc3339(),
            operator: who.clone(),
            node: node.clone(),
            stack: chosen.stack.clone(),
            kind: RecordKind::Restart,
            services: chosen.services.clone().unwrap_or_default(),
            tag: "-".into(),
            scale: 0,
            result,
            detail,
            images: Default::default(),
            duration_ms: t.elapsed().as_millis() as u64,
            inputs: String::new(),
            files: String::new(),
        };
        let json = serde_json::to_string(&record).expect("a record serializes");
        if let Err(e) = session
            .run(&record::step(&json), Duration::from_secs(30))
            .await
        {
            failure.get_or_insert(format!("the history was not written: {e}"));
        }
        if failure.is_some() {
            break;
        }
    }
    session.close().await;
    (node, lines, failure)
}

/// Restarts one stack's selected services; the services restarted.
async fn restart_stack(
    project: &Project,
    node: &str,
    chosen: &SelectedStack,
    session: &mut NodeSession,
    interrupt: &Interrupt,
) -> std::result::Result<Vec<String>, String> {
    if interrupt.is_set() {
        return Err("interrupted before the restart: nothing changed".into());
    }
    let inv = &project.inventory;
    let stack = &project.stacks[&chosen.stack];
    let selected = chosen.services.clone().unwrap_or_default();
    let out = session
        .run(
            &restart::step(&stack.name, &inv.project_name(&stack.name), &selected),
            RESTART_TIMEOUT,
        )
        .await?;
    let restarted = restart::parse(&out);
    if interrupt.is_set() {
        return Err(format!(
            "interrupted after restarting {}: their health was not waited for",
            restarted.join(", ")
        ));
    }
    // Health as a deploy waits for it, for the services restarted.
    let mut deploy = plan_stack(inv, &inv.nodes[node], stack, None, "-", stack.max_scale);
    deploy.services = restarted.clone();
    let timeout = stack.health.timeout;
    session
        .run(
            &health::step(
                &deploy,
                stack.health.url.as_deref(),
                timeout.as_secs().max(1),
            ),
            timeout + Duration::from_secs(30),
        )
        .await?;
    Ok(restarted)
}

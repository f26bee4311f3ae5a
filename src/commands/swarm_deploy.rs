//! The swarm part of `homectl deploy` and `down` (docs/swarm.md): each
//! selected swarm stack is deployed (or removed) once, through a manager of
//! its nodes' Swarm; a deploy's secrets resolved before, its compose stacks
//! deployed after.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::execution::interrupt::Interrupt;
use crate::execution::operator::operator;
use crate::execution::swarm_deploy::deploy;
use crate::execution::swarm_session::{SwarmContext, SwarmFailure};
use crate::inventory::Project;
use crate::plan::node_plan::Target;
use crate::plan::swarm_plan::SwarmTarget;
use crate::report::progress::Progress;
use crate::report::swarm_status::{stack_status, SwarmStackStatus};
use crate::report::Printer;
use crate::secrets::Secrets;

pub fn run(
    project: &Project,
    targets: &[SwarmTarget],
    tag: &str,
    scale: Option<u32>,
    secrets: &Secrets,
    printer: Printer,
    target: Target,
) -> Result<()> {
    run_each(
        project,
        targets,
        tag,
        scale,
        secrets,
        printer,
        Op::Deploy(target),
    )
}

/// `down` of swarm stacks: `docker stack rm` through the manager, waiting
/// until no task is left on any node.
pub fn down(project: &Project, targets: &[SwarmTarget], printer: Printer) -> Result<()> {
    run_each(
        project,
        targets,
        "",
        None,
        &Secrets::new(),
        printer,
        Op::Down,
    )
}

/// `status` of swarm stacks, as their managers say: each stack's, or
/// why it could not be asked.
pub fn status(
    project: &Project,
    targets: &[SwarmTarget],
) -> Result<Vec<std::result::Result<SwarmStackStatus, SwarmFailure>>> {
    let secrets = Secrets::new();
    let ctx = SwarmContext::read_only(project, "", None, &secrets);
    let runtime = crate::commands::runtime()?;
    Ok(runtime.block_on(async {
        let mut out = Vec::new();
        for target in targets {
            let asked = crate::execution::swarm_status::status(&ctx, target).await;
            out.push(asked.map(|(manager, state)| {
                stack_status(&target.stack, &manager, &state, target.services.as_deref())
            }));
        }
        out
    }))
}

/// `restart` of swarm stacks: `docker service update --force`.
pub fn restart(project: &Project, targets: &[SwarmTarget], printer: Printer) -> Result<()> {
    run_each(
        project,
        targets,
        "",
        None,
        &Secrets::new(),
        printer,
        Op::Restart,
    )
}

#[derive(Clone, Copy)]
enum Op {
    Restart,
    /// A deploy of the tag, or a rollback (to `--to T`, or to the images
    /// before the last successful deploy in the manager's history).
    Deploy(Target),
    Down,
}

fn run_each(
    project: &Project,
    targets: &[SwarmTarget],
    tag: &str,
    scale: Option<u32>,
    secrets: &Secrets,
    printer: Printer,
    op: Op,
) -> Result<()> {
    let nodes: Vec<String> = {
        let mut all: Vec<String> = targets.iter().flat_map(|t| t.nodes.clone()).collect();
        all.sort();
        all.dedup();
        all
    };
    let progress = Arc::new(Progress::new(printer, &nodes));
    let runtime = crate::commands::runtime()?;
    runtime.block_on(async {
        let note = progress.clone();
        let interrupt = Interrupt::listen(move || {
            note.note("interrupted: the update goes on in Swarm; recording it as interrupted")
        });
        let ctx = SwarmContext {
            project,
            tag,
            target: match op {
                Op::Deploy(target) => target,
                _ => Target::Tag,
            },
            scale,
            secrets,
            progress: progress.clone(),
            interrupt: interrupt.clone(),
            operator: operator(),
        };
        for target in targets {
            let outcome = match op {
                Op::Deploy(_) => deploy(&ctx, target).await,
                Op::Down => crate::execution::swarm_down::down(&ctx, target).await,
                Op::Restart => crate::execution::swarm_restart::restart(&ctx, target).await,
            };
            match outcome {
                Ok(summary) => progress.note(&summary),
                Err(f) if f.interrupted => {
                    progress.note(&f.message);
                    return Err(Error::Interrupted);
                }
                Err(f) => return Err(Error::on_nodes(f.message, &f.nodes)),
            }
        }
        Ok(())
    })
}

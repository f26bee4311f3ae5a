//! The swarm part of `homectl deploy` (docs/swarm.md): each selected swarm
//! stack is deployed once, through a manager of its nodes' Swarm, after
//! the selection's secrets resolved and before its compose stacks deploy.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::execution::interrupt::Interrupt;
use crate::execution::operator::operator;
use crate::execution::swarm_deploy::{deploy, SwarmContext};
use crate::inventory::Project;
use crate::plan::swarm_plan::SwarmTarget;
use crate::report::progress::Progress;
use crate::report::Printer;
use crate::secrets::Secrets;

pub fn run(
    project: &Project,
    targets: &[SwarmTarget],
    tag: &str,
    scale: Option<u32>,
    secrets: &Secrets,
    printer: Printer,
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
            scale,
            secrets,
            progress: progress.clone(),
            interrupt: interrupt.clone(),
            operator: operator(),
        };
        for target in targets {
            match deploy(&ctx, target).await {
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

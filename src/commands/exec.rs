//! `homectl exec NODE [stack:S] SERVICE [-it] [--replica N] -- CMD...`: a
//! command in a service's running container (of a swarm stack: a task's
//! container on that node, docs/swarm.md), its output streamed (secret
//! values masked), its exit code passed through (docs/operations.md, "A
//! command in a container").

use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::execution::one_off::{run_in_channel, run_in_terminal, Shown};
use crate::execution::ssh::close;
use crate::execution::swarm_exec;
use crate::inventory;
use crate::plan::service_target::resolve_service;
use crate::remote::steps::container_of;
use crate::remote::steps::one_off::{exec_step, exec_tty_command};
use crate::settings::{ExecSettings, GlobalSettings};

pub fn run(global: &GlobalSettings, args: &ExecSettings) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let target = resolve_service(&project, &args.node, &args.service)?;
    let inv = &project.inventory;
    let node = &inv.nodes[&target.node];
    let stack = &project.stacks[&target.stack];
    let secrets = super::run::stack_secrets(&project, stack, node)?;
    let printer = global.printer();
    let terminal = args.tty;
    crate::commands::runtime()?.block_on(async {
        let mut opened = NodeSession::open(inv, node, false)
            .await
            .map_err(|e| Error::runtime(format!("{}: {e}", node.name)))?;
        let found = if stack.is_swarm() {
            // A task of the service on this node (docs/swarm.md, "exec").
            let slot = args.replica;
            swarm_exec::task_container(
                &project,
                &stack.name,
                &target.service,
                node,
                &mut opened,
                slot,
            )
            .await
        } else {
            let step = container_of::step(
                &inv.project_name(&stack.name),
                &target.service,
                args.replica.unwrap_or(1),
            );
            opened
                .run(&step, std::time::Duration::from_secs(60))
                .await
                .and_then(|out| {
                    container_of::parse(&out).ok_or_else(|| "no container id found".into())
                })
        };
        let session = opened.session.clone();
        opened.shell.finish().await;
        let container = match found {
            Ok(id) => id,
            Err(e) => {
                close(session).await;
                return Err(Error::runtime(format!("{}: {e}", node.name)));
            }
        };
        let code = if terminal {
            run_in_terminal(
                &session,
                inv.ssh.config.as_deref(),
                &node.host,
                &exec_tty_command(&container, &args.command),
                secrets.masker(),
                &printer,
            )
            .await
        } else {
            let step = exec_step(&container, &args.command);
            run_in_channel(
                session.clone(),
                &node.name,
                &step,
                Shown::Masked(secrets.masker(), secrets.masker()),
                &printer,
            )
            .await
        };
        close(session).await;
        code
    })
}

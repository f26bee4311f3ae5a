//! `homectl run NODE [stack:S] SERVICE [--raw] -- CMD...`: a one-off
//! container of a service, the way a before_up hook runs: the deployed
//! compose file and image, the stack's and the node's env, the secrets as
//! data frames; removed after (docs/operations.md, "A command in a
//! container").

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::execution::one_off::{run_in_channel, Shown};
use crate::execution::ssh::close;
use crate::inventory::{self, Node, Project, Stack};
use crate::plan::deploy_plan::plan_stack;
use crate::plan::history::deployed_tag;
use crate::plan::service_target::resolve_service;
use crate::remote::steps::deployed;
use crate::remote::steps::lib::with_compose;
use crate::remote::steps::one_off::run_step;
use crate::remote::steps::state;
use crate::secrets::{resolve_all, ProviderSettings, SecretRef, Secrets};
use crate::settings::{GlobalSettings, RunSettings};

/// The stack's secrets, resolved: to send (run) and to mask (run, exec).
/// Nothing runs that homectl could not mask (as `logs`).
pub(crate) fn stack_secrets(project: &Project, stack: &Stack, node: &Node) -> Result<Secrets> {
    let refs: BTreeSet<SecretRef> = stack.secrets.values().cloned().collect();
    resolve_all(
        &refs,
        &ProviderSettings {
            exec: project.inventory.secrets_exec.clone(),
        },
    )
    .map_err(|e| {
        Error::runtime(format!(
            "{e}\nnothing is run on {}: homectl needs stack {}'s secrets to pass and mask them",
            node.name, stack.name
        ))
    })
}

pub fn run(global: &GlobalSettings, args: &RunSettings) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let target = resolve_service(&project, &args.node, &args.service)?;
    let inv = &project.inventory;
    let node = &inv.nodes[&target.node];
    let stack = &project.stacks[&target.stack];
    if stack.is_swarm() {
        return Err(Error::usage(format!(
            "stack {} is a swarm stack: `run` starts a one-off container from a compose stack's \
             folder on its node, which a swarm stack has not (a swarm stack's hooks run on its manager: \
             docs/swarm.md, \"Hooks\"); \
             `homectl exec NODE {} -- CMD` runs in one of its tasks",
            stack.name, target.service
        )));
    }
    let secrets = stack_secrets(&project, stack, node)?;
    let printer = global.printer();
    if args.raw {
        printer.warn("homectl run --raw: the output is passed exactly as it comes; secret values in it are NOT masked");
    }
    crate::commands::runtime()?.block_on(async {
        let mut opened = NodeSession::open(inv, node, false)
            .await
            .map_err(|e| Error::runtime(format!("{}: {e}", node.name)))?;
        let state_dir = opened.shell.state_dir.clone();
        let timeout = std::time::Duration::from_secs(60);
        let found = async {
            let deployed = opened.run(&deployed::step(&stack.name), timeout).await?;
            if !deployed::parse(&deployed) {
                return Err(format!("stack {} is not deployed on this node", stack.name));
            }
            opened
                .run(
                    &state::step(
                        &[inv.project_name(&stack.name)],
                        std::slice::from_ref(&stack.name),
                    ),
                    timeout,
                )
                .await
        }
        .await;
        let session = opened.session.clone();
        opened.shell.finish().await;
        let state = match found {
            Ok(state) => state::parse(&state),
            Err(e) => {
                close(session).await;
                return Err(Error::runtime(format!("{}: {e}", node.name)));
            }
        };
        let Some(tag) = deployed_tag(&state.history, &stack.name, &target.service) else {
            close(session).await;
            return Err(Error::runtime(format!(
                "{}: no successful deploy of {} in the node's history: its image tag is not known",
                node.name, target.service
            )));
        };
        // Every scale profile on, so that any replica's service can run;
        // with --no-deps nothing else starts.
        let deploy = plan_stack(inv, node, stack, None, &tag, stack.max_scale);
        let name = format!("{}-run-{}", deploy.project, suffix());
        let step = with_compose(
            run_step(
                &state_dir,
                &deploy,
                &secrets,
                &target.service,
                &name,
                &args.command,
            ),
            state.compose.as_deref(),
        );
        let shown = if args.raw {
            Shown::Raw
        } else {
            Shown::Masked(secrets.masker(), secrets.masker())
        };
        let code = run_in_channel(session.clone(), &node.name, &step, shown, &printer).await;
        close(session).await;
        code
    })
}

/// A random name suffix for the one-off container (8 hex digits).
fn suffix() -> String {
    let mut bytes = [0u8; 4];
    let _ = getrandom::getrandom(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

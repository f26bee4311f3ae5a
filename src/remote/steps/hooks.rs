//! `scripts/hooks.sh`: one `before_up` hook, as a one-off container of the
//! staged stack.

use super::lib::compose_input;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::Step;
use crate::secrets::Secrets;

const HOOK: &str = include_str!("../scripts/hooks.sh");

/// One step a hook, in order.
pub fn steps(deploy: &StackDeploy, secrets: &Secrets) -> Vec<Step> {
    // A deploy of some services leaves the others alone: Compose v2's
    // `run` would otherwise recreate a dependency whose definition
    // changed (the db, for the backend's migration).
    let run_args: &[&str] = if deploy.up_args.is_empty() {
        &[]
    } else {
        &["--no-deps"]
    };
    deploy
        .hooks
        .iter()
        .map(|hook| {
            compose_input(
                deploy,
                secrets,
                &format!("hook {} {}", deploy.stack, hook.service),
            )
            .var("HC_SERVICE", &hook.service)
            .list("HC_RUN_ARGS", run_args)
            .args(&hook.command)
            .step(HOOK)
        })
        .collect()
}

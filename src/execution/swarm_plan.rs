//! `plan` of a swarm stack (docs/swarm.md, "plan"): read-only, no lock,
//! through the manager found as deploy finds it: the services it runs,
//! its history (the tags), the file the last deploy left, and the
//! registry's digest of each reference a deploy would pull (asked from
//! the manager, never a pull). The decision is `plan::swarm_changes`.

use super::swarm_history::swarm_values;
use super::swarm_session::{
    close_all, fail, manager_of, open_all, SwarmContext, SwarmFailure, STEP_TIMEOUT,
};
use crate::plan::deploy_plan::plan_stack;
use crate::plan::fingerprint::{changed_names, value_prints};
use crate::plan::history::RecordResult;
use crate::plan::swarm_changes::{swarm_changes, SwarmChanges, SwarmFacts};
use crate::plan::swarm_plan::{decide, service_images, SwarmTarget};
use crate::remote::steps::lib::Login;
use crate::remote::steps::{history, plan as plan_step, swarm_deployed, swarm_state};

/// How many of the manager's last records name the tags that run.
const HISTORY_LINES: usize = 200;

pub async fn plan(
    ctx: &SwarmContext<'_>,
    target: &SwarmTarget,
) -> Result<SwarmChanges, SwarmFailure> {
    let mut sessions = open_all(ctx, target, false).await?;
    let result = async {
        let manager = manager_of(ctx, target, &mut sessions).await?;
        let failed = |e: String| fail(format!("{manager}: {}", ctx.secrets.mask(&e)), &[&manager]);
        let inv = &ctx.project.inventory;
        let stack = &ctx.project.stacks[&target.stack];
        let plan = plan_stack(inv, &inv.nodes[&manager], stack, None, ctx.tag, 1);
        let mut env = plan.env.clone();
        env.remove("HOMECTL_NODE");
        let refs = service_images(ctx.project, &target.stack, &env).map_err(failed)?;
        let session = sessions.get_mut(&manager).expect("opened");
        let out = session
            .run(&swarm_state::step(&plan.project), STEP_TIMEOUT)
            .await
            .map_err(failed)?;
        let running = swarm_state::parse(&out, &plan.project);
        let decision = decide(&refs, &running, target.services.as_deref());
        let login = Login {
            server: &inv.registry.server,
            username: &inv.registry.username,
            password: ctx
                .secrets
                .get(&inv.registry.password)
                .cloned()
                .ok_or_else(|| failed("the registry password is not resolved".into()))?,
        };
        let out = session
            .run(
                &plan_step::registry_only(&login, &decision.to_pull),
                STEP_TIMEOUT,
            )
            .await
            .map_err(failed)?;
        let answers = plan_step::parse(&out);
        if let Some(why) = &answers.registry_error {
            return Err(failed(format!("registry: {why}")));
        }
        let out = session
            .run(&history::step(HISTORY_LINES), STEP_TIMEOUT)
            .await
            .map_err(failed)?;
        let records = history::parse(&out);
        let out = session
            .run(&swarm_deployed::step(&plan.project), STEP_TIMEOUT)
            .await
            .map_err(failed)?;
        let deployed = swarm_deployed::parse(&out);
        // The env and secret values against the last successful deploy's
        // prints (salted as it stored them): names only.
        let values = swarm_values(ctx, &target.stack, &manager);
        let changed_values = records
            .iter()
            .rev()
            .find(|r| r.stack == target.stack && r.result == RecordResult::Ok && r.kind.is_deploy())
            .filter(|r| !r.values.is_empty())
            .map(|r| changed_names(&r.values, &value_prints(&r.inputs, &values, ctx.secrets)));
        Ok(swarm_changes(
            stack,
            target,
            ctx.scale,
            &SwarmFacts {
                manager: &manager,
                refs: &refs,
                running: &running,
                registry: &answers.names,
                history: &records,
                deployed_file: deployed.as_deref(),
                changed_values: changed_values.as_deref(),
            },
        ))
    }
    .await;
    close_all(sessions).await;
    result
}

//! `restart` of a swarm stack (docs/swarm.md): under every node's lock,
//! `docker service update --force` of the selected services through the
//! manager (every task replaced, same image), then the wait until Swarm
//! has converged; recorded as `restart` in the manager's history.

use std::collections::BTreeMap;
use std::time::Instant;

use super::swarm_deploy::{wait_converged, MIN_WAIT};
use super::swarm_history::record;
use super::swarm_session::{
    close_all, fail, manager_of, open_all, SwarmContext, SwarmFailure, STEP_TIMEOUT,
};
use crate::plan::swarm_plan::SwarmTarget;
use crate::remote::steps::{swarm_restart, swarm_state};

pub async fn restart(ctx: &SwarmContext<'_>, target: &SwarmTarget) -> Result<String, SwarmFailure> {
    let mut sessions = open_all(ctx, target, true).await?;
    let result = async {
        let manager = manager_of(ctx, target, &mut sessions).await?;
        let project = ctx.project.inventory.project_name(&target.stack);
        let session = sessions.get_mut(&manager).expect("opened");
        let out = session
            .run(&swarm_state::step(&project), STEP_TIMEOUT)
            .await
            .map_err(|e| fail(e, &[&manager]))?;
        let state = swarm_state::parse(&out, &project);
        // The selected services that run, each at the image it runs.
        let wanted: BTreeMap<String, String> = state
            .iter()
            .filter(|(name, _)| {
                target
                    .services
                    .as_ref()
                    .is_none_or(|list| list.contains(name))
            })
            .map(|(name, s)| (name.clone(), s.image.clone()))
            .collect();
        if wanted.is_empty() {
            return Err(fail(
                format!(
                    "stack {}: nothing of it runs in the Swarm of {manager}: deploy it first",
                    target.stack
                ),
                &[&manager],
            ));
        }
        let services: Vec<String> = wanted.keys().cloned().collect();
        let started = Instant::now();
        session
            .run(&swarm_restart::step(&project, &services), STEP_TIMEOUT)
            .await
            .map_err(|e| fail(ctx.secrets.mask(&e), &[&manager]))?;
        let deadline = started
            + ctx.project.stacks[&target.stack]
                .health
                .timeout
                .max(MIN_WAIT);
        let (result, detail, _) =
            wait_converged(ctx, session, &project, &wanted, started, deadline)
                .await
                .map_err(|e| fail(e, &[&manager]))?;
        record(
            ctx, session, target, &manager, "restart", result, &detail, &wanted, started,
        )
        .await;
        match result {
            "ok" => Ok(format!(
                "stack {}: {} restarted through {manager}",
                target.stack,
                services.join(", ")
            )),
            _ => Err(fail(
                format!(
                    "stack {} ({manager}): restart {result}: {detail}",
                    target.stack
                ),
                &[&manager],
            )),
        }
    }
    .await;
    close_all(sessions).await;
    result
}

//! `status` of a swarm stack (docs/swarm.md): what the manager says of
//! its services and tasks; read-only, no lock.

use std::collections::BTreeMap;

use super::swarm_session::{
    close_all, fail, manager_of, open_all, SwarmContext, SwarmFailure, STEP_TIMEOUT,
};
use crate::plan::swarm_plan::SwarmTarget;
use crate::plan::swarm_state::SwarmService;
use crate::remote::steps::swarm_state;

/// The manager, and the stack's services as it says.
pub async fn status(
    ctx: &SwarmContext<'_>,
    target: &SwarmTarget,
) -> Result<(String, BTreeMap<String, SwarmService>), SwarmFailure> {
    let mut sessions = open_all(ctx, target, false).await?;
    let result = async {
        let manager = manager_of(ctx, target, &mut sessions).await?;
        let project = ctx.project.inventory.project_name(&target.stack);
        let out = sessions
            .get_mut(&manager)
            .expect("opened")
            .run(&swarm_state::step(&project), STEP_TIMEOUT)
            .await
            .map_err(|e| fail(e, &[&manager]))?;
        Ok((manager, swarm_state::parse(&out, &project)))
    }
    .await;
    close_all(sessions).await;
    result
}

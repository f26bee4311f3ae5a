//! `down` of a swarm stack (docs/swarm.md): under every node's lock,
//! `docker stack rm` through the manager, then a wait on every node until
//! no container of the stack is left; recorded in the manager's history.

use std::collections::BTreeMap;
use std::time::Instant;

use super::swarm_history::record;
use super::swarm_session::{
    close_all, fail, manager_of, open_all, SwarmContext, SwarmFailure, STEP_TIMEOUT,
};
use crate::plan::swarm_plan::SwarmTarget;
use crate::remote::steps::swarm_down;

/// How long a node may take to stop the stack's containers.
const WAIT_SECS: u64 = 60;

/// Removes the whole stack (a swarm stack is removed whole). Ok: a summary.
pub async fn down(ctx: &SwarmContext<'_>, target: &SwarmTarget) -> Result<String, SwarmFailure> {
    let mut sessions = open_all(ctx, target, true).await?;
    let result = remove(ctx, target, &mut sessions).await;
    close_all(sessions).await;
    result
}

async fn remove(
    ctx: &SwarmContext<'_>,
    target: &SwarmTarget,
    sessions: &mut BTreeMap<String, super::node_session::NodeSession>,
) -> Result<String, SwarmFailure> {
    let manager = manager_of(ctx, target, sessions).await?;
    let project = ctx.project.inventory.project_name(&target.stack);
    let started = Instant::now();
    let session = sessions.get_mut(&manager).expect("opened");
    let out = session
        .run(&swarm_down::step(&project, true, WAIT_SECS), STEP_TIMEOUT)
        .await;
    if let Err(e) = out {
        let e = ctx.secrets.mask(&e);
        record(
            ctx,
            session,
            target,
            &manager,
            "down",
            "failed",
            &e,
            &BTreeMap::new(),
            started,
        )
        .await;
        return Err(fail(format!("{manager}: {e}"), &[&manager]));
    }
    let others: Vec<String> = target
        .nodes
        .iter()
        .filter(|n| **n != manager)
        .cloned()
        .collect();
    let waits = futures_util::future::join_all(
        sessions
            .iter_mut()
            .filter(|(n, _)| others.contains(n))
            .map(|(n, s)| {
                let step = swarm_down::step(&project, false, WAIT_SECS);
                async move { (n.clone(), s.run(&step, STEP_TIMEOUT).await) }
            }),
    )
    .await;
    let failed: Vec<(String, String)> = waits
        .into_iter()
        .filter_map(|(n, r)| r.err().map(|e| (n, ctx.secrets.mask(&e))))
        .collect();
    let (result, detail) = if failed.is_empty() {
        ("ok", String::new())
    } else {
        (
            "failed",
            failed
                .iter()
                .map(|(n, e)| format!("{n}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    let session = sessions.get_mut(&manager).expect("opened");
    record(
        ctx,
        session,
        target,
        &manager,
        "down",
        result,
        &detail,
        &BTreeMap::new(),
        started,
    )
    .await;
    if failed.is_empty() {
        Ok(format!(
            "stack {} removed through {manager}; no task left on {}",
            target.stack,
            target.nodes.join(", ")
        ))
    } else {
        Err(fail(
            format!("stack {} removed, but: {detail}", target.stack),
            &failed.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ))
    }
}

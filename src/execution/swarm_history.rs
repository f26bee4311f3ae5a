//! A swarm stack's records in its manager's history (docs/swarm.md): the
//! record of a deploy, rollback or down, and the images a rollback brings
//! back.

use std::collections::BTreeMap;
use std::time::Instant;

use super::node_session::NodeSession;
use super::swarm_session::{SwarmContext, STEP_TIMEOUT};
use crate::plan::deploy_plan::{plan_stack, StackDeploy};
use crate::plan::fingerprint::{fingerprint, value_prints};
use crate::plan::history::{now_rfc3339, HistoryRecord, ImageRecord};
use crate::plan::swarm_plan::SwarmTarget;
use crate::remote::steps::record::step as record_step;

/// The stack's env and secrets as a deploy gives them to the manager, for
/// their per-name prints (docs/swarm.md, "plan"): without the node's name
/// and the tag (the images are compared by digest).
pub(crate) fn swarm_values(ctx: &SwarmContext<'_>, stack: &str, manager: &str) -> StackDeploy {
    let inv = &ctx.project.inventory;
    let mut deploy = plan_stack(
        inv,
        &inv.nodes[manager],
        &ctx.project.stacks[stack],
        None,
        ctx.tag,
        1,
    );
    deploy.env.remove("HOMECTL_NODE");
    deploy.env.remove("IMAGE_TAG");
    deploy
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    ctx: &SwarmContext<'_>,
    session: &mut NodeSession,
    target: &SwarmTarget,
    manager: &str,
    kind: &str,
    result: &str,
    detail: &str,
    wanted: &BTreeMap<String, String>,
    started: Instant,
) {
    let mut record = HistoryRecord {
        time: now_rfc3339(),
        operator: ctx.operator.clone(),
        node: manager.to_string(),
        stack: target.stack.clone(),
        kind: kind.into(),
        services: target.services.clone().unwrap_or_default(),
        tag: ctx.tag.to_string(),
        scale: ctx.scale.unwrap_or(0),
        result: result.into(),
        detail: detail.to_string(),
        images: wanted
            .iter()
            .map(|(s, image)| {
                (
                    s.clone(),
                    ImageRecord {
                        id: String::new(),
                        digests: vec![image.clone()],
                        config_hash: String::new(),
                    },
                )
            })
            .collect(),
        duration_ms: started.elapsed().as_millis() as u64,
        inputs: String::new(),
        files: String::new(),
        values: BTreeMap::new(),
    };
    if matches!(kind, "deploy" | "rollback") {
        let values = swarm_values(ctx, &target.stack, manager);
        record.inputs = fingerprint(&values, "", ctx.secrets);
        record.values = value_prints(&record.inputs, &values, ctx.secrets);
    }
    record.mask_detail(&ctx.secrets.masker());
    if let Ok(json) = serde_json::to_string(&record) {
        let _ = session.run(&record_step(&json), STEP_TIMEOUT).await;
    }
}

/// The tag and images (service → pinned digest) of the successful deploy
/// before the newest one, from the manager's history (docs/swarm.md).
pub(crate) async fn rollback_images(
    session: &mut NodeSession,
    stack: &str,
) -> Result<(String, BTreeMap<String, String>), String> {
    let step = crate::remote::Step::new(
        "history",
        "sed 's/^/HISTORY /' \"$HOMECTL_STATE/history.jsonl\" 2>/dev/null; exit 0",
    );
    let out = session.run(&step, STEP_TIMEOUT).await?;
    let history = crate::remote::steps::history::parse(&out);
    let mut ok = history.iter().rev().filter(|r| {
        r.stack == stack && r.result == crate::plan::history::RecordResult::Ok && r.kind.is_deploy()
    });
    let current = ok.next().ok_or_else(|| {
        format!(
            "stack {stack}: no successful deploy in the manager's history: nothing to roll back to"
        )
    })?;
    let before = ok
        .find(|r| r.images != current.images)
        .ok_or_else(|| format!("stack {stack}: no earlier successful deploy with other images in the manager's history"))?;
    let images = before
        .images
        .iter()
        .filter_map(|(s, i)| i.digests.first().map(|d| (s.clone(), d.clone())))
        .collect();
    Ok((before.tag.clone(), images))
}

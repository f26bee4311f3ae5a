//! Phase 2 of a node's deploy (docs/operations.md, "A deploy"): per stack
//! the hooks, the rounds of `up` and `health` the plan holds, the way back
//! (`plan::health_rollback`) if health fails, and the history record.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::node_deploy::{
    DeployContext, NodeFailure, NodeOutcome, PreparedNode, PreparedStack, HOOK_TIMEOUT, UP_TIMEOUT,
};
use crate::plan::health_rollback::back_plan;
use crate::plan::history::{ImageRecord, RecordResult};
use crate::plan::record::Ending;
use crate::remote::steps::{health, hooks, rollback, round};

type Images = BTreeMap<String, ImageRecord>;

/// A stack's failure: why, the images that run afterwards, and whether
/// the previous ones were brought back.
type Failed = (NodeFailure, Images, bool);

impl PreparedNode {
    /// Phase 2: hooks, up, health (rollback on failure), history; unlock.
    pub async fn apply(mut self, ctx: Arc<DeployContext>) -> NodeOutcome {
        let mut failure = None;
        let mut summaries = Vec::new();
        let stacks = std::mem::take(&mut self.stacks);
        for stack in &stacks {
            let t = Instant::now();
            let applied = match &stack.unchanged {
                Some(images) => Ok(images.clone()),
                None => self.apply_stack(&ctx, stack).await,
            };
            let (result, images, detail) = match applied {
                Ok(images) if stack.unchanged.is_some() => (
                    RecordResult::Ok,
                    images,
                    "unchanged: the images, configuration and secrets asked for already ran"
                        .to_string(),
                ),
                Ok(images) => (RecordResult::Ok, images, String::new()),
                Err((f, images, rolled_back)) => {
                    let result = if f.interrupted() {
                        RecordResult::Interrupted
                    } else if rolled_back {
                        RecordResult::RolledBack
                    } else {
                        RecordResult::Failed
                    };
                    let detail = format!("{}: {}", f.step, f.reason());
                    failure.get_or_insert(f);
                    (result, images, detail)
                }
            };
            let ending = Ending {
                result,
                detail,
                images,
                took: t.elapsed(),
            };
            let record = self.record(&ctx, &stack.plan, ending);
            let shown = if stack.unchanged.is_some() {
                "unchanged"
            } else {
                record.result.as_str()
            };
            summaries.push(format!(
                "{} {} ({shown})",
                stack.plan.deploy.stack, record.tag
            ));
            if let Err(f) = self.write_record(&record).await {
                failure.get_or_insert(f);
            }
            if failure.is_some() {
                break;
            }
        }
        if failure.is_none() {
            // An unchanged redeploy is no new version: nothing new to prune.
            let names: Vec<String> = (stacks.iter())
                .filter(|s| s.unchanged.is_none())
                .map(|s| s.plan.deploy.stack.clone())
                .collect();
            summaries.extend(
                super::node_prune::after_deploy(&mut self.shell, &ctx, &self.node, &names).await,
            );
        }
        self.shell.finish().await;
        self.connection.close().await;
        let summary = format!(
            "{} in {:.1}s",
            summaries.join(", "),
            self.started.elapsed().as_secs_f64()
        );
        NodeOutcome {
            node: self.node,
            failure,
            summary,
        }
    }

    /// The hooks, then the plan's rounds (one, or one a replica index for a
    /// rolling update: docs/stacks.md, "Rolling updates"), each healthy
    /// before the next. A failed first `up` changed nothing: no rollback;
    /// any later failure goes back to what ran before.
    async fn apply_stack(
        &mut self,
        ctx: &DeployContext,
        stack: &PreparedStack,
    ) -> Result<Images, Failed> {
        let plan = &stack.plan;
        let stack_def = &ctx.project.stacks[&plan.deploy.stack];
        let url = stack_def.health.url.as_deref();
        let timeout = stack_def.health.timeout;
        for hook in hooks::steps(&plan.deploy, &ctx.secrets) {
            let hook = self.known_compose(hook);
            self.step(ctx, &hook, HOOK_TIMEOUT)
                .await
                .map_err(|f| (f, Images::new(), false))?;
        }
        let mut images = Images::new();
        let mut health_failure = None;
        for (i, round) in plan.rounds.iter().enumerate() {
            let (up, health) = round::steps(round, &ctx.secrets, url, timeout.as_secs());
            let up = self.known_compose(up);
            if let Err(f) = self.step(ctx, &up, UP_TIMEOUT).await {
                if i == 0 {
                    return Err((f, Images::new(), false));
                }
                health_failure = Some(f);
                break;
            }
            let Some(health) = health else { continue };
            match self
                .step(ctx, &health, timeout + Duration::from_secs(30))
                .await
            {
                Ok(out) => images.extend(health::parse(&out)),
                Err(f) => {
                    health_failure = Some(f);
                    break;
                }
            }
        }
        match health_failure {
            None => Ok(images),
            Some(f) => Err(self.roll_back(ctx, stack, f).await),
        }
    }

    /// Back to the images, scale and files that ran before (by image id),
    /// unless `--no-rollback`; waits for their health.
    async fn roll_back(
        &mut self,
        ctx: &DeployContext,
        stack: &PreparedStack,
        mut f: NodeFailure,
    ) -> Failed {
        if ctx.no_rollback || f.interrupted() {
            return (f, Images::new(), false);
        }
        let Some(back) = back_plan(&ctx.project, &self.node, &stack.plan) else {
            f.note("nothing ran before this deploy: nothing to roll back to");
            return (f, Images::new(), false);
        };
        let stack_def = &ctx.project.stacks[&back.deploy.stack];
        let timeout = stack_def.health.timeout;
        ctx.progress.note(&format!(
            "{}: health failed, rolling back {} to {} at scale {}",
            self.node, back.deploy.stack, back.tag, back.deploy.scale
        ));
        let rollback = self.known_compose(rollback::step(
            &back.deploy,
            &ctx.secrets,
            &back.tag,
            &back.retag,
        ));
        if let Err(again) = self.step(ctx, &rollback, UP_TIMEOUT).await {
            f.note(format!("rollback failed too: {}", again.reason()));
            return (f, Images::new(), false);
        }
        let health = health::step(
            &back.deploy,
            stack_def.health.url.as_deref(),
            timeout.as_secs().max(1),
        );
        let images = match self
            .step(ctx, &health, timeout + Duration::from_secs(30))
            .await
        {
            Ok(out) => health::parse(&out),
            Err(again) => {
                f.note(format!(
                    "the previous images are not healthy either: {}",
                    again.reason()
                ));
                Images::new()
            }
        };
        f.note(format!("rolled back to {}", back.tag));
        (f, images, true)
    }
}

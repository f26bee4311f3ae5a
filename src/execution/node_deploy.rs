//! One node's deploy, in the two phases of docs/operations.md ("Deploying"):
//! `prepare` (connect, lock, read state, stage files, pull) changes nothing
//! that runs; `apply` (hooks, up, health, rollback, history) does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssh::Session;

use super::interrupt::Interrupt;
use super::node_session::close;
use super::operator::state_dir_candidates;
use super::{ssh, RemoteShell, StartError, StepError};
use crate::inventory::Project;
use crate::plan::deploy_plan::{orphans, plan_stack, StackDeploy};
use crate::plan::fingerprint;
use crate::plan::folder_changes::{changed_paths, services_reading, stage_plan, StagedFile};
use crate::plan::history::{
    current_scale, now_rfc3339, HistoryRecord, ImageRecord, RecordKind, RecordResult,
};
use crate::plan::unchanged::{self, Container};
use crate::plan::SelectedNode;
use crate::remote::steps::lib::{with_compose, Login};
use crate::remote::steps::{
    health, hooks, pin, pull, record, rollback, stage, state, unstage, up, verify,
};
use crate::remote::Step;
use crate::report::progress::{Progress, Status};
use crate::secrets::Secrets;

const STATE_TIMEOUT: Duration = Duration::from_secs(60);
const PULL_TIMEOUT: Duration = Duration::from_secs(900);
const STAGE_TIMEOUT: Duration = Duration::from_secs(300);
const HOOK_TIMEOUT: Duration = Duration::from_secs(900);
const UP_TIMEOUT: Duration = Duration::from_secs(300);

/// What every node's deploy shares.
/// What a deploy brings: the tag asked for, or (rollback) the images that
/// ran before the last deploy, found in each node's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tag,
    RollbackToTag,
    RollbackByHistory,
}

impl Target {
    fn kind(self) -> RecordKind {
        match self {
            Target::Tag => RecordKind::Deploy,
            Target::RollbackToTag | Target::RollbackByHistory => RecordKind::Rollback,
        }
    }
}

pub struct DeployContext {
    pub target: Target,
    pub project: Arc<Project>,
    pub tag: String,
    pub scale: Option<u32>,
    pub no_rollback: bool,
    /// Run every step even when the deploy would change nothing.
    pub force: bool,
    pub secrets: Secrets,
    pub progress: Arc<Progress>,
    pub interrupt: Interrupt,
    pub operator: String,
}

/// Why a node did not finish.
#[derive(Debug, Clone)]
pub struct NodeFailure {
    pub step: String,
    pub reason: String,
    pub interrupted: bool,
}

/// A node that passed phase 1: locked, files staged, images pulled.
pub struct PreparedNode {
    node: String,
    session: Arc<Session>,
    shell: RemoteShell,
    stacks: Vec<PreparedStack>,
    started: Instant,
    /// The node's Compose command, found once by the state step.
    compose: Option<String>,
}

struct PreparedStack {
    deploy: StackDeploy,
    /// The services named on the command line (None: the whole stack).
    selected: Option<Vec<String>>,
    /// service → (image id, image reference) of what ran before.
    before: BTreeMap<String, (String, String)>,
    /// The fingerprint of this deploy's inputs, for its history record.
    inputs: String,
    /// Nothing to do (a redeploy of what runs): the images that run, as
    /// the last record has them. Apply only records it.
    unchanged: Option<BTreeMap<String, ImageRecord>>,
}

/// The outcome of phase 2 on one node.
pub struct NodeOutcome {
    pub node: String,
    pub failure: Option<NodeFailure>,
    pub summary: String,
}

fn fail(step: &str, reason: impl Into<String>) -> NodeFailure {
    NodeFailure {
        step: step.to_string(),
        reason: reason.into(),
        interrupted: false,
    }
}

fn interrupted(step: &str) -> NodeFailure {
    NodeFailure {
        step: step.to_string(),
        reason: "interrupted before this step".into(),
        interrupted: true,
    }
}

/// Phase 1. On failure the lock is released and nothing that runs changed.
pub async fn prepare(
    ctx: Arc<DeployContext>,
    selected: SelectedNode,
) -> Result<PreparedNode, NodeFailure> {
    let started = Instant::now();
    let inv = &ctx.project.inventory;
    let node = &inv.nodes[&selected.node];
    let progress = &ctx.progress;
    let name = node.name.as_str();

    progress.event(name, "connect", Status::Started, None, "");
    let t = Instant::now();
    let session = ssh::connect(&inv.ssh, node)
        .await
        .map_err(|e| fail("connect", e))?;
    progress.event(name, "connect", Status::Ok, Some(t.elapsed()), "");

    if ctx.interrupt.is_set() {
        close(session).await;
        return Err(interrupted("lock"));
    }
    let t = Instant::now();
    let shell = match RemoteShell::start(
        session.clone(),
        true,
        &ctx.operator,
        &state_dir_candidates(node),
        inv.ssh.connect_timeout * 3,
    )
    .await
    {
        Ok(shell) => shell,
        Err(err) => {
            close(session).await;
            return Err(match err {
                StartError::Locked(holder) => fail(
                    "lock",
                    format!(
                        "locked by {holder}; if that deploy is gone, run `homectl unlock {name}`"
                    ),
                ),
                StartError::NoStateDir(tried) => fail(
                    "lock",
                    format!(
                        "no state folder can be created and written on the node (tried {tried})"
                    ),
                ),
                StartError::Other(e) => fail("lock", e),
            });
        }
    };
    progress.event(name, "lock", Status::Ok, Some(t.elapsed()), "");
    let mut prepared = PreparedNode {
        node: name.to_string(),
        session,
        shell,
        stacks: Vec::new(),
        started,
        compose: None,
    };

    match prepare_stacks(&ctx, &selected, &mut prepared).await {
        Ok(()) => Ok(prepared),
        Err(failure) => {
            prepared.release(&ctx).await;
            Err(failure)
        }
    }
}

async fn prepare_stacks(
    ctx: &DeployContext,
    selected: &SelectedNode,
    prepared: &mut PreparedNode,
) -> Result<(), NodeFailure> {
    let inv = &ctx.project.inventory;
    let node = &inv.nodes[&selected.node];
    let projects: Vec<String> = selected
        .stacks
        .iter()
        .map(|s| inv.project_name(&s.stack))
        .collect();
    let stack_names: Vec<String> = selected.stacks.iter().map(|s| s.stack.clone()).collect();
    let state = prepared
        .step(ctx, &state::step(&projects, &stack_names), STATE_TIMEOUT)
        .await?;
    let state::NodeState {
        containers,
        history,
        folders,
        compose,
    } = state::parse(&state);
    let running = running_by_project(&containers);
    prepared.compose = compose;

    for chosen in &selected.stacks {
        let stack = &ctx.project.stacks[&chosen.stack];
        // Keep the scale the stack runs at, unless --scale says otherwise.
        let scale = ctx
            .scale
            .or_else(|| current_scale(&history, &stack.name))
            .or(node.scale)
            .unwrap_or(1)
            .min(stack.max_scale);
        let (tag, pins) = match ctx.target {
            Target::RollbackByHistory => {
                let (tag, pins) = rollback_pins(ctx, stack, chosen.services.as_deref(), &history)
                    .map_err(|e| fail("history", e))?;
                (tag, Some(pins))
            }
            _ => (ctx.tag.clone(), None),
        };
        let mut deploy = plan_stack(inv, node, stack, chosen.services.as_deref(), &tag, scale);
        // A whole-stack deploy also removes the services gone from its
        // compose file (computed here, not by Compose's --remove-orphans:
        // docs/operations.md, "Orphaned services").
        let orphaned = match chosen.services {
            None => orphans(
                stack,
                &deploy.project,
                containers
                    .iter()
                    .map(|c| (c.project.as_str(), c.service.as_str())),
            ),
            Some(_) => Vec::new(),
        };
        let before = running.get(&deploy.project).cloned().unwrap_or_default();
        // The stack's folder: what the node has, what travels, what to recreate.
        let on_node = folders.get(&stack.name).cloned().unwrap_or_default();
        deploy.back_version = on_node.in_use.clone();
        // A rollback by history brings back the folder's files of the
        // deploy it goes back to, when the node still keeps them.
        if ctx.target == Target::RollbackByHistory {
            // The successful deploy before the last one, as rollback_target picks it.
            if let Some(version) = history
                .iter()
                .rev()
                .filter(|r| {
                    r.stack == stack.name && r.result == RecordResult::Ok && r.kind.is_deploy()
                })
                .nth(1)
                .map(|r| r.files.clone())
                .filter(|v| !v.is_empty() && on_node.versions.contains(v))
            {
                deploy.version = version;
            }
        }
        let mut changed = changed_paths(&stack.folder, &on_node);
        if deploy.version != stack.folder.version {
            // Another version than the local folder's: any file may differ.
            changed.extend(on_node.files.keys().cloned());
            changed.extend(stack.folder.files.iter().map(|f| f.path.clone()));
        }
        deploy.recreate = services_reading(&stack.compose.document, &deploy.services, &changed);
        let stage = match stage_plan(&stack.folder, &on_node) {
            _ if deploy.version != stack.folder.version => None,
            None => None,
            Some(plan) => {
                Some(stage_step_of(&deploy, &stack.dir, &plan).map_err(|e| fail("stage", e))?)
            }
        };
        let login = Login {
            server: &inv.registry.server,
            username: &inv.registry.username,
            password: ctx
                .secrets
                .get(&inv.registry.password)
                .cloned()
                .expect("resolved before any node is touched"),
        };
        // The fingerprint is of the plan without the orphans: the next
        // deploy of the same inputs, with nothing orphaned left, is skipped.
        let inputs = fingerprint::fingerprint(&deploy, &stack.compose.text, &ctx.secrets);
        let same_files = on_node.in_use == deploy.version;
        if !orphaned.is_empty() {
            ctx.progress.note(&format!(
                "{}: {}: removing services no longer in its compose file: {}",
                node.name,
                deploy.stack,
                orphaned.join(", ")
            ));
            deploy.remove.extend(orphaned.iter().cloned());
        }
        if ctx.target == Target::Tag && !ctx.force && orphaned.is_empty() && same_files {
            if let Some(images) = prepared
                .unchanged(
                    ctx,
                    &deploy,
                    &stack.compose.text,
                    &history,
                    &containers,
                    &login,
                )
                .await?
            {
                prepared.stacks.push(PreparedStack {
                    deploy,
                    selected: chosen.services.clone(),
                    before,
                    inputs,
                    unchanged: Some(images),
                });
                continue;
            }
        }
        let fetch = match &pins {
            Some(pins) => pin::step(&deploy, &ctx.secrets, &login, pins),
            None => pull::step(&deploy, &ctx.secrets, &login),
        };
        // Listed before its steps run: a failure or an interruption from
        // here on unstages its file and (after Ctrl-C) records it.
        let fetch = prepared.known_compose(fetch);
        prepared.stacks.push(PreparedStack {
            deploy,
            selected: chosen.services.clone(),
            before,
            inputs,
            unchanged: None,
        });
        if let Some(stage) = &stage {
            prepared.step(ctx, stage, STAGE_TIMEOUT).await?;
        }
        prepared.step(ctx, &fetch, PULL_TIMEOUT).await?;
    }
    Ok(())
}

impl PreparedNode {
    pub fn name(&self) -> &str {
        &self.node
    }

    /// Whether this deploy of a stack would change nothing: the same
    /// inputs as its last deploy, every service running (healthy) as that
    /// deploy left it, and the registry's tag still naming the same images
    /// (checked by pulling the references, which is quick when they are).
    /// Returns the images that run, to record. Any doubt: `None`, deploy.
    async fn unchanged(
        &mut self,
        ctx: &DeployContext,
        deploy: &StackDeploy,
        compose_text: &str,
        history: &[HistoryRecord],
        containers: &[Container],
        login: &Login<'_>,
    ) -> Result<Option<BTreeMap<String, ImageRecord>>, NodeFailure> {
        let last = unchanged::last_record(history, &deploy.stack);
        let inputs_match = last
            .is_some_and(|r| fingerprint::matches(&r.inputs, deploy, compose_text, &ctx.secrets));
        let refs = match unchanged::candidate(deploy, last, inputs_match, containers) {
            Ok(refs) => refs,
            Err(why) => {
                tracing::debug!("{}: {} changes: {why}", self.node, deploy.stack);
                return Ok(None);
            }
        };
        let url = ctx.project.stacks[&deploy.stack].health.url.as_deref();
        let verify = verify::step(&deploy.stack, login, &refs, url);
        let output = self.step(ctx, &verify, PULL_TIMEOUT).await?;
        let verified = verify::parse(&output);
        if !unchanged::confirmed(deploy, containers, &verified.refs) {
            tracing::debug!(
                "{}: {}: the tag names other images now",
                self.node,
                deploy.stack
            );
            return Ok(None);
        }
        if !verified.url_answers(url) {
            tracing::debug!(
                "{}: {}: the health url does not answer",
                self.node,
                deploy.stack
            );
            return Ok(None);
        }
        let last = last.expect("a candidate has a last record");
        ctx.progress.event(
            &self.node,
            &format!("unchanged {}", deploy.stack),
            Status::Skipped,
            None,
            "nothing to do: pull, hooks, up and health skipped",
        );
        Ok(Some(
            deploy
                .services
                .iter()
                .filter_map(|s| Some((s.clone(), last.images.get(s)?.clone())))
                .collect(),
        ))
    }

    /// The step, told the node's Compose (found once by the state step).
    fn known_compose(&self, step: Step) -> Step {
        with_compose(step, self.compose.as_deref())
    }

    /// Runs one step; a non-zero exit is a failure with the step's output
    /// (secrets masked). Refuses to start a step after an interruption.
    async fn step(
        &mut self,
        ctx: &DeployContext,
        step: &Step,
        timeout: Duration,
    ) -> Result<String, NodeFailure> {
        if ctx.interrupt.is_set() {
            return Err(interrupted(&step.name));
        }
        ctx.progress
            .event(&self.node, &step.name, Status::Started, None, "");
        let t = Instant::now();
        match self.shell.run(step, timeout).await {
            Ok(out) if out.code == 0 => {
                ctx.progress
                    .event(&self.node, &step.name, Status::Ok, Some(t.elapsed()), "");
                Ok(out.output)
            }
            Ok(out) => {
                let shown = ctx.secrets.mask(out.output.trim());
                let reason = last_lines(&shown, 12);
                ctx.progress.event(
                    &self.node,
                    &step.name,
                    Status::Failed,
                    Some(t.elapsed()),
                    &reason,
                );
                Err(fail(&step.name, reason))
            }
            Err(StepError::Timeout) => {
                let reason = format!("no answer within {}s", timeout.as_secs());
                ctx.progress.event(
                    &self.node,
                    &step.name,
                    Status::Failed,
                    Some(t.elapsed()),
                    &reason,
                );
                Err(fail(&step.name, reason))
            }
            Err(StepError::Lost(e)) => {
                let reason = format!("connection lost: {e}");
                ctx.progress.event(
                    &self.node,
                    &step.name,
                    Status::Failed,
                    Some(t.elapsed()),
                    &reason,
                );
                Err(fail(&step.name, reason))
            }
        }
    }

    /// Phase 1 failed somewhere or was interrupted: drop the staged files,
    /// record an interruption (docs/operations.md, "Interruptions": Ctrl-C records "interrupted" in
    /// the history of every node it stopped), release the lock.
    pub async fn release(mut self, ctx: &DeployContext) {
        let stacks: Vec<String> = self.stacks.iter().map(|s| s.deploy.stack.clone()).collect();
        if !stacks.is_empty() {
            let _ = self.shell.run(&unstage::step(&stacks), STATE_TIMEOUT).await;
        }
        // The interrupt flag does not stop this clean-up.
        if ctx.interrupt.is_set() {
            let stacks = std::mem::take(&mut self.stacks);
            for stack in &stacks {
                let detail = "interrupted while preparing (before any hook or up): nothing changed on the node".to_string();
                let record = self.record(
                    ctx,
                    stack,
                    RecordResult::Interrupted,
                    detail,
                    BTreeMap::new(),
                    Duration::ZERO,
                );
                let _ = self.write_record(&record).await;
            }
        }
        self.shell.finish().await;
        close(self.session).await;
    }

    /// A history record of one stack of this deploy.
    fn record(
        &self,
        ctx: &DeployContext,
        stack: &PreparedStack,
        result: RecordResult,
        detail: String,
        images: BTreeMap<String, ImageRecord>,
        took: Duration,
    ) -> HistoryRecord {
        let deploy = &stack.deploy;
        // The services deployed; for a selection that starts nothing (all
        // above the scale), the selection, so it never reads as the whole stack.
        let services = match &stack.selected {
            None => Vec::new(),
            Some(_) if !deploy.services.is_empty() => deploy.services.clone(),
            Some(selected) => selected.clone(),
        };
        let mut record = HistoryRecord {
            time: now_rfc3339(),
            operator: ctx.operator.clone(),
            node: self.node.clone(),
            stack: deploy.stack.clone(),
            kind: ctx.target.kind(),
            services,
            tag: deploy
                .env
                .get("IMAGE_TAG")
                .cloned()
                .unwrap_or_else(|| ctx.tag.clone()),
            scale: deploy.scale,
            detail,
            images,
            duration_ms: took.as_millis() as u64,
            inputs: if result == RecordResult::Ok {
                stack.inputs.clone()
            } else {
                String::new()
            },
            files: match result {
                RecordResult::Ok => deploy.version.clone(),
                RecordResult::RolledBack => deploy.back_version.clone(),
                _ => String::new(),
            },
            result,
        };
        record.mask_detail(&ctx.secrets.masker());
        record
    }

    /// Appends a record to the node's history (written even after Ctrl-C:
    /// it is how an interruption is told).
    async fn write_record(&mut self, record: &HistoryRecord) -> Result<(), NodeFailure> {
        let json = serde_json::to_string(record).expect("a record serializes");
        match self.shell.run(&record::step(&json), STATE_TIMEOUT).await {
            Ok(out) if out.code == 0 => Ok(()),
            Ok(out) => Err(fail(
                "record",
                format!(
                    "the history was not written: {}",
                    last_lines(&out.output, 3)
                ),
            )),
            Err(e) => Err(fail(
                "record",
                format!("the history was not written: {e:?}"),
            )),
        }
    }

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
                    let result = if f.interrupted {
                        RecordResult::Interrupted
                    } else if rolled_back {
                        RecordResult::RolledBack
                    } else {
                        RecordResult::Failed
                    };
                    let detail = format!("{}: {}", f.step, f.reason);
                    failure.get_or_insert(f);
                    (result, images, detail)
                }
            };
            let record = self.record(&ctx, stack, result, detail, images, t.elapsed());
            let result = if stack.unchanged.is_some() {
                "unchanged"
            } else {
                record.result.as_str()
            };
            summaries.push(format!("{} {} ({result})", stack.deploy.stack, record.tag));
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
                .map(|s| s.deploy.stack.clone())
                .collect();
            summaries.extend(
                super::node_prune::after_deploy(&mut self.shell, &ctx, &self.node, &names).await,
            );
        }
        self.shell.finish().await;
        close(self.session).await;
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

    /// Returns the images that run afterwards, or the failure, those images
    /// and whether the previous ones were brought back.
    async fn apply_stack(
        &mut self,
        ctx: &DeployContext,
        stack: &PreparedStack,
    ) -> Result<BTreeMap<String, ImageRecord>, (NodeFailure, BTreeMap<String, ImageRecord>, bool)>
    {
        let deploy = &stack.deploy;
        let stack_def = &ctx.project.stacks[&deploy.stack];
        let none = BTreeMap::new;
        for hook in hooks::steps(deploy, &ctx.secrets) {
            let hook = self.known_compose(hook);
            self.step(ctx, &hook, HOOK_TIMEOUT)
                .await
                .map_err(|f| (f, none(), false))?;
        }
        let timeout = stack_def.health.timeout;
        let health_failure = if stack_def.rolling && !deploy.services.is_empty() {
            match self.roll(ctx, deploy).await {
                Ok(images) => return Ok(images),
                Err(Roll::NothingChanged(f)) => return Err((f, none(), false)),
                Err(Roll::Stopped(f)) => f,
            }
        } else {
            let up = self.known_compose(up::step(deploy, &ctx.secrets));
            self.step(ctx, &up, UP_TIMEOUT)
                .await
                .map_err(|f| (f, none(), false))?;
            let health = health::step(
                deploy,
                stack_def.health.url.as_deref(),
                timeout.as_secs().max(1),
            );
            match self
                .step(ctx, &health, timeout + Duration::from_secs(30))
                .await
            {
                Ok(out) => return Ok(health::parse(&out)),
                Err(f) => f,
            }
        };
        if ctx.no_rollback || health_failure.interrupted {
            return Err((health_failure, none(), false));
        }
        // Back to what ran before, by image id.
        let Some((tag, retag)) = rollback_plan(ctx, deploy, &stack.before) else {
            let mut f = health_failure;
            f.reason
                .push_str("\nnothing ran before this deploy: nothing to roll back to");
            return Err((f, none(), false));
        };
        // Back at the scale that ran before too: replicas this deploy added go.
        let scale = scale_that_ran(stack_def, &stack.before);
        let inv = &ctx.project.inventory;
        let mut previous = plan_stack(
            inv,
            &inv.nodes[&self.node],
            stack_def,
            stack.selected.as_deref(),
            &tag,
            scale,
        );
        // Back to the folder's files that ran before too, recreating the
        // services that read one that differs.
        previous.back_version = deploy.back_version.clone();
        previous.recreate = deploy.recreate.clone();
        ctx.progress.note(&format!(
            "{}: health failed, rolling back {} to {tag} at scale {scale}",
            self.node, deploy.stack
        ));
        let rollback = self.known_compose(rollback::step(&previous, &ctx.secrets, &tag, &retag));
        if let Err(f) = self.step(ctx, &rollback, UP_TIMEOUT).await {
            let mut f2 = health_failure;
            f2.reason
                .push_str(&format!("\nrollback failed too: {}", f.reason));
            return Err((f2, none(), false));
        }
        let health = health::step(
            &previous,
            stack_def.health.url.as_deref(),
            timeout.as_secs().max(1),
        );
        let mut f = health_failure;
        let images = match self
            .step(ctx, &health, timeout + Duration::from_secs(30))
            .await
        {
            Ok(out) => health::parse(&out),
            Err(again) => {
                f.reason.push_str(&format!(
                    "\nthe previous images are not healthy either: {}",
                    again.reason
                ));
                none()
            }
        };
        f.reason.push_str(&format!("\nrolled back to {tag}"));
        Err((f, images, true))
    }
}

/// How a rolling update stopped.
enum Roll {
    /// The first round's `up` failed: nothing was updated (as a failed `up`
    /// of a deploy that does not roll, no rollback).
    NothingChanged(NodeFailure),
    /// A later step failed: what was updated is rolled back.
    Stopped(NodeFailure),
}

impl PreparedNode {
    /// The `up` and `health` of a rolling update (docs/stacks.md, "Rolling
    /// updates"): round by round, each healthy before the next; then the
    /// replicas above the scale are removed. The images that run after.
    async fn roll(
        &mut self,
        ctx: &DeployContext,
        deploy: &StackDeploy,
    ) -> Result<BTreeMap<String, ImageRecord>, Roll> {
        let stack_def = &ctx.project.stacks[&deploy.stack];
        let timeout = stack_def.health.timeout;
        let plans = up::rolling_rounds(deploy);
        let count = plans.len();
        let mut images = BTreeMap::new();
        for (i, plan) in plans.iter().enumerate() {
            let up = up::round_step(
                self.known_compose(up::step(plan, &ctx.secrets)),
                i + 1,
                count,
            );
            if let Err(f) = self.step(ctx, &up, UP_TIMEOUT).await {
                return Err(if i == 0 {
                    Roll::NothingChanged(f)
                } else {
                    Roll::Stopped(f)
                });
            }
            if plan.services.is_empty() {
                continue;
            }
            let health = up::round_step(
                health::step(
                    plan,
                    stack_def.health.url.as_deref(),
                    timeout.as_secs().max(1),
                ),
                i + 1,
                count,
            );
            let out = self
                .step(ctx, &health, timeout + Duration::from_secs(30))
                .await
                .map_err(Roll::Stopped)?;
            images.extend(health::parse(&out));
        }
        Ok(images)
    }
}

/// One app image to pin for a rollback: (image id, digest reference, local
/// reference at the old tag).
type RollbackPin = (String, String, String);

/// For `rollback`: the tag of the deploy before the last one, and for each
/// app image (image id, digest reference, local reference at that tag).
fn rollback_pins(
    ctx: &DeployContext,
    stack: &crate::inventory::Stack,
    selected: Option<&[String]>,
    history: &[HistoryRecord],
) -> Result<(String, Vec<RollbackPin>), String> {
    let prefix = ctx.project.inventory.registry.prefix();
    // The services that run app images (`${REGISTRY}/NAME:${IMAGE_TAG}`).
    let app_service = |service: &str| {
        stack
            .compose
            .services
            .get(service)
            .is_some_and(|s| s.image.contains("IMAGE_TAG"))
    };
    let services: Vec<String> = match selected {
        Some(list) => list.iter().filter(|s| app_service(s)).cloned().collect(),
        None => {
            let last = history.iter().rev().find(|r| {
                r.stack == stack.name && r.result == RecordResult::Ok && r.kind != RecordKind::Down
            });
            last.map(|r| {
                r.images
                    .keys()
                    .filter(|s| app_service(s))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
        }
    };
    if services.is_empty() {
        return Err(format!(
            "no deploy of stack {} in this node's history: nothing to roll back to",
            stack.name
        ));
    }
    let target = crate::plan::rollback_plan::rollback_target(history, &stack.name, &services)?;
    let mut pins = Vec::new();
    for image in &stack.images {
        let repo = format!("{prefix}/{image}");
        let using: Vec<&str> = stack
            .compose
            .services
            .iter()
            .filter(|(_, s)| s.image.contains(&format!("/{image}:")))
            .map(|(n, _)| n.as_str())
            .collect();
        let Some((_, record)) = target
            .images
            .iter()
            .find(|(s, _)| using.contains(&s.as_str()))
        else {
            continue;
        };
        let digest = record
            .digests
            .iter()
            .find(|d| d.starts_with(&format!("{repo}@")))
            .cloned()
            .unwrap_or_else(|| "-".into());
        pins.push((record.id.clone(), digest, format!("{repo}:{}", target.tag)));
    }
    Ok((target.tag, pins))
}

/// The scale a stack ran at, from the services that ran: the highest
/// scale-N profile among them (1 if none).
fn scale_that_ran(
    stack: &crate::inventory::Stack,
    before: &BTreeMap<String, (String, String)>,
) -> u32 {
    before
        .keys()
        .filter_map(|service| stack.compose.services.get(service))
        .map(|s| {
            s.profiles
                .iter()
                .filter_map(|p| crate::inventory::profile_scale(p))
                .min()
                .unwrap_or(1)
        })
        .max()
        .unwrap_or(1)
        .min(stack.max_scale)
}

/// The tag to go back to and (image id, reference) per app image, from
/// what ran before; `None` if no app image ran before.
fn rollback_plan(
    ctx: &DeployContext,
    deploy: &StackDeploy,
    before: &BTreeMap<String, (String, String)>,
) -> Option<(String, Vec<(String, String)>)> {
    let prefix = ctx.project.inventory.registry.prefix();
    let stack = &ctx.project.stacks[&deploy.stack];
    let mut tag = None;
    let mut retag = Vec::new();
    // Only services whose image is tagged IMAGE_TAG tell the previous tag:
    // another service may run the same repository under a fixed tag (the
    // reference's db runs ktrdr-backend:lab-db), and must not be taken for it.
    let tagged = |service: &str| {
        stack
            .compose
            .services
            .get(service)
            .is_some_and(|s| s.image.contains("IMAGE_TAG"))
    };
    for image in &stack.images {
        let base = format!("{prefix}/{image}:");
        let previous = before
            .iter()
            .filter(|(service, _)| tagged(service))
            .map(|(_, v)| v)
            .find(|(_, reference)| reference.starts_with(&base))?;
        let old_tag = previous.1[base.len()..].to_string();
        retag.push((previous.0.clone(), format!("{base}{old_tag}")));
        tag.get_or_insert(old_tag);
    }
    Some((tag?, retag))
}

/// project → service → (image id, image reference) of the running containers.
fn running_by_project(
    containers: &[Container],
) -> BTreeMap<String, BTreeMap<String, (String, String)>> {
    let mut by_project: BTreeMap<String, BTreeMap<String, (String, String)>> = BTreeMap::new();
    for c in containers.iter().filter(|c| c.state == "running") {
        by_project
            .entry(c.project.clone())
            .or_default()
            .insert(c.service.clone(), (c.image_id.clone(), c.image_ref.clone()));
    }
    by_project
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The stage step of a stack's folder: the plan's lines and the content of
/// each file that travels, read from the operator's folder now.
fn stage_step_of(
    deploy: &StackDeploy,
    dir: &std::path::Path,
    plan: &[StagedFile],
) -> Result<Step, String> {
    let mut contents = Vec::new();
    for file in plan {
        if let Some(path) = &file.travels {
            contents.push(
                std::fs::read(dir.join(path)).map_err(|e| format!("cannot read {path}: {e}"))?,
            );
        }
    }
    let lines: Vec<String> = plan.iter().map(|f| f.line.clone()).collect();
    Ok(stage::step(deploy, &lines, contents))
}

//! One node's deploy, in the two phases of docs/operations.md ("Deploying"):
//! `prepare` (connect, lock, read state, stage files, pull) changes nothing
//! that runs; `apply` (node_deploy_apply.rs: hooks, up, health, rollback,
//! history) does. What to do is decided by `plan::node_plan`; this only
//! runs it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::interrupt::Interrupt;
use super::reporter::{Reporter, Status};
use super::transport::{Connection, Transport};
use super::RemoteShell;
use crate::inventory::Project;
use crate::plan::folder_changes::StagedFile;
use crate::plan::history::{now_rfc3339, HistoryRecord, ImageRecord, RecordResult};
use crate::plan::node_plan::{confirm_skip, plan_node, Request, Skip, StackPlan};
use crate::plan::node_state::NodeState;
use crate::plan::record::{record_of, Ending};
use crate::plan::SelectedNode;
use crate::remote::steps::lib::{with_compose, Login};
use crate::remote::steps::{pin, pull, record, stage, state, unstage, verify};
use crate::remote::Step;
use crate::secrets::Secrets;

pub use super::node_deploy_error::{NodeError, NodeFailure};
pub use crate::plan::node_plan::Target;

pub(super) const STATE_TIMEOUT: Duration = Duration::from_secs(60);
const PULL_TIMEOUT: Duration = Duration::from_secs(900);
const STAGE_TIMEOUT: Duration = Duration::from_secs(300);
pub(super) const HOOK_TIMEOUT: Duration = Duration::from_secs(900);
pub(super) const UP_TIMEOUT: Duration = Duration::from_secs(300);

/// What every node's deploy shares.
pub struct DeployContext {
    pub target: Target,
    pub project: Arc<Project>,
    pub tag: String,
    pub scale: Option<u32>,
    pub no_rollback: bool,
    /// Run every step even when the deploy would change nothing.
    pub force: bool,
    pub secrets: Secrets,
    pub progress: Arc<dyn Reporter>,
    pub interrupt: Interrupt,
    pub operator: String,
    /// How the nodes are reached: SSH, or local folders in the flow tests.
    pub transport: Transport,
}

impl DeployContext {
    fn request(&self) -> Request<'_> {
        Request {
            target: self.target,
            tag: &self.tag,
            scale: self.scale,
            force: self.force,
            secrets: &self.secrets,
        }
    }

    fn login(&self) -> Login<'_> {
        let registry = &self.project.inventory.registry;
        Login {
            server: &registry.server,
            username: &registry.username,
            password: self
                .secrets
                .get(&registry.password)
                .cloned()
                .expect("resolved before any node is touched"),
        }
    }
}

/// A node that passed phase 1: locked, files staged, images pulled.
pub struct PreparedNode {
    pub(super) node: String,
    pub(super) connection: Connection,
    pub(super) shell: RemoteShell,
    pub(super) stacks: Vec<PreparedStack>,
    pub(super) started: Instant,
    /// The node's Compose command, found once by the state step.
    compose: Option<String>,
}

pub(super) struct PreparedStack {
    pub(super) plan: StackPlan,
    /// Nothing to do (a redeploy of what runs): the images that run, as
    /// the last record has them. Apply only records it.
    pub(super) unchanged: Option<BTreeMap<String, ImageRecord>>,
}

/// The outcome of phase 2 on one node.
pub struct NodeOutcome {
    pub node: String,
    pub failure: Option<NodeFailure>,
    pub summary: String,
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
    let connection = ctx
        .transport
        .connect(&inv.ssh, node)
        .await
        .map_err(|e| NodeFailure::new("connect", NodeError::Connect(e)))?;
    progress.event(name, "connect", Status::Ok, Some(t.elapsed()), "");

    if ctx.interrupt.is_set() {
        connection.close().await;
        return Err(NodeFailure::new("lock", NodeError::Interrupted));
    }
    let t = Instant::now();
    let candidates = connection.state_dirs(node);
    let timeout = inv.ssh.connect_timeout * 3;
    let shell =
        match RemoteShell::start(&connection, true, &ctx.operator, &candidates, timeout).await {
            Ok(shell) => shell,
            Err(err) => {
                connection.close().await;
                return Err(NodeFailure::new("lock", NodeError::of_start(err, name)));
            }
        };
    progress.event(name, "lock", Status::Ok, Some(t.elapsed()), "");
    let mut prepared = PreparedNode {
        node: name.to_string(),
        connection,
        shell,
        stacks: Vec::new(),
        started,
        compose: None,
    };

    match prepared.prepare_stacks(&ctx, &selected).await {
        Ok(()) => Ok(prepared),
        Err(failure) => {
            prepared.release(&ctx).await;
            Err(failure)
        }
    }
}

impl PreparedNode {
    pub fn name(&self) -> &str {
        &self.node
    }

    /// Reads the node's state, plans, and per stack: checks a redeploy of
    /// what runs against the registry (skipped if confirmed), or stages
    /// its files and pulls (or pins) its images.
    async fn prepare_stacks(
        &mut self,
        ctx: &DeployContext,
        selected: &SelectedNode,
    ) -> Result<(), NodeFailure> {
        let inv = &ctx.project.inventory;
        let projects: Vec<String> = selected
            .stacks
            .iter()
            .map(|s| inv.project_name(&s.stack))
            .collect();
        let stack_names: Vec<String> = selected.stacks.iter().map(|s| s.stack.clone()).collect();
        let output = self
            .step(ctx, &state::step(&projects, &stack_names), STATE_TIMEOUT)
            .await?;
        let state: NodeState = state::parse(&output);
        self.compose = state.compose.clone();
        let plans = plan_node(&ctx.project, selected, &state, &ctx.request())
            .map_err(|e| NodeFailure::new("history", NodeError::Plan(e)))?;
        let login = ctx.login();
        for plan in plans {
            let stack = &ctx.project.stacks[&plan.deploy.stack];
            if !plan.orphaned.is_empty() {
                ctx.progress.note(&format!(
                    "{}: {}: removing services no longer in its compose file: {}",
                    self.node,
                    plan.deploy.stack,
                    plan.orphaned.join(", ")
                ));
            }
            match &plan.skip {
                Skip::Candidate(refs) => {
                    let url = stack.health.url.as_deref();
                    let verify = verify::step(&plan.deploy.stack, &login, refs, url);
                    let out = self.step(ctx, &verify, PULL_TIMEOUT).await?;
                    let verified = verify::parse(&out);
                    let answers = verified.url_answers(url);
                    if let Some(images) = confirm_skip(&plan, &state, &verified.refs, answers) {
                        ctx.progress.event(
                            &self.node,
                            &format!("unchanged {}", plan.deploy.stack),
                            Status::Skipped,
                            None,
                            "nothing to do: pull, hooks, up and health skipped",
                        );
                        self.stacks.push(PreparedStack {
                            plan,
                            unchanged: Some(images),
                        });
                        continue;
                    }
                    tracing::debug!(
                        "{}: {}: the tag names other images now, or the health url does not answer",
                        self.node,
                        plan.deploy.stack
                    );
                }
                Skip::No(why) => {
                    tracing::debug!("{}: {} changes: {why}", self.node, plan.deploy.stack)
                }
            }
            let stage = match &plan.stage {
                Some(files) => Some(stage_step_of(&plan, &stack.dir, files)?),
                None => None,
            };
            let fetch = match &plan.pins {
                Some(pins) => pin::step(&plan.deploy, &ctx.secrets, &login, pins),
                None => pull::step(&plan.deploy, &ctx.secrets, &login),
            };
            // Listed before its steps run: a failure or an interruption from
            // here on unstages its file and (after Ctrl-C) records it.
            let fetch = self.known_compose(fetch);
            self.stacks.push(PreparedStack {
                plan,
                unchanged: None,
            });
            if let Some(stage) = &stage {
                self.step(ctx, stage, STAGE_TIMEOUT).await?;
            }
            self.step(ctx, &fetch, PULL_TIMEOUT).await?;
        }
        Ok(())
    }

    /// The step, told the node's Compose (found once by the state step).
    pub(super) fn known_compose(&self, step: Step) -> Step {
        with_compose(step, self.compose.as_deref())
    }

    /// Runs one step; a non-zero exit is a failure with the step's output
    /// (secrets masked). Refuses to start a step after an interruption.
    pub(super) async fn step(
        &mut self,
        ctx: &DeployContext,
        step: &Step,
        timeout: Duration,
    ) -> Result<String, NodeFailure> {
        if ctx.interrupt.is_set() {
            return Err(NodeFailure::new(&step.name, NodeError::Interrupted));
        }
        ctx.progress
            .event(&self.node, &step.name, Status::Started, None, "");
        let t = Instant::now();
        let error = match self.shell.run(step, timeout).await {
            Ok(out) if out.code == 0 => {
                ctx.progress
                    .event(&self.node, &step.name, Status::Ok, Some(t.elapsed()), "");
                return Ok(out.output);
            }
            Ok(out) => NodeError::StepFailed {
                output: last_lines(&ctx.secrets.mask(out.output.trim()), 12),
            },
            Err(e) => NodeError::of_step(e, timeout),
        };
        let failure = NodeFailure::new(&step.name, error);
        ctx.progress.event(
            &self.node,
            &step.name,
            Status::Failed,
            Some(t.elapsed()),
            &failure.reason(),
        );
        Err(failure)
    }

    /// Phase 1 failed somewhere or was interrupted: drop the staged files,
    /// record an interruption (docs/operations.md, "Interruptions": Ctrl-C records "interrupted" in
    /// the history of every node it stopped), release the lock.
    pub async fn release(mut self, ctx: &DeployContext) {
        let stacks: Vec<String> = self
            .stacks
            .iter()
            .map(|s| s.plan.deploy.stack.clone())
            .collect();
        if !stacks.is_empty() {
            let _ = self.shell.run(&unstage::step(&stacks), STATE_TIMEOUT).await;
        }
        // The interrupt flag does not stop this clean-up.
        if ctx.interrupt.is_set() {
            let stacks = std::mem::take(&mut self.stacks);
            for stack in &stacks {
                let ending = Ending {
                    result: RecordResult::Interrupted,
                    detail: "interrupted while preparing (before any hook or up): nothing changed on the node".into(),
                    images: BTreeMap::new(),
                    took: Duration::ZERO,
                };
                let record = self.record(ctx, &stack.plan, ending);
                let _ = self.write_record(&record).await;
            }
        }
        self.shell.finish().await;
        self.connection.close().await;
    }

    /// The history record of one stack of this deploy, its detail masked.
    pub(super) fn record(
        &self,
        ctx: &DeployContext,
        plan: &StackPlan,
        ending: Ending,
    ) -> HistoryRecord {
        let mut record = record_of(
            plan,
            ctx.target,
            &ctx.tag,
            &self.node,
            &ctx.operator,
            now_rfc3339(),
            ending,
        );
        record.mask_detail(&ctx.secrets.masker());
        record
    }

    /// Appends a record to the node's history (written even after Ctrl-C:
    /// it is how an interruption is told).
    pub(super) async fn write_record(&mut self, record: &HistoryRecord) -> Result<(), NodeFailure> {
        let json = serde_json::to_string(record).expect("a record serializes");
        let error = match self.shell.run(&record::step(&json), STATE_TIMEOUT).await {
            Ok(out) if out.code == 0 => return Ok(()),
            Ok(out) => last_lines(&out.output, 3),
            Err(e) => NodeError::of_step(e, STATE_TIMEOUT).to_string(),
        };
        Err(NodeFailure::new(
            "record",
            NodeError::RecordNotWritten(error),
        ))
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The stage step of a stack's folder: the plan's lines and the content of
/// each file that travels, read from the operator's folder now.
fn stage_step_of(
    plan: &StackPlan,
    dir: &std::path::Path,
    files: &[StagedFile],
) -> Result<Step, NodeFailure> {
    let mut contents = Vec::new();
    for file in files {
        if let Some(path) = &file.travels {
            contents.push(std::fs::read(dir.join(path)).map_err(|e| {
                NodeFailure::new(
                    "stage",
                    NodeError::Unreadable {
                        path: path.clone(),
                        error: e.to_string(),
                    },
                )
            })?);
        }
    }
    let lines: Vec<String> = files.iter().map(|f| f.line.clone()).collect();
    Ok(stage::step(&plan.deploy, &lines, contents))
}

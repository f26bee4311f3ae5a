//! The one planner of a deploy (docs/architecture.md, "One planner"): from
//! the project, a node's selection, what the node runs (`NodeState`) and
//! what is asked (`Request`), what happens to each stack: the scale, the
//! services to start, recreate and remove, the files to stage, the images
//! to pull or pin, the rounds of `up` and `health`, and whether it may be
//! a redeploy of what runs (skipped once the registry confirms it).
//! `deploy`, `deploy --dry-run` and `plan` all use it. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::deploy_plan::{orphans, plan_stack, StackDeploy};
use super::fingerprint;
use super::folder_changes::{changed_paths, services_reading, stage_plan, StagedFile};
use super::history::{current_scale, ImageRecord, RecordKind};
use super::node_state::{NodeState, Running};
use super::rollback_plan::{files_to_roll_back_to, rollback_pins, RollbackPin};
use super::rolling::round_plans;
use super::unchanged;
use super::SelectedNode;
use crate::inventory::{Node, Project, Stack};
use crate::secrets::Secrets;

/// What a deploy brings: the tag asked for, or (rollback) the images that
/// ran before the last deploy, found in each node's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tag,
    RollbackToTag,
    RollbackByHistory,
}

impl Target {
    /// The history record's kind.
    pub fn kind(self) -> RecordKind {
        match self {
            Target::Tag => RecordKind::Deploy,
            Target::RollbackToTag | Target::RollbackByHistory => RecordKind::Rollback,
        }
    }
}

/// What the command line asks of every node.
pub struct Request<'a> {
    pub target: Target,
    pub tag: &'a str,
    pub scale: Option<u32>,
    /// Run every step even when the deploy would change nothing.
    pub force: bool,
    /// The resolved values (for the fingerprint of the inputs).
    pub secrets: &'a Secrets,
}

/// Whether a stack's deploy may change nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    /// It changes something (why, for the debug log).
    No(String),
    /// The same inputs as its last deploy and everything runs as that
    /// deploy left it: skipped if the registry's tags still name these
    /// image references' images (and the health URL answers).
    Candidate(Vec<String>),
}

/// One `up` and its `health` wait; a deploy that does not roll has one.
#[derive(Debug, Clone)]
pub struct Round {
    pub deploy: StackDeploy,
    /// (k, n) for round k of n of a rolling update.
    pub place: Option<(usize, usize)>,
    /// Whether a `health` step waits for this round.
    pub health: bool,
}

/// What happens to one stack of the node.
#[derive(Debug, Clone)]
pub struct StackPlan {
    pub deploy: StackDeploy,
    /// The services named on the command line (None: the whole stack).
    pub selected: Option<Vec<String>>,
    /// What ran before, for the rollback after a failed health check.
    pub before: Running,
    /// Services of the project no longer in its compose file: removed.
    pub orphaned: Vec<String>,
    /// The fingerprint of this deploy's inputs, for its history record.
    pub inputs: String,
    /// Per env and secret name, its value's fingerprint, salted as `inputs`.
    pub values: BTreeMap<String, String>,
    /// The folder's files to stage (None: the node keeps that version).
    pub stage: Option<Vec<StagedFile>>,
    /// The paths of the folder that differ from the version in use.
    pub changed_files: BTreeSet<String>,
    /// A rollback by history: the previous images to pin (else: pull).
    pub pins: Option<Vec<RollbackPin>>,
    pub skip: Skip,
    pub rounds: Vec<Round>,
}

/// The scale of a stack's deploy: `--scale`, else the scale it runs at on
/// the node, else the node's, else 1; never above its `max_scale`.
pub fn scale_of(requested: Option<u32>, state: &NodeState, node: &Node, stack: &Stack) -> u32 {
    requested
        .or_else(|| current_scale(&state.history, &stack.name))
        .or(node.scale)
        .unwrap_or(1)
        .min(stack.max_scale)
}

/// The plan of every selected stack of a node, in the selection's order.
/// Err: (stack, why) when a rollback by history has nothing to go back to.
pub fn plan_node(
    project: &Project,
    selected: &SelectedNode,
    state: &NodeState,
    req: &Request,
) -> Result<Vec<StackPlan>, String> {
    let inv = &project.inventory;
    let node = &inv.nodes[&selected.node];
    let mut plans = Vec::new();
    for chosen in &selected.stacks {
        let stack = &project.stacks[&chosen.stack];
        let scale = scale_of(req.scale, state, node, stack);
        let (tag, pins) = match req.target {
            Target::RollbackByHistory => {
                let (tag, pins) =
                    rollback_pins(project, stack, chosen.services.as_deref(), &state.history)?;
                (tag, Some(pins))
            }
            _ => (req.tag.to_string(), None),
        };
        let mut deploy = plan_stack(inv, node, stack, chosen.services.as_deref(), &tag, scale);
        // A whole-stack deploy also removes the services gone from its
        // compose file (computed here, not by Compose's --remove-orphans:
        // docs/operations.md, "Orphaned services").
        let orphaned = match chosen.services {
            None => orphans(
                stack,
                &deploy.project,
                state
                    .containers
                    .iter()
                    .map(|c| (c.project.as_str(), c.service.as_str())),
            ),
            Some(_) => Vec::new(),
        };
        let before = state.running(&deploy.project);
        // The stack's folder: what the node has, what travels, what to recreate.
        let on_node = state.folder(&stack.name);
        deploy.back_version = on_node.in_use.clone();
        // A rollback by history brings back the folder's files of the
        // deploy it goes back to, when the node still keeps them.
        if req.target == Target::RollbackByHistory {
            if let Some(version) = files_to_roll_back_to(&state.history, &stack.name, &on_node) {
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
        // `up -d` creates a service that is not running with the new files
        // already: recreating it again right after would only restart it.
        deploy.recreate.retain(|s| before.contains_key(s));
        let stage = if deploy.version != stack.folder.version {
            None
        } else {
            stage_plan(&stack.folder, &on_node)
        };
        // The fingerprint is of the plan without the orphans: the next
        // deploy of the same inputs, with nothing orphaned left, is skipped.
        let inputs = fingerprint::fingerprint(&deploy, &stack.compose.text, req.secrets);
        let values = fingerprint::value_prints(&inputs, &deploy, req.secrets);
        let same_files = on_node.in_use == deploy.version;
        deploy.remove.extend(orphaned.iter().cloned());
        let skip = if req.target != Target::Tag {
            Skip::No("a rollback always runs".into())
        } else if req.force {
            Skip::No("--force".into())
        } else if !orphaned.is_empty() {
            Skip::No("services to remove that are no longer in the compose file".into())
        } else if !same_files {
            Skip::No("another version of the stack's files".into())
        } else {
            let last = unchanged::last_record(&state.history, &deploy.stack);
            let inputs_match = last.is_some_and(|r| {
                fingerprint::matches(&r.inputs, &deploy, &stack.compose.text, req.secrets)
            });
            match unchanged::candidate(&deploy, last, inputs_match, &state.containers) {
                Ok(refs) => Skip::Candidate(refs),
                Err(why) => Skip::No(why),
            }
        };
        let rounds = rounds_of(stack, &deploy);
        plans.push(StackPlan {
            deploy,
            selected: chosen.services.clone(),
            before,
            orphaned,
            inputs,
            values,
            stage,
            changed_files: changed,
            pins,
            skip,
            rounds,
        });
    }
    Ok(plans)
}

/// The `up`/`health` rounds of a deploy: one, or with `rolling = true`
/// one a replica index (docs/stacks.md, "Rolling updates").
pub fn rounds_of(stack: &Stack, deploy: &StackDeploy) -> Vec<Round> {
    if !stack.rolling || deploy.services.is_empty() {
        return vec![Round {
            deploy: deploy.clone(),
            place: None,
            health: true,
        }];
    }
    let plans = round_plans(deploy);
    let count = plans.len();
    plans
        .into_iter()
        .enumerate()
        .map(|(i, deploy)| Round {
            health: !deploy.services.is_empty(),
            deploy,
            place: Some((i + 1, count)),
        })
        .collect()
}

/// After the registry answered for a candidate (`now`: reference → image
/// id it names; `url_answers`: the health URL, if any, answered): the
/// images to record if the deploy is skipped, or `None` to deploy.
pub fn confirm_skip(
    plan: &StackPlan,
    state: &NodeState,
    now: &BTreeMap<String, String>,
    url_answers: bool,
) -> Option<BTreeMap<String, ImageRecord>> {
    let deploy = &plan.deploy;
    if !matches!(plan.skip, Skip::Candidate(_))
        || !unchanged::confirmed(deploy, &state.containers, now)
        || !url_answers
    {
        return None;
    }
    let last = unchanged::last_record(&state.history, &deploy.stack)?;
    Some(
        deploy
            .services
            .iter()
            .filter_map(|s| Some((s.clone(), last.images.get(s)?.clone())))
            .collect(),
    )
}

#[cfg(test)]
#[path = "node_plan_tests.rs"]
pub(crate) mod tests;

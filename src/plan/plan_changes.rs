//! What `homectl plan` says a deploy would change on a node, per stack
//! (docs/operations.md, "plan"), from the same `StackPlan` the deploy runs
//! and what the node and the registry answered. "No change" is exactly
//! the deploy's skip (`node_plan::confirm_skip`), the registry's digests
//! standing in for the verify step's pull. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::deploy_plan::plan_stack;
use super::fingerprint::{changed_names, value_prints};
use super::health_rollback::scale_that_ran;
use super::history::{HistoryRecord, RecordResult};
use super::node_plan::{confirm_skip, Skip, StackPlan};
use super::node_state::NodeState;
use super::SelectedNode;
use crate::inventory::image_ref::interpolate;
use crate::inventory::Project;
use crate::secrets::Secrets;

/// What the node said besides its state (the plan step).
#[derive(Debug, Clone, Default)]
pub struct RegistryAnswers {
    /// image id → its `repo@sha256:...` digests on the node.
    pub has: BTreeMap<String, Vec<String>>,
    /// image reference → the digest the registry names for it (None: not found).
    pub names: BTreeMap<String, Option<String>>,
    /// stack → whether its health URL answered.
    pub urls: BTreeMap<String, bool>,
    /// The registry login failed: why.
    pub registry_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImageChange {
    pub service: String,
    /// `name:tag@digest` that runs (None: nothing runs).
    pub from: Option<String>,
    /// `name:tag@digest` a deploy would run (`@?`: digest not known).
    pub to: String,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct FileChanges {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StackChanges {
    pub node: String,
    pub stack: String,
    /// A deploy would skip this stack: nothing changes.
    pub no_change: bool,
    /// Why a deploy would not skip it.
    pub why: Option<String>,
    pub images: Vec<ImageChange>,
    pub files: FileChanges,
    /// Env and secret names whose values changed (None: not known, e.g.
    /// no earlier deploy recorded per-name fingerprints).
    pub values: Option<Vec<String>>,
    pub scale_from: Option<u32>,
    pub scale_to: u32,
    pub replicas_added: Vec<String>,
    pub replicas_removed: Vec<String>,
    /// Services no longer in the compose file, removed.
    pub orphans_removed: Vec<String>,
    /// Running containers a deploy would replace.
    pub recreated: Vec<String>,
    /// `before_up` hooks that would run: `service: command`.
    pub hooks: Vec<String>,
}

/// What to ask the registry from a node before its state is known (it is
/// asked at the same time as the state): every image reference of the
/// selected services at any scale, at `tag` (the references a deploy
/// would run and, when nothing changed, those that run), and the health
/// URLs (stack, url). Only references of the inventory's registry.
pub fn registry_questions(
    project: &Project,
    selected: &SelectedNode,
    tag: &str,
) -> (Vec<String>, Vec<(String, String)>) {
    let inv = &project.inventory;
    let node = &inv.nodes[&selected.node];
    let server = format!("{}/", inv.registry.server);
    let mut refs = BTreeSet::new();
    let mut urls = Vec::new();
    for chosen in &selected.stacks {
        let stack = &project.stacks[&chosen.stack];
        let all = plan_stack(
            inv,
            node,
            stack,
            chosen.services.as_deref(),
            tag,
            stack.max_scale,
        );
        refs.extend(
            all.services
                .iter()
                .filter_map(|s| interpolate(&stack.compose.services.get(s)?.image, &all.env))
                .filter(|r| r.starts_with(&server)),
        );
        if let Some(url) = &stack.health.url {
            urls.push((stack.name.clone(), url.clone()));
        }
    }
    (refs.into_iter().collect(), urls)
}

/// The changes of one stack. `answers`: None for `deploy --dry-run`, which
/// asks no node (then `state` is empty and nothing is "no change").
pub fn changes(
    project: &Project,
    node: &str,
    plan: &StackPlan,
    state: &NodeState,
    answers: Option<&RegistryAnswers>,
    secrets: &Secrets,
) -> StackChanges {
    let d = &plan.deploy;
    let stack = &project.stacks[&d.stack];
    let server = format!("{}/", project.inventory.registry.server);
    let empty = RegistryAnswers::default();
    let a = answers.unwrap_or(&empty);
    let before = &plan.before;
    let scale_from = (!before.is_empty()).then(|| scale_that_ran(stack, before));
    let mut out = StackChanges {
        node: node.to_string(),
        stack: d.stack.clone(),
        no_change: false,
        why: match &plan.skip {
            Skip::No(why) => Some(why.clone()),
            Skip::Candidate(_) => None,
        },
        images: Vec::new(),
        files: FileChanges::default(),
        values: None,
        scale_from,
        scale_to: d.scale,
        replicas_added: Vec::new(),
        replicas_removed: Vec::new(),
        orphans_removed: Vec::new(),
        recreated: Vec::new(),
        hooks: Vec::new(),
    };
    if answers.is_some() {
        // What each candidate reference names now, as an image id on the node.
        let mut now = BTreeMap::new();
        if let Skip::Candidate(refs) = &plan.skip {
            for r in refs {
                let id = if r.starts_with(&server) {
                    a.names
                        .get(r)
                        .cloned()
                        .flatten()
                        .and_then(|digest| image_with(a, &format!("{}@{digest}", repo_of(r))))
                } else {
                    // Not homectl's registry: taken as what runs.
                    running_id(state, &d.project, r)
                };
                if let Some(id) = id {
                    now.insert(r.clone(), id);
                }
            }
        }
        let url_ok = stack.health.url.is_none() || a.urls.get(&d.stack) == Some(&true);
        if confirm_skip(plan, state, &now, url_ok).is_some() {
            out.no_change = true;
            return out;
        }
        if matches!(plan.skip, Skip::Candidate(_)) {
            out.why = Some(if url_ok {
                "the registry's tag names other images now".into()
            } else {
                "the health url does not answer".into()
            });
        }
    }
    let mut image_changed = BTreeSet::new();
    for service in &d.services {
        let Some(to_ref) = planned_ref(project, plan, service) else {
            continue;
        };
        let to_digest = a.names.get(&to_ref).cloned().flatten();
        let running = state
            .containers
            .iter()
            .find(|c| c.project == d.project && &c.service == service && c.state == "running");
        let from_digest = running.and_then(|c| {
            let repo = format!("{}@", repo_of(&c.image_ref));
            a.has
                .get(&c.image_id)?
                .iter()
                .find_map(|x| x.strip_prefix(&repo).map(str::to_string))
        });
        let changed = match running {
            None => true,
            Some(c) => {
                c.image_ref != to_ref
                    || (to_digest.is_some() && from_digest != to_digest)
                    || (to_ref.starts_with(&server) && answers.is_some() && to_digest.is_none())
            }
        };
        if !changed {
            continue;
        }
        if running.is_some() {
            image_changed.insert(service.clone());
        }
        out.images.push(ImageChange {
            service: service.clone(),
            from: running.map(|c| shown(&c.image_ref, from_digest.as_deref())),
            to: shown(&to_ref, to_digest.as_deref()),
        });
    }
    // The folder: the local one against the version in use on the node.
    let on_node = state.folder(&d.stack);
    for path in &plan.changed_files {
        let local = stack.folder.files.iter().any(|f| &f.path == path);
        let list = match (local, on_node.files.contains_key(path)) {
            (true, false) => &mut out.files.added,
            (true, true) => &mut out.files.changed,
            _ => &mut out.files.removed,
        };
        list.push(path.clone());
    }
    out.values = last_deploy(&state.history, &d.stack)
        .filter(|r| !r.values.is_empty())
        .map(|r| changed_names(&r.values, &value_prints(&r.inputs, d, secrets)));
    let changed_values = out.values.clone().unwrap_or_default();
    let exists: BTreeSet<&str> = state
        .containers
        .iter()
        .filter(|c| c.project == d.project)
        .map(|c| c.service.as_str())
        .collect();
    out.replicas_added = d
        .services
        .iter()
        .filter(|s| !before.contains_key(*s))
        .cloned()
        .collect();
    out.replicas_removed = d
        .remove
        .iter()
        .filter(|s| exists.contains(s.as_str()) && !plan.orphaned.contains(s))
        .cloned()
        .collect();
    out.orphans_removed = plan.orphaned.clone();
    out.recreated = d
        .services
        .iter()
        .filter(|s| before.contains_key(*s))
        .filter(|s| {
            image_changed.contains(*s)
                || d.recreate.contains(s)
                || reads_any(&stack.compose.document, s, &changed_values)
        })
        .cloned()
        .collect();
    out.hooks = d
        .hooks
        .iter()
        .map(|h| format!("{}: {}", h.service, h.command.join(" ")))
        .collect();
    out
}

/// The newest successful deploy or rollback of a stack.
fn last_deploy<'a>(history: &'a [HistoryRecord], stack: &str) -> Option<&'a HistoryRecord> {
    history
        .iter()
        .rev()
        .find(|r| r.stack == stack && r.result == RecordResult::Ok && r.kind.is_deploy())
}

/// The image reference a deploy runs for a service, when homectl can tell.
fn planned_ref(project: &Project, plan: &StackPlan, service: &str) -> Option<String> {
    let s = project.stacks[&plan.deploy.stack]
        .compose
        .services
        .get(service)?;
    interpolate(&s.image, &plan.deploy.env)
}

/// `server/ns/name:tag` → `server/ns/name` (a port's colon is kept).
fn repo_of(reference: &str) -> &str {
    let reference = reference.split('@').next().unwrap_or(reference);
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => reference,
    }
}

/// `name:tag@sha256:123456789abc`: the last path part, a short digest.
fn shown(reference: &str, digest: Option<&str>) -> String {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    let digest = digest
        .map(|d| d.chars().take("sha256:".len() + 12).collect::<String>())
        .unwrap_or_else(|| "?".into());
    format!("{name}@{digest}")
}

fn image_with(a: &RegistryAnswers, digest_ref: &str) -> Option<String> {
    a.has
        .iter()
        .find(|(_, digests)| digests.iter().any(|d| d == digest_ref))
        .map(|(id, _)| id.clone())
}

fn running_id(state: &NodeState, project: &str, reference: &str) -> Option<String> {
    state
        .containers
        .iter()
        .find(|c| c.project == project && c.image_ref == reference)
        .map(|c| c.image_id.clone())
}

/// Whether a service's definition names one of `names` (`${NAME}`,
/// `$NAME`, or passed through by name): Compose then sees a new config.
fn reads_any(document: &serde_yaml_ng::Value, service: &str, names: &[String]) -> bool {
    let Some(def) = document.get("services").and_then(|s| s.get(service)) else {
        return false;
    };
    let text = serde_yaml_ng::to_string(def).unwrap_or_default();
    names.iter().any(|name| {
        text.match_indices(name.as_str()).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    })
}

#[cfg(test)]
#[path = "plan_changes_tests.rs"]
mod tests;

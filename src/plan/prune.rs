//! What `prune` keeps and removes on a node (docs/operations.md, "Pruning"):
//! per stack, the images and folder versions of the last `keep` distinct
//! versions it ran successfully, and whatever any container uses; the rest
//! of what homectl pulled for that stack goes. Pure: decided from the
//! node's facts (its images, containers, folder versions and history).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::history::{HistoryRecord, RecordKind, RecordResult};

/// An image on the node, as `docker image inspect` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeImage {
    pub id: String,
    pub size: u64,
    /// `REPO:TAG` references.
    pub tags: Vec<String>,
    /// `REPO@sha256:...` references.
    pub digests: Vec<String>,
}

/// The folder versions of one stack on the node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackFolders {
    pub in_use: String,
    /// version → its size in bytes.
    pub versions: BTreeMap<String, u64>,
}

/// What the node said about itself.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    pub images: Vec<NodeImage>,
    /// Image ids of every container, running or not.
    pub container_images: BTreeSet<String>,
    pub folders: BTreeMap<String, StackFolders>,
    pub history: Vec<HistoryRecord>,
    /// Image ids a Swarm service's spec or previous spec names: a task
    /// may start from them at any time (plan/prune_swarm.rs).
    pub spec_images: BTreeSet<String>,
}

/// A version a stack ran: its images (service → image id) and its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackVersion {
    pub tag: String,
    pub images: BTreeMap<String, String>,
    pub files: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRemoval {
    pub id: String,
    pub size: u64,
    /// The references homectl untags (then the image itself goes).
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesRemoval {
    pub version: String,
    pub size: u64,
}

/// The decision for one stack of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackPrune {
    pub stack: String,
    /// Newest first.
    pub kept: Vec<StackVersion>,
    pub remove_images: Vec<ImageRemoval>,
    pub remove_files: Vec<FilesRemoval>,
    /// Images homectl pulled for the stack that stay although older than
    /// `keep`, and why (another stack keeps it, a container uses it, a
    /// reference homectl did not make).
    pub spared: Vec<(String, String)>,
}

/// The distinct versions a stack ran successfully, newest first: its
/// `ok` deploys and rollbacks, each a full picture of the stack's images
/// (a deploy of some services changes only theirs) and files. A restart,
/// a `down` or an unchanged redeploy is no new version.
pub fn versions(history: &[HistoryRecord], stack: &str) -> Vec<StackVersion> {
    let mut images: BTreeMap<String, String> = BTreeMap::new();
    let mut files = String::new();
    let mut ran: Vec<StackVersion> = Vec::new();
    for r in history
        .iter()
        .filter(|r| r.stack == stack && r.result == RecordResult::Ok)
    {
        if !matches!(r.kind, RecordKind::Deploy | RecordKind::Rollback) {
            continue;
        }
        if r.services.is_empty() && !r.images.is_empty() {
            images.clear();
        }
        images.extend(r.images.iter().map(|(s, i)| (s.clone(), i.id.clone())));
        if !r.files.is_empty() {
            files = r.files.clone();
        }
        let version = StackVersion {
            tag: r.tag.clone(),
            images: images.clone(),
            files: files.clone(),
        };
        if ran.last().map(key) != Some(key(&version)) {
            ran.push(version);
        }
    }
    let mut distinct: Vec<StackVersion> = Vec::new();
    for v in ran.into_iter().rev() {
        if !distinct.iter().any(|d| key(d) == key(&v)) {
            distinct.push(v);
        }
    }
    distinct
}

/// A version's identity: its image ids and its files (not its tag: a tag
/// pushed again under another name is the same version).
fn key(v: &StackVersion) -> (BTreeSet<&str>, &str) {
    (
        v.images.values().map(String::as_str).collect(),
        v.files.as_str(),
    )
}

/// The repository of `REPO:TAG` or `REPO@DIGEST` (a registry port's colon
/// is not the tag's).
fn repository(reference: &str) -> &str {
    if let Some((repo, _)) = reference.split_once('@') {
        return repo;
    }
    match reference.rfind(':') {
        Some(i) if !reference[i..].contains('/') => &reference[..i],
        _ => reference,
    }
}

/// The decision for `stacks` of a node, keeping `keep` versions each.
pub fn plan_prune(facts: &NodeFacts, stacks: &[String], keep: usize) -> Vec<StackPrune> {
    let keep = keep.max(1);
    // Every stack the history knows keeps its own last versions' images:
    // an image another stack keeps is never removed.
    let all_stacks: BTreeSet<&str> = facts.history.iter().map(|r| r.stack.as_str()).collect();
    let kept_of = |stack: &str| -> Vec<StackVersion> {
        versions(&facts.history, stack)
            .into_iter()
            .take(keep)
            .collect()
    };
    let kept_by_stack: BTreeMap<&str, BTreeSet<String>> = all_stacks
        .iter()
        .map(|s| {
            let ids = kept_of(s)
                .into_iter()
                .flat_map(|v| v.images.into_values())
                .collect();
            (*s, ids)
        })
        .collect();
    let on_node: BTreeMap<&str, &NodeImage> =
        facts.images.iter().map(|i| (i.id.as_str(), i)).collect();

    stacks
        .iter()
        .map(|stack| {
            let kept = kept_of(stack);
            // What homectl pulled for this stack: the images its records
            // name, and the repositories those records give each.
            let mut pulled: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for r in facts.history.iter().filter(|r| &r.stack == stack) {
                for image in r.images.values() {
                    let repos = pulled.entry(image.id.as_str()).or_default();
                    repos.extend(image.digests.iter().map(|d| repository(d)));
                }
            }
            let mut remove_images = Vec::new();
            let mut spared = Vec::new();
            for (id, repos) in pulled {
                let Some(image) = on_node.get(id) else {
                    continue;
                };
                if kept_by_stack
                    .get(stack.as_str())
                    .is_some_and(|k| k.contains(id))
                {
                    continue;
                }
                let why = if facts.container_images.contains(id) {
                    Some("a container uses it".to_string())
                } else if facts.spec_images.contains(id) {
                    Some("a Swarm service's spec names it".to_string())
                } else if let Some((other, _)) = kept_by_stack
                    .iter()
                    .find(|(s, ids)| *s != stack && ids.contains(id))
                {
                    Some(format!("stack {other} keeps it"))
                } else {
                    image
                        .tags
                        .iter()
                        .find(|t| !repos.contains(repository(t)))
                        .map(|t| format!("also tagged {t}, which homectl did not pull"))
                };
                match why {
                    Some(why) => spared.push((id.to_string(), why)),
                    None => remove_images.push(ImageRemoval {
                        id: id.to_string(),
                        size: image.size,
                        tags: image.tags.clone(),
                    }),
                }
            }
            let folders = facts.folders.get(stack).cloned().unwrap_or_default();
            let kept_files: BTreeSet<&str> = kept.iter().map(|v| v.files.as_str()).collect();
            let remove_files = folders
                .versions
                .iter()
                .filter(|(v, _)| **v != folders.in_use && !kept_files.contains(v.as_str()))
                .map(|(v, size)| FilesRemoval {
                    version: v.clone(),
                    size: *size,
                })
                .collect();
            StackPrune {
                stack: stack.clone(),
                kept,
                remove_images,
                remove_files,
                spared,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "prune_tests.rs"]
mod tests;

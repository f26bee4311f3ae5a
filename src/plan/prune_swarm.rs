//! `prune` of a swarm stack on one node (docs/swarm.md, "prune"): its
//! records live in the manager's history and name each image by digest
//! only (the image ids differ from node to node). The node's facts get the
//! manager's records of the stack, every record's image id is found from
//! its digest among the node's images, and the images the stack's
//! services name in their spec (or previous spec, what Swarm rolls back
//! to) are never removed. Pure.

use std::collections::BTreeSet;

use super::history::HistoryRecord;
use super::prune::{versions, NodeFacts};

/// What a manager says about a swarm stack.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SwarmFacts {
    pub stack: String,
    pub manager: String,
    /// The stack's Swarm service names (`PROJECT_SERVICE`).
    pub services: Vec<String>,
    /// The manager's history records of the stack.
    pub history: Vec<HistoryRecord>,
    /// `repo@sha256:...` named by the services' specs and previous specs.
    pub specs: Vec<String>,
}

/// Adds what the manager said to the facts of `node` (the manager's own
/// records are already there on the manager itself).
pub fn with_swarm(facts: &mut NodeFacts, node: &str, swarm: &SwarmFacts) {
    if swarm.manager != node {
        facts.history.extend(swarm.history.iter().cloned());
    }
    for spec in &swarm.specs {
        if let Some(id) = id_of(facts, spec) {
            facts.spec_images.insert(id);
        }
    }
    resolve_ids(facts);
}

/// Records that name an image by digest only (swarm deploys) get the id
/// it has on this node; an image the node does not have keeps none.
pub fn resolve_ids(facts: &mut NodeFacts) {
    let mut history = std::mem::take(&mut facts.history);
    for record in &mut history {
        for image in record.images.values_mut() {
            if image.id.is_empty() {
                if let Some(id) = image.digests.iter().find_map(|d| id_of(facts, d)) {
                    image.id = id;
                }
            }
        }
    }
    facts.history = history;
}

fn id_of(facts: &NodeFacts, digest: &str) -> Option<String> {
    facts
        .images
        .iter()
        .find(|i| i.digests.iter().any(|d| d == digest))
        .map(|i| i.id.clone())
}

/// Whether a prune of the swarm stack could remove no image on any node:
/// every image its records name (by digest, whatever their result) is
/// one of its last `keep` distinct successful versions. A deploy then
/// skips its own prune (the ended tasks' containers wait for the next
/// one; Swarm keeps at most a few per slot).
pub fn nothing_to_prune(swarm: &SwarmFacts, keep: usize) -> bool {
    let by_digest: Vec<HistoryRecord> = swarm
        .history
        .iter()
        .filter(|r| r.stack == swarm.stack)
        .cloned()
        .map(|mut r| {
            for image in r.images.values_mut() {
                image.id = image.digests.first().cloned().unwrap_or_default();
            }
            r
        })
        .collect();
    let kept: BTreeSet<String> = versions(&by_digest, &swarm.stack)
        .into_iter()
        .take(keep)
        .flat_map(|v| v.images.into_values())
        .collect();
    by_digest
        .iter()
        .flat_map(|r| r.images.values())
        .all(|i| i.id.is_empty() || kept.contains(&i.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::history::ImageRecord;
    use crate::plan::prune::{plan_prune, NodeImage};

    const REPO: &str = "10.77.0.1:5000/lab/app";

    fn swarm_record(tag: &str, result: &str) -> HistoryRecord {
        let mut r: HistoryRecord = serde_json::from_value(serde_json::json!({
            "time": "2025-01-01T00:00:00Z", "operator": "me", "node": "node-a",
            "stack": "sw", "kind": "deploy", "tag": tag, "scale": 2, "result": result,
            "duration_ms": 1,
        }))
        .unwrap();
        r.images.insert(
            "worker".into(),
            ImageRecord {
                id: String::new(),
                digests: vec![format!("{REPO}@sha256:{tag}")],
                config_hash: String::new(),
            },
        );
        r
    }

    /// A worker pulled by digest: no tag, another id than on the manager.
    fn worker_node(tags: &[&str]) -> NodeFacts {
        NodeFacts {
            images: tags
                .iter()
                .map(|t| NodeImage {
                    id: format!("id-b-{t}"),
                    size: 10,
                    tags: vec![],
                    digests: vec![format!("{REPO}@sha256:{t}")],
                })
                .collect(),
            ..NodeFacts::default()
        }
    }

    fn manager(history: Vec<HistoryRecord>, specs: &[&str]) -> SwarmFacts {
        SwarmFacts {
            stack: "sw".into(),
            services: vec!["p_worker".into()],
            manager: "node-a".into(),
            history,
            specs: specs.iter().map(|t| format!("{REPO}@sha256:{t}")).collect(),
        }
    }

    fn removed(facts: &NodeFacts, keep: usize) -> Vec<String> {
        let plan = plan_prune(facts, &["sw".to_string()], keep);
        plan[0].remove_images.iter().map(|i| i.id.clone()).collect()
    }

    #[test]
    fn a_prune_has_nothing_to_do_while_every_recorded_image_is_within_keep() {
        let ok = |tags: &[&str]| manager(tags.iter().map(|t| swarm_record(t, "ok")).collect(), &[]);
        assert!(nothing_to_prune(&ok(&["t1", "t2", "t1", "t2"]), 2));
        assert!(!nothing_to_prune(&ok(&["t1", "t2", "t3"]), 2));
        assert!(nothing_to_prune(&ok(&["t1", "t2", "t3"]), 3));
        // A failed deploy's images are the prune's to remove.
        let mut failed = ok(&["t1"]);
        failed.history.push(swarm_record("bad", "rolled-back"));
        assert!(!nothing_to_prune(&failed, 3));
    }

    #[test]
    fn a_worker_removes_the_swarm_images_beyond_keep_by_their_digests() {
        let mut facts = worker_node(&["t1", "t2", "t3", "bad"]);
        let history = vec![
            swarm_record("t1", "ok"),
            swarm_record("t2", "ok"),
            swarm_record("t3", "ok"),
            swarm_record("bad", "rolled-back"),
        ];
        with_swarm(&mut facts, "node-b", &manager(history, &["t3", "t2"]));
        assert_eq!(facts.history.len(), 4);
        assert_eq!(facts.history[0].images["worker"].id, "id-b-t1");
        // keep 2: t3 and t2 stay; t1 and the rolled-back image go.
        assert_eq!(removed(&facts, 2), ["id-b-bad", "id-b-t1"]);
    }

    #[test]
    fn an_image_a_spec_names_or_a_task_uses_stays_beyond_keep() {
        let mut facts = worker_node(&["t1", "t2", "t3"]);
        facts.container_images.insert("id-b-t1".into());
        let history = vec![
            swarm_record("t1", "ok"),
            swarm_record("t2", "ok"),
            swarm_record("t3", "ok"),
        ];
        // keep 1: t3 stays; t2 is the previous spec (Swarm's rollback).
        with_swarm(&mut facts, "node-b", &manager(history, &["t3", "t2"]));
        assert_eq!(removed(&facts, 1), Vec::<String>::new());
        let spared = &plan_prune(&facts, &["sw".to_string()], 1)[0].spared;
        assert!(spared.contains(&("id-b-t1".into(), "a container uses it".into())));
        assert!(spared.contains(&("id-b-t2".into(), "a Swarm service's spec names it".into())));
    }

    #[test]
    fn on_the_manager_its_own_records_are_not_added_twice() {
        let mut facts = worker_node(&["t1", "t2"]);
        facts.history = vec![swarm_record("t1", "ok"), swarm_record("t2", "ok")];
        let swarm = manager(facts.history.clone(), &["t2"]);
        with_swarm(&mut facts, "node-a", &swarm);
        assert_eq!(facts.history.len(), 2);
        assert_eq!(removed(&facts, 1), ["id-b-t1"]);
    }
}

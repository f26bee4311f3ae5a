//! `homectl rollback`: which images to go back to, from a node's history
//! (docs/operations.md, "Rolling back": "back to the images that ran before the last deploy of
//! those services, by digest from the node's history").

use super::folder_changes::NodeFolder;
use super::history::{HistoryRecord, ImageRecord, RecordKind, RecordResult};
use crate::inventory::{Project, Stack};

/// One app image to pin for a rollback: (image id, digest reference, local
/// reference at the old tag).
pub type RollbackPin = (String, String, String);

/// What to bring back for one stack on one node.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackTarget {
    /// The tag of the deploy whose images come back.
    pub tag: String,
    /// When that deploy happened, for the messages.
    pub time: String,
    /// service → image (id and digests) to run again.
    pub images: Vec<(String, ImageRecord)>,
}

fn covers(record: &HistoryRecord, service: &str) -> bool {
    record.services.is_empty() || record.services.iter().any(|s| s == service)
}

fn counts(record: &HistoryRecord) -> bool {
    record.kind.is_deploy() && record.result == RecordResult::Ok
}

/// For `services` of `stack`: the images of the successful deploy before
/// the last successful one that covered them. `history` is oldest first.
pub fn rollback_target(
    history: &[HistoryRecord],
    stack: &str,
    services: &[String],
) -> Result<RollbackTarget, String> {
    let mut target: Option<RollbackTarget> = None;
    for service in services {
        let mut covering = history
            .iter()
            .rev()
            .filter(|r| r.stack == stack && counts(r) && covers(r, service));
        let last = covering
            .next()
            .ok_or_else(|| format!("no deploy of {stack}/{service} in this node's history"))?;
        let before = covering
            .next()
            .ok_or_else(|| format!("{stack}/{service}: nothing ran before the deploy of {} at {}: no earlier record to roll back to", last.tag, last.time))?;
        let Some(image) = before.images.get(service) else {
            continue; // that service did not run then (a new service): leave it
        };
        let t = target.get_or_insert_with(|| RollbackTarget {
            tag: before.tag.clone(),
            time: before.time.clone(),
            images: Vec::new(),
        });
        t.images.push((service.clone(), image.clone()));
    }
    target.ok_or_else(|| {
        format!(
            "{stack}: no earlier images recorded for {}",
            services.join(", ")
        )
    })
}

/// For `rollback`: the tag of the deploy before the last one, and for each
/// app image (image id, digest reference, local reference at that tag).
pub fn rollback_pins(
    project: &Project,
    stack: &Stack,
    selected: Option<&[String]>,
    history: &[HistoryRecord],
) -> Result<(String, Vec<RollbackPin>), String> {
    let prefix = project.inventory.registry.prefix();
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
    let target = rollback_target(history, &stack.name, &services)?;
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

/// The folder version a rollback by history brings back: that of the
/// successful deploy before the last one (as `rollback_target` picks it),
/// if the node still keeps it.
pub fn files_to_roll_back_to(
    history: &[HistoryRecord],
    stack: &str,
    on_node: &NodeFolder,
) -> Option<String> {
    history
        .iter()
        .rev()
        .filter(|r| r.stack == stack && counts(r))
        .nth(1)
        .map(|r| r.files.clone())
        .filter(|v| !v.is_empty() && on_node.versions.contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::history::RecordKind;

    fn rec(tag: &str, services: &[&str], result: &str, kind: &str) -> HistoryRecord {
        HistoryRecord {
            values: Default::default(),
            time: format!("2026-01-01T00:00:0{}Z", tag.len()),
            operator: "op@host".into(),
            node: "node-a".into(),
            stack: "core".into(),
            kind: RecordKind::from(kind),
            services: services.iter().map(|s| s.to_string()).collect(),
            tag: tag.into(),
            scale: 1,
            result: RecordResult::from(result),
            detail: String::new(),
            images: [
                ("backend", format!("id-{tag}")),
                ("db", "id-db".to_string()),
            ]
            .into_iter()
            .map(|(s, id)| {
                (
                    s.to_string(),
                    ImageRecord {
                        id,
                        digests: vec![format!("r@sha256:{tag}")],
                        ..Default::default()
                    },
                )
            })
            .collect(),
            duration_ms: 1,
            inputs: String::new(),
            files: String::new(),
        }
    }

    #[test]
    fn goes_back_to_the_deploy_before_the_last() {
        let h = vec![rec("a", &[], "ok", "deploy"), rec("b", &[], "ok", "deploy")];
        let t = rollback_target(&h, "core", &["backend".into()]).unwrap();
        assert_eq!(t.tag, "a");
        assert_eq!(t.images[0].1.id, "id-a");
    }

    #[test]
    fn failed_and_down_records_do_not_count() {
        let h = vec![
            rec("a", &[], "ok", "deploy"),
            rec("x", &[], "rolled-back", "deploy"),
            rec("b", &[], "ok", "deploy"),
            rec("y", &[], "ok", "down"),
        ];
        assert_eq!(
            rollback_target(&h, "core", &["backend".into()])
                .unwrap()
                .tag,
            "a"
        );
    }

    #[test]
    fn service_level_records_count_for_their_services_only() {
        let h = vec![
            rec("a", &[], "ok", "deploy"),
            rec("b", &["db"], "ok", "deploy"),
        ];
        // backend's last deploy is `a` (b covered only db): nothing before it.
        assert!(rollback_target(&h, "core", &["backend".into()])
            .unwrap_err()
            .contains("no earlier record"));
    }

    #[test]
    fn no_history_is_a_clear_error() {
        assert!(rollback_target(&[], "core", &["backend".into()])
            .unwrap_err()
            .contains("no deploy"));
        let one = vec![rec("a", &[], "ok", "deploy")];
        assert!(rollback_target(&one, "core", &["backend".into()])
            .unwrap_err()
            .contains("nothing ran before"));
    }
}

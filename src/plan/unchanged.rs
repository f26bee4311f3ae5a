//! Whether a deploy would change nothing on a node (docs/operations.md, "A redeploy of what already runs is skipped": "homectl
//! may skip steps when it can tell"). Pure: decided from the node's state
//! step and history. It is only a candidate until the registry confirms
//! that the tag still names the images that run (the verify step).

use std::collections::{BTreeMap, BTreeSet};

use super::deploy_plan::StackDeploy;
use super::history::{HistoryRecord, RecordKind, RecordResult};

/// One container of the project, as the state step saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub project: String,
    pub service: String,
    /// The container's id.
    pub id: String,
    pub image_id: String,
    /// "running", "exited", ...
    pub state: String,
    /// The image reference it was created from.
    pub image_ref: String,
    /// "healthy", "unhealthy", "starting", or "" without a healthcheck.
    pub health: String,
    /// Compose's `com.docker.compose.config-hash` label.
    pub config_hash: String,
}

/// The newest record of a stack, whatever its kind or result, but for a
/// restart: it changes no version (docs/operations.md, "Restarting").
pub fn last_record<'a>(history: &'a [HistoryRecord], stack: &str) -> Option<&'a HistoryRecord> {
    history
        .iter()
        .rev()
        .find(|r| r.stack == stack && r.kind != RecordKind::Restart)
}

/// If nothing the deploy controls changed since `last` (the stack's newest
/// record) and every service runs as that record left it: the image
/// references to check against the registry. Else why not.
///
/// `inputs_match`: the record's fingerprint is of this deploy's inputs.
pub fn candidate(
    deploy: &StackDeploy,
    last: Option<&HistoryRecord>,
    inputs_match: bool,
    containers: &[Container],
) -> Result<Vec<String>, String> {
    let Some(last) = last else {
        return Err("no earlier deploy of this stack".into());
    };
    if last.kind != RecordKind::Deploy || last.result != RecordResult::Ok {
        return Err(format!(
            "the last {} of this stack ended {}",
            last.kind, last.result
        ));
    }
    if !inputs_match {
        return Err("the compose file, plan, env or secrets differ from the last deploy".into());
    }
    let of = |service: &str| -> Vec<&Container> {
        containers
            .iter()
            .filter(|c| c.project == deploy.project && c.service == service)
            .collect()
    };
    let mut refs = BTreeSet::new();
    for service in &deploy.services {
        let found = of(service);
        let [c] = found.as_slice() else {
            return Err(format!("{service} has {} containers", found.len()));
        };
        if c.state != "running" || !(c.health.is_empty() || c.health == "healthy") {
            return Err(format!("{service} is {} {}", c.state, c.health));
        }
        let Some(recorded) = last.images.get(service) else {
            return Err(format!("{service} is not in the last record"));
        };
        if recorded.id != c.image_id
            || recorded.config_hash.is_empty()
            || recorded.config_hash != c.config_hash
        {
            return Err(format!("{service} was changed since the last deploy"));
        }
        refs.insert(c.image_ref.clone());
    }
    if let Some(extra) = deploy.remove.iter().find(|s| !of(s).is_empty()) {
        return Err(format!("{extra} runs above the scale"));
    }
    Ok(refs.into_iter().collect())
}

/// After the verify step: whether each service's image is still what its
/// reference names (a tag pushed again with new content differs).
/// `now`: reference → image id after pulling it.
pub fn confirmed(
    deploy: &StackDeploy,
    containers: &[Container],
    now: &BTreeMap<String, String>,
) -> bool {
    containers
        .iter()
        .filter(|c| c.project == deploy.project && deploy.services.contains(&c.service))
        .all(|c| now.get(&c.image_ref) == Some(&c.image_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::history::ImageRecord;

    fn deploy() -> StackDeploy {
        StackDeploy {
            stack: "workers".into(),
            project: "lab-workers".into(),
            scale: 1,
            services: vec!["a".into(), "b".into()],
            remove: vec!["a2".into()],
            version: "v1".into(),
            compose_files: vec!["compose.yml".into()],
            ..Default::default()
        }
    }

    fn container(service: &str) -> Container {
        Container {
            project: "lab-workers".into(),
            service: service.into(),
            id: format!("c-{service}"),
            image_id: format!("sha256:{service}"),
            state: "running".into(),
            image_ref: "r/img:t".into(),
            health: "healthy".into(),
            config_hash: format!("h{service}"),
        }
    }

    fn record() -> HistoryRecord {
        let image = |s: &str| {
            (
                s.to_string(),
                ImageRecord {
                    id: format!("sha256:{s}"),
                    digests: vec![],
                    config_hash: format!("h{s}"),
                },
            )
        };
        HistoryRecord {
            values: Default::default(),
            time: String::new(),
            operator: String::new(),
            node: "n".into(),
            stack: "workers".into(),
            kind: RecordKind::Deploy,
            services: vec![],
            tag: "t".into(),
            scale: 1,
            result: RecordResult::Ok,
            detail: String::new(),
            images: [image("a"), image("b")].into(),
            duration_ms: 0,
            inputs: String::new(),
            files: String::new(),
        }
    }

    #[test]
    fn what_runs_as_recorded_is_a_candidate() {
        let running = [container("a"), container("b")];
        assert_eq!(
            candidate(&deploy(), Some(&record()), true, &running),
            Ok(vec!["r/img:t".to_string()])
        );
    }

    #[test]
    fn anything_different_is_not() {
        let running = vec![container("a"), container("b")];
        let d = deploy();
        assert!(candidate(&d, None, true, &running).is_err(), "no history");
        assert!(
            candidate(&d, Some(&record()), false, &running).is_err(),
            "other inputs"
        );
        let mut failed = record();
        failed.result = RecordResult::RolledBack;
        assert!(
            candidate(&d, Some(&failed), true, &running).is_err(),
            "last deploy failed"
        );
        let mut rollback = record();
        rollback.kind = RecordKind::Rollback;
        assert!(
            candidate(&d, Some(&rollback), true, &running).is_err(),
            "last was a rollback"
        );

        let changed = |f: &dyn Fn(&mut Vec<Container>)| {
            let mut r = running.clone();
            f(&mut r);
            candidate(&d, Some(&record()), true, &r)
        };
        assert!(
            changed(&|r| r[0].state = "exited".into()).is_err(),
            "stopped"
        );
        assert!(
            changed(&|r| r[0].health = "unhealthy".into()).is_err(),
            "unhealthy"
        );
        assert!(
            changed(&|r| r[0].health = "starting".into()).is_err(),
            "still starting"
        );
        assert!(
            changed(&|r| r[0].image_id = "sha256:other".into()).is_err(),
            "another image"
        );
        assert!(
            changed(&|r| r[0].config_hash = "other".into()).is_err(),
            "recreated by hand"
        );
        assert!(
            changed(&|r| {
                r.remove(1);
            })
            .is_err(),
            "a service is missing"
        );
        assert!(
            changed(&|r| r.push(container("a"))).is_err(),
            "two containers of one service"
        );
        assert!(
            changed(&|r| r.push(container("a2"))).is_err(),
            "a replica above the scale"
        );
        assert!(
            changed(&|r| r[1].health = String::new()).is_ok(),
            "no healthcheck, running"
        );
    }

    #[test]
    fn a_tag_pushed_again_is_not_confirmed() {
        let running = [container("a"), container("b")];
        let same = BTreeMap::from([("r/img:t".to_string(), "sha256:a".to_string())]);
        // b runs the same reference with another id: the tag moved for one.
        assert!(!confirmed(&deploy(), &running, &same));
        let mut one = running.clone();
        one[1].image_id = "sha256:a".into();
        assert!(confirmed(&deploy(), &one, &same));
        assert!(
            !confirmed(&deploy(), &one, &BTreeMap::new()),
            "a reference that did not pull"
        );
    }
}

//! What `homectl plan` says a deploy of a swarm stack would change
//! (docs/swarm.md, "plan"), decided by the code the deploy runs
//! (`swarm_plan::decide`, `services_to_deploy`, `deploy_file`), the
//! registry's digests standing in for the pull's. Pure: no I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use super::history::HistoryRecord;
use super::swarm_plan::{
    decide, deploy_file, pinned, replicas_of, repository, services_to_deploy, SwarmTarget,
};
use super::swarm_state::SwarmService;
use crate::inventory::Stack;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwarmServiceChange {
    pub service: String,
    /// `repo:tag@digest` the service's spec runs (None: no such service).
    pub from: Option<String>,
    /// `repo:tag@digest` a deploy would set (`@?`: not in the registry).
    pub to: String,
    pub replicas_from: Option<u32>,
    pub replicas_to: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwarmChanges {
    pub stack: String,
    pub engine: &'static str,
    pub manager: String,
    /// A deploy would change no service of the Swarm.
    pub no_change: bool,
    /// Why a deploy would change something.
    pub why: Option<String>,
    pub services: Vec<SwarmServiceChange>,
    /// The `before_up` hooks a deploy would run (`SERVICE: COMMAND`), on
    /// the manager before the stack deploy; none if nothing changes.
    pub hooks: Vec<String>,
    /// The env and secret names whose value changed (never a value).
    pub values: Vec<String>,
}

/// What the manager and the registry said, for one swarm stack.
pub struct SwarmFacts<'a> {
    pub manager: &'a str,
    /// service → image reference (the deploy's `service_images`).
    pub refs: &'a BTreeMap<String, String>,
    pub running: &'a BTreeMap<String, SwarmService>,
    /// reference → the registry's digest (None: not found).
    pub registry: &'a BTreeMap<String, Option<String>>,
    /// The manager's history (its records of this stack name the tags).
    pub history: &'a [HistoryRecord],
    /// The file the last deploy gave `docker stack deploy` (None: none).
    pub deployed_file: Option<&'a str>,
    /// The env and secret names whose value differs from the last
    /// successful deploy's (None: it recorded no prints).
    pub changed_values: Option<&'a [String]>,
}

pub fn swarm_changes(
    stack: &Stack,
    target: &SwarmTarget,
    scale: Option<u32>,
    facts: &SwarmFacts,
) -> SwarmChanges {
    let decision = decide(facts.refs, facts.running, target.services.as_deref());
    let pins: BTreeMap<String, String> = decision
        .to_pull
        .iter()
        .filter_map(|r| {
            let digest = facts.registry.get(r)?.as_ref()?;
            Some((r.clone(), pinned(r, digest)))
        })
        .collect();
    let missing: Vec<&String> = decision
        .to_pull
        .iter()
        .filter(|r| !pins.contains_key(*r))
        .collect();
    let wanted = services_to_deploy(stack, facts.refs, &decision, &pins, facts.running, scale);
    let mut services = Vec::new();
    let mut why: Vec<String> = Vec::new();
    for (name, deploy) in &wanted {
        let running = facts.running.get(name);
        let reference = &facts.refs[name];
        let to = match (decision.kept.contains_key(name), digest_of(&deploy.image)) {
            (true, _) => with_tag(&deploy.image, facts, &target.stack, name),
            (false, Some(digest)) => format!("{reference}@{digest}"),
            (false, None) => format!("{reference}@?"),
        };
        let change = SwarmServiceChange {
            service: name.clone(),
            from: running.map(|r| with_tag(&r.image, facts, &target.stack, name)),
            to,
            replicas_from: running.map(|r| r.replicas),
            replicas_to: replicas_of(&stack.compose.document, name, deploy),
        };
        match running {
            None => why.push(format!("{name} is not running")),
            Some(r) if r.image != deploy.image => why.push(format!("{name}: new image")),
            Some(_) if change.replicas_from != Some(change.replicas_to) => {
                why.push(format!("{name}: replicas"))
            }
            Some(_) => {}
        }
        services.push(change);
    }
    // An env or secret value behind the same name: the file reads it as
    // `${NAME}`, so only the recorded prints tell.
    let values: Vec<String> = facts.changed_values.unwrap_or_default().to_vec();
    if !values.is_empty() {
        why.push(format!("env or secrets changed: {}", values.join(", ")));
    }
    if !missing.is_empty() {
        why.push(format!(
            "not in the registry: {}",
            missing
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if why.is_empty() {
        // Images and replicas as running: the rest of the file must match
        // the one the last deploy gave Swarm.
        let file = deploy_file(&stack.compose.document, &wanted, &stack.before_up);
        match (file, facts.deployed_file) {
            (Ok(file), Some(deployed)) if file == deployed => {}
            (Ok(_), Some(_)) => why.push("the compose file changed".into()),
            (Ok(_), None) => why.push("no file of an earlier deploy on the manager".into()),
            (Err(e), _) => why.push(e),
        }
    }
    let hooks = if why.is_empty() {
        Vec::new()
    } else {
        stack
            .before_up
            .iter()
            .filter(|h| wanted.contains_key(&h.service) && !decision.kept.contains_key(&h.service))
            .map(|h| format!("{}: {}", h.service, h.command.join(" ")))
            .collect()
    };
    SwarmChanges {
        stack: target.stack.clone(),
        engine: "swarm",
        manager: facts.manager.to_string(),
        hooks,
        values,
        no_change: why.is_empty(),
        why: (!why.is_empty()).then(|| why.join("; ")),
        services,
    }
}

fn digest_of(pinned: &str) -> Option<&str> {
    pinned
        .split_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// `repo:tag@digest`: the tag of the newest record of the stack in the
/// manager's history that set this digest for the service; `repo@digest`
/// if none did.
fn with_tag(image: &str, facts: &SwarmFacts, stack: &str, service: &str) -> String {
    let tag = facts
        .history
        .iter()
        .rev()
        .filter(|r| r.stack == stack && !r.tag.is_empty())
        .find(|r| {
            r.images
                .get(service)
                .is_some_and(|i| i.digests.first().is_some_and(|d| d == image))
        })
        .map(|r| r.tag.as_str());
    match (tag, image.split_once('@')) {
        (Some(tag), Some((repo, digest))) if repository(repo) == repo => {
            format!("{repo}:{tag}@{digest}")
        }
        _ => image.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::history::ImageRecord;
    use crate::plan::swarm_plan::ServiceDeploy;

    const REPO: &str = "10.77.0.1:5000/lab/ktrdr-backend";

    fn project() -> crate::inventory::Project {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::inventory::load(&root.join("inventory/lab-swarm.toml")).expect("loads")
    }

    fn target(services: Option<&[&str]>) -> SwarmTarget {
        SwarmTarget {
            stack: "swarm-workers".into(),
            services: services.map(|s| s.iter().map(|x| x.to_string()).collect()),
            nodes: vec!["node-a".into(), "node-b".into(), "node-c".into()],
        }
    }

    fn refs(tag: &str) -> BTreeMap<String, String> {
        ["backtest-worker", "training-worker"]
            .iter()
            .map(|s| (s.to_string(), format!("{REPO}:{tag}")))
            .collect()
    }

    fn running(digest: &str, replicas: u32) -> BTreeMap<String, SwarmService> {
        ["backtest-worker", "training-worker"]
            .iter()
            .map(|s| {
                let service = SwarmService {
                    replicas,
                    image: format!("{REPO}@{digest}"),
                    ..Default::default()
                };
                (s.to_string(), service)
            })
            .collect()
    }

    fn record(tag: &str, digest: &str) -> HistoryRecord {
        let mut r: HistoryRecord = serde_json::from_str(&format!(
            r#"{{"time":"t","operator":"o","node":"node-a","stack":"swarm-workers","kind":"deploy","tag":"{tag}","scale":0,"result":"ok","duration_ms":1}}"#
        ))
        .unwrap();
        r.images.insert(
            "backtest-worker".into(),
            ImageRecord {
                id: String::new(),
                digests: vec![format!("{REPO}@{digest}")],
                config_hash: String::new(),
            },
        );
        r
    }

    /// The file deploy wrote when it deployed `digest` at `replicas`.
    fn file(stack: &Stack, digest: &str, replicas: u32) -> String {
        let services = ["backtest-worker", "training-worker"]
            .iter()
            .map(|s| {
                let d = ServiceDeploy {
                    image: format!("{REPO}@{digest}"),
                    replicas: Some(replicas),
                };
                (s.to_string(), d)
            })
            .collect();
        deploy_file(&stack.compose.document, &services, &stack.before_up).unwrap()
    }

    #[test]
    fn as_deployed_is_no_change_and_another_tag_or_scale_is_one() {
        let project = project();
        let stack = &project.stacks["swarm-workers"];
        let history = [record("old", "sha256:1")];
        let deployed = file(stack, "sha256:1", 5);
        let registry: BTreeMap<String, Option<String>> = [
            (format!("{REPO}:old"), Some("sha256:1".to_string())),
            (format!("{REPO}:new"), Some("sha256:2".to_string())),
        ]
        .into();
        let (old_refs, new_refs, now) = (refs("old"), refs("new"), running("sha256:1", 5));
        let facts = |refs| SwarmFacts {
            manager: "node-a",
            refs,
            running: &now,
            registry: &registry,
            history: &history,
            deployed_file: Some(&deployed),
            changed_values: Some(&[]),
        };
        let same = swarm_changes(stack, &target(None), None, &facts(&old_refs));
        assert!(same.no_change, "{same:?}");
        assert_eq!(same.why, None);
        let b = &same.services[0];
        assert_eq!(b.from.as_deref(), Some(&*format!("{REPO}:old@sha256:1")));
        assert_eq!(b.to, format!("{REPO}:old@sha256:1"));
        assert_eq!((b.replicas_from, b.replicas_to), (Some(5), 5));

        let other = swarm_changes(stack, &target(None), None, &facts(&new_refs));
        assert!(!other.no_change);
        assert_eq!(other.services[0].to, format!("{REPO}:new@sha256:2"));
        assert!(other.why.as_deref().unwrap().contains("new image"));

        // A new value behind an env or secret name: a change, by name.
        let names = ["KTRDR_API_KEY".to_string()];
        let valued = swarm_changes(
            stack,
            &target(None),
            None,
            &SwarmFacts {
                changed_values: Some(&names),
                ..facts(&old_refs)
            },
        );
        assert!(!valued.no_change);
        assert_eq!(valued.values, names);
        assert_eq!(
            valued.why.as_deref(),
            Some("env or secrets changed: KTRDR_API_KEY")
        );

        let scaled = swarm_changes(stack, &target(None), Some(2), &facts(&old_refs));
        assert!(!scaled.no_change);
        assert_eq!(scaled.services[1].replicas_to, 2);

        // A NAME narrowing: the other service keeps what it runs.
        let one = swarm_changes(
            stack,
            &target(Some(&["training-worker"])),
            None,
            &facts(&new_refs),
        );
        assert_eq!(one.services[0].to, format!("{REPO}:old@sha256:1"));
        assert_eq!(one.services[1].to, format!("{REPO}:new@sha256:2"));
    }

    #[test]
    fn an_edited_file_an_unknown_tag_or_nothing_running_is_a_change() {
        let project = project();
        let stack = &project.stacks["swarm-workers"];
        let registry: BTreeMap<String, Option<String>> =
            [(format!("{REPO}:old"), Some("sha256:1".to_string()))].into();
        let now = running("sha256:1", 5);
        let edited = file(stack, "sha256:1", 5).replace("monitor: 10s", "monitor: 20s");
        let old_refs = refs("old");
        let mut facts = SwarmFacts {
            manager: "node-a",
            refs: &old_refs,
            running: &now,
            registry: &registry,
            history: &[],
            deployed_file: Some(&edited),
            changed_values: None,
        };
        let c = swarm_changes(stack, &target(None), None, &facts);
        assert_eq!(c.why.as_deref(), Some("the compose file changed"));
        // Without a record, the digest alone.
        assert_eq!(
            c.services[0].from.as_deref(),
            Some(&*format!("{REPO}@sha256:1"))
        );
        facts.deployed_file = None;
        let c = swarm_changes(stack, &target(None), None, &facts);
        assert!(!c.no_change);
        let missing = refs("gone");
        facts.refs = &missing;
        let c = swarm_changes(stack, &target(None), None, &facts);
        assert_eq!(c.services[0].to, format!("{REPO}:gone@?"));
        assert!(c.why.as_deref().unwrap().contains("not in the registry"));
        let nothing = BTreeMap::new();
        facts.refs = &old_refs;
        facts.running = &nothing;
        let c = swarm_changes(stack, &target(None), Some(3), &facts);
        assert_eq!(
            (c.services[0].from.clone(), c.services[0].replicas_to),
            (None, 3)
        );
        assert!(c.why.as_deref().unwrap().contains("not running"));
    }
}

//! Strays (docs/operations.md, "Strays"): compose projects that run on a
//! node although the inventory does not assign them to it. A stray is
//! homectl's when its name is `<inventory name>-<stack>` and the node's
//! history has records of that stack (a stack moved to another node, or
//! removed from the inventory); any other project (started by hand, or by
//! another tool) is shown and never touched. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::history::HistoryRecord;
#[cfg(test)]
use super::history::{RecordKind, RecordResult};
use crate::inventory::Inventory;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stray {
    pub node: String,
    pub project: String,
    /// The homectl stack it is; `None` when it is not homectl's.
    pub stack: Option<String>,
    pub homectl: bool,
    /// Its services, sorted, each once.
    pub services: Vec<String>,
    /// Its containers, in any state.
    pub containers: usize,
}

/// The stack a compose project is, if homectl deployed it on this node:
/// its name is `<inventory name>-<stack>` and the history has that stack.
pub fn homectl_stack(
    inventory: &Inventory,
    project: &str,
    history: &[HistoryRecord],
) -> Option<String> {
    let stack = project.strip_prefix(&format!("{}-", inventory.name))?;
    history
        .iter()
        .any(|r| r.stack == stack)
        .then(|| stack.to_string())
}

/// The strays of a node from its containers' (project, service) pairs (one
/// a container) and its history.
pub fn strays<'a>(
    inventory: &Inventory,
    node: &str,
    containers: impl IntoIterator<Item = (&'a str, &'a str)>,
    history: &[HistoryRecord],
) -> Vec<Stray> {
    let assigned: BTreeSet<String> = inventory
        .nodes
        .get(node)
        .map(|n| n.stacks.iter().map(|s| inventory.project_name(s)).collect())
        .unwrap_or_default();
    let mut by_project: BTreeMap<&str, (BTreeSet<&str>, usize)> = BTreeMap::new();
    for (project, service) in containers {
        if project.is_empty() || assigned.contains(project) {
            continue;
        }
        let entry = by_project.entry(project).or_default();
        entry.0.insert(service);
        entry.1 += 1;
    }
    by_project
        .into_iter()
        .map(|(project, (services, containers))| {
            let stack = homectl_stack(inventory, project, history);
            Stray {
                node: node.to_string(),
                project: project.to_string(),
                homectl: stack.is_some(),
                stack,
                services: services.into_iter().map(str::to_string).collect(),
                containers,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Node, Registry, SshSettings};

    fn inventory() -> Inventory {
        let node = |name: &str, stacks: &[&str]| Node {
            name: name.into(),
            host: format!("{name}.home"),
            groups: Vec::new(),
            stacks: stacks.iter().map(|s| s.to_string()).collect(),
            scale: None,
            env: BTreeMap::new(),
            state_dir: None,
        };
        Inventory {
            path: "inventory.toml".into(),
            name: "ktrdr".into(),
            stacks_dir: "stacks".into(),
            tag_length: 12,
            keep: 3,
            ssh: SshSettings {
                user: None,
                config: None,
                known_hosts: crate::inventory::KnownHosts::Strict,
                connect_timeout: std::time::Duration::from_secs(5),
            },
            registry: Registry {
                server: "r".into(),
                namespace: String::new(),
                username: "u".into(),
                password: crate::secrets::SecretRef::parse("env://P").unwrap(),
            },
            secrets_exec: None,
            nodes: [
                ("node-a".to_string(), node("node-a", &["core"])),
                ("node-c".to_string(), node("node-c", &["workers"])),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn record(stack: &str) -> HistoryRecord {
        HistoryRecord {
            values: Default::default(),
            time: "2026-01-01T00:00:00Z".into(),
            operator: "me@laptop".into(),
            node: "node-a".into(),
            stack: stack.into(),
            kind: RecordKind::Deploy,
            services: Vec::new(),
            tag: "abc".into(),
            scale: 1,
            result: RecordResult::Ok,
            detail: String::new(),
            images: BTreeMap::new(),
            duration_ms: 1,
            inputs: String::new(),
            files: String::new(),
        }
    }

    #[test]
    fn assigned_projects_are_not_strays_and_others_are_told_apart_by_history() {
        let inv = inventory();
        let history = vec![record("core"), record("workers")];
        let containers = [
            ("ktrdr-core", "db"),
            ("ktrdr-core", "backend"),
            ("ktrdr-workers", "backtest-worker-1"),
            ("ktrdr-workers", "training-worker-1"),
            ("ktrdr-workers", "training-worker-1"),
            // The inventory's name pattern, but never deployed by homectl here.
            ("ktrdr-handmade", "web"),
            ("handmade", "web"),
            ("", "lost"),
        ];
        let found = strays(&inv, "node-a", containers, &history);
        assert_eq!(
            found,
            vec![
                Stray {
                    node: "node-a".into(),
                    project: "handmade".into(),
                    stack: None,
                    homectl: false,
                    services: vec!["web".into()],
                    containers: 1,
                },
                Stray {
                    node: "node-a".into(),
                    project: "ktrdr-handmade".into(),
                    stack: None,
                    homectl: false,
                    services: vec!["web".into()],
                    containers: 1,
                },
                Stray {
                    node: "node-a".into(),
                    project: "ktrdr-workers".into(),
                    stack: Some("workers".into()),
                    homectl: true,
                    services: vec!["backtest-worker-1".into(), "training-worker-1".into()],
                    containers: 3,
                },
            ]
        );
        // On the node the inventory gives workers to, workers is no stray.
        let on_c = strays(&inv, "node-c", [("ktrdr-workers", "x")], &history);
        assert!(on_c.is_empty(), "{on_c:?}");
    }

    #[test]
    fn a_homectl_stack_needs_the_name_pattern_and_a_record() {
        let inv = inventory();
        let history = vec![record("workers")];
        assert_eq!(
            homectl_stack(&inv, "ktrdr-workers", &history).as_deref(),
            Some("workers")
        );
        assert_eq!(homectl_stack(&inv, "ktrdr-other", &history), None);
        assert_eq!(homectl_stack(&inv, "other-workers", &history), None);
        assert_eq!(homectl_stack(&inv, "ktrdrworkers", &history), None);
        assert_eq!(homectl_stack(&inv, "ktrdr-workers", &[]), None);
    }
}

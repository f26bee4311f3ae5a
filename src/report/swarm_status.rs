//! `status` of swarm stacks (docs/swarm.md, "status"): per service the
//! replicas running/desired, the image (by digest), the nodes its tasks
//! run on and the state of its last update, as the manager says; as text
//! and in `status --json`'s `swarm` list.

use std::collections::BTreeMap;

use serde::Serialize;

use super::escape::escape_controls;
use crate::plan::swarm_state::SwarmService;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwarmStackStatus {
    pub stack: String,
    pub manager: String,
    /// No service of the stack in the Swarm.
    pub deployed: bool,
    pub services: Vec<SwarmServiceStatus>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SwarmServiceStatus {
    pub service: String,
    /// Tasks running at the spec's image (healthy, where it has a healthcheck).
    pub running: usize,
    pub desired: u32,
    /// The spec's image, `repo@sha256:...`.
    pub image: String,
    /// Its digest, `sha256:...` (None: not pinned).
    pub digest: Option<String>,
    /// The nodes its running tasks are on, sorted.
    pub nodes: Vec<String>,
    /// `UpdateStatus.State` (`completed`, `updating`, `rollback_completed`,
    /// ...); None if it never updated.
    pub update_state: Option<String>,
}

/// The stack's services as the manager said, those of `services` only
/// (None: all).
pub fn stack_status(
    stack: &str,
    manager: &str,
    state: &BTreeMap<String, SwarmService>,
    services: Option<&[String]>,
) -> SwarmStackStatus {
    let list = state
        .iter()
        .filter(|(name, _)| services.is_none_or(|list| list.contains(name)))
        .map(|(name, s)| {
            let mut nodes: Vec<String> = s
                .tasks
                .iter()
                .filter(|t| t.state == "Running")
                .map(|t| t.node.clone())
                .collect();
            nodes.sort();
            nodes.dedup();
            SwarmServiceStatus {
                service: name.clone(),
                running: s.running(),
                desired: s.replicas,
                image: s.image.clone(),
                digest: s.image.split_once('@').map(|(_, d)| d.to_string()),
                nodes,
                update_state: (!s.update_state.is_empty()).then(|| s.update_state.clone()),
            }
        })
        .collect();
    SwarmStackStatus {
        stack: stack.to_string(),
        manager: manager.to_string(),
        deployed: !state.is_empty(),
        services: list,
    }
}

/// A heading, then one line per service.
pub fn render_swarm_status(status: &SwarmStackStatus) -> String {
    let mut text = format!("swarm stack {} (manager {}):", status.stack, status.manager);
    if !status.deployed {
        text.push_str(" not deployed");
    }
    for s in &status.services {
        let update = s
            .update_state
            .as_ref()
            .map_or(String::new(), |u| format!("  update {u}"));
        let nodes = if s.nodes.is_empty() {
            "-".to_string()
        } else {
            s.nodes.join(", ")
        };
        text.push_str(&format!(
            "\n  {}  {}/{}  {}  on {nodes}{update}",
            s.service, s.running, s.desired, s.image
        ));
    }
    escape_controls(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::swarm_state::SwarmTask;

    #[test]
    fn services_become_lines_and_json_with_their_nodes_and_update() {
        let task = |node: &str, state: &str| SwarmTask {
            name: "t".into(),
            node: node.into(),
            image: "r/w@sha256:1".into(),
            state: state.into(),
        };
        let state = BTreeMap::from([
            (
                "w".to_string(),
                SwarmService {
                    update_state: "completed".into(),
                    replicas: 3,
                    image: "r/w@sha256:1".into(),
                    tasks: vec![
                        task("node-b", "Running"),
                        task("node-a", "Running"),
                        task("node-a", "Starting"),
                    ],
                    errors: vec![],
                },
            ),
            ("db".to_string(), SwarmService::default()),
        ]);
        let status = stack_status("s", "node-a", &state, None);
        assert_eq!(
            render_swarm_status(&status),
            "swarm stack s (manager node-a):\n  db  0/0    on -\n  w  2/3  r/w@sha256:1  on node-a, node-b  update completed"
        );
        let json = serde_json::to_value(&status.services[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"service": "w", "running": 2, "desired": 3, "image": "r/w@sha256:1",
                "digest": "sha256:1", "nodes": ["node-a", "node-b"], "update_state": "completed"})
        );
        let one = stack_status("s", "node-a", &state, Some(&["w".to_string()]));
        assert_eq!(one.services.len(), 1);
        let none = stack_status("s", "node-a", &BTreeMap::new(), None);
        assert_eq!(
            render_swarm_status(&none),
            "swarm stack s (manager node-a): not deployed"
        );
    }
}

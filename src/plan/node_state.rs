//! What prepare (and `plan`) learns from a node before deciding anything:
//! the containers of the selected stacks' compose projects, the history,
//! the stack folders' versions and the node's Compose. Parsed from the
//! state step's output (src/remote/scripts/state.sh). Pure: no I/O.

use std::collections::BTreeMap;

use super::folder_changes::{parse_node_folders, NodeFolder};
use super::history::{parse_history, HistoryRecord, ImageRecord};
use super::unchanged::Container;

/// service → (image id, image reference) of a project's running containers.
pub type Running = BTreeMap<String, (String, String)>;

#[derive(Debug, Clone, Default)]
pub struct NodeState {
    pub containers: Vec<Container>,
    /// Oldest first.
    pub history: Vec<HistoryRecord>,
    /// stack → its folder on the node.
    pub folders: BTreeMap<String, NodeFolder>,
    /// The node's Compose command, if it has one.
    pub compose: Option<String>,
}

impl NodeState {
    /// The state of a node from the state step's output.
    pub fn parse(output: &str) -> NodeState {
        NodeState {
            containers: parse_containers(output),
            history: parse_history(output),
            folders: parse_node_folders(output),
            compose: compose_of_state(output),
        }
    }

    /// What runs of one compose project.
    pub fn running(&self, project: &str) -> Running {
        self.containers
            .iter()
            .filter(|c| c.project == project && c.state == "running")
            .map(|c| (c.service.clone(), (c.image_id.clone(), c.image_ref.clone())))
            .collect()
    }

    pub fn folder(&self, stack: &str) -> NodeFolder {
        self.folders.get(stack).cloned().unwrap_or_default()
    }
}

/// The node's Compose command as the state step found it (`COMPOSE ...`
/// line), if it found one.
pub fn compose_of_state(output: &str) -> Option<String> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("COMPOSE "))
        .map(str::trim)
        .filter(|c| *c == "docker compose" || *c == "docker-compose")
        .map(str::to_string)
}

/// The `RUNNING project service container image_id state image_ref
/// config_hash state_json` lines of the state step.
pub fn parse_containers(output: &str) -> Vec<Container> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("RUNNING "))
        .filter_map(|line| {
            match line.splitn(8, ' ').collect::<Vec<_>>().as_slice() {
                [project, service, container, image_id, state, image_ref, config_hash, state_json] => {
                    Some(Container {
                        project: project.to_string(),
                        service: service.to_string(),
                        id: container.to_string(),
                        image_id: image_id.to_string(),
                        state: state.to_string(),
                        image_ref: image_ref.to_string(),
                        health: serde_json::from_str::<serde_json::Value>(state_json)
                            .ok()
                            .and_then(|s| {
                                s.pointer("/Health/Status")
                                    .and_then(|h| h.as_str())
                                    .map(str::to_string)
                            })
                            .unwrap_or_default(),
                        config_hash: if *config_hash == "-" {
                            String::new()
                        } else {
                            config_hash.to_string()
                        },
                    })
                }
                _ => None,
            }
        })
        .collect()
}

/// `IMAGE service image_id digest,digest config_hash` lines of the health step.
pub fn parse_images(output: &str) -> BTreeMap<String, ImageRecord> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("IMAGE "))
        .filter_map(|l| {
            let mut parts = l.split(' ');
            let service = parts.next()?.to_string();
            let id = parts.next()?.to_string();
            let digests = parts
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            let config_hash = parts.next().filter(|h| *h != "-").unwrap_or("").to_string();
            Some((
                service,
                ImageRecord {
                    id,
                    digests,
                    config_hash,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_steps_lines_become_the_nodes_state() {
        let out =
            "RUNNING p web c1 sha256:i1 running r/web:t h1 {\"Health\":{\"Status\":\"healthy\"}}\n\
                   RUNNING p old c2 sha256:i2 exited r/old:t - {}\n\
                   RUNNING short line\n\
                   INUSE web v1\nVERSION web v1\nMANIFEST web abc 0 conf/a b.txt\n\
                   COMPOSE docker compose\n";
        let s = NodeState::parse(out);
        assert_eq!(s.containers.len(), 2);
        assert_eq!(s.containers[0].id, "c1");
        assert_eq!(s.containers[0].health, "healthy");
        assert_eq!(s.containers[1].config_hash, "");
        assert_eq!(
            s.running("p"),
            Running::from([(
                "web".to_string(),
                ("sha256:i1".to_string(), "r/web:t".to_string())
            )])
        );
        assert_eq!(s.folder("web").in_use, "v1");
        assert_eq!(s.folder("web").files["conf/a b.txt"], "abc");
        assert_eq!(s.compose.as_deref(), Some("docker compose"));
        assert!(NodeState::parse("COMPOSE rm -rf /").compose.is_none());
    }

    #[test]
    fn the_health_steps_image_lines() {
        let images =
            parse_images("IMAGE web sha256:i r/web@sha256:d,x h\nIMAGE db sha256:j  -\nnoise\n");
        assert_eq!(images["web"].digests, ["r/web@sha256:d", "x"]);
        assert_eq!(images["web"].config_hash, "h");
        assert!(images["db"].digests.is_empty());
        assert_eq!(images["db"].config_hash, "");
    }
}

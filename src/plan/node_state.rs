//! What prepare (and `plan`) learns from a node before deciding anything:
//! the containers of the selected stacks' compose projects, the history,
//! the stack folders' versions and the node's Compose. The state step's
//! parser (src/remote/steps/state.rs) builds it. Pure: no I/O.

use std::collections::BTreeMap;

use super::folder_changes::NodeFolder;
use super::history::HistoryRecord;
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

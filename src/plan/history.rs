//! The node's deploy history: one JSON line per deploy, rollback or down,
//! appended in the node's state folder. Never holds a secret value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryRecord {
    /// RFC 3339, UTC.
    pub time: String,
    /// `user@host` of the operator.
    pub operator: String,
    pub node: String,
    pub stack: String,
    /// "deploy", "rollback" or "down".
    pub kind: String,
    /// The services deployed; empty for a whole stack.
    #[serde(default)]
    pub services: Vec<String>,
    pub tag: String,
    pub scale: u32,
    /// "ok", "failed", "rolled-back" or "interrupted".
    pub result: String,
    #[serde(default)]
    pub detail: String,
    /// Service → image id and repo digests, as they ran afterwards.
    #[serde(default)]
    pub images: BTreeMap<String, ImageRecord>,
    pub duration_ms: u64,
    /// The fingerprint of the deploy's inputs (`plan::fingerprint`): salted,
    /// never a secret value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub inputs: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ImageRecord {
    pub id: String,
    #[serde(default)]
    pub digests: Vec<String>,
    /// Compose's configuration hash of the container (its
    /// `com.docker.compose.config-hash` label).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config_hash: String,
}

/// Parses the `HISTORY <json>` lines of the state step; bad lines are skipped.
pub fn parse_history(output: &str) -> Vec<HistoryRecord> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("HISTORY "))
        .filter_map(|j| serde_json::from_str(j).ok())
        .collect()
}

/// The scale a stack last ran at on a node (its newest successful record).
pub fn current_scale(history: &[HistoryRecord], stack: &str) -> Option<u32> {
    history
        .iter()
        .rev()
        .find(|r| r.stack == stack && r.result == "ok" && r.kind != "down")
        .map(|r| r.scale)
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

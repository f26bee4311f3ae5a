//! The node's deploy history: one JSON line per deploy, rollback or down,
//! appended in the node's state folder. Never holds a secret value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::secrets::Masker;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryRecord {
    /// RFC 3339, UTC.
    pub time: String,
    /// `user@host` of the operator.
    pub operator: String,
    pub node: String,
    pub stack: String,
    /// "deploy", "rollback", "down" or "restart" (not a new version).
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
    /// The version of the stack's folder that ran afterwards.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub files: String,
    /// Per env and secret name, its value's fingerprint salted as `inputs`
    /// (`fingerprint::value_prints`): lets `plan` name what changed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
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

impl HistoryRecord {
    /// The detail with the deploy's secret values masked. Every record
    /// goes through here before it is written, whatever text its detail
    /// quotes (docs/secrets.md: never in history).
    pub fn mask_detail(&mut self, masker: &Masker) {
        self.detail = masker.mask(&self.detail);
    }
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
        .find(|r| {
            r.stack == stack && r.result == "ok" && !matches!(r.kind.as_str(), "down" | "restart")
        })
        .map(|r| r.scale)
}

/// The tag that runs for `service` of `stack`: that of the newest
/// successful deploy or rollback that covered it (for `homectl run`).
pub fn deployed_tag(history: &[HistoryRecord], stack: &str, service: &str) -> Option<String> {
    history
        .iter()
        .rev()
        .filter(|r| r.stack == stack && r.result == "ok")
        .filter(|r| matches!(r.kind.as_str(), "deploy" | "rollback"))
        .find(|r| r.services.is_empty() || r.services.iter().any(|s| s == service))
        .map(|r| r.tag.clone())
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{SecretRef, SecretValue, Secrets};

    #[test]
    fn a_records_detail_is_masked_before_it_is_written() {
        let secrets: Secrets = [(
            SecretRef::parse("env://API_KEY").unwrap(),
            SecretValue::new("k3y\\with\"quote".to_string()),
        )]
        .into_iter()
        .collect();
        let mut record = HistoryRecord {
            values: Default::default(),
            time: "2025-01-01T00:00:00Z".into(),
            operator: "me@laptop".into(),
            node: "node-a".into(),
            stack: "core".into(),
            kind: "deploy".into(),
            services: Vec::new(),
            tag: "abc".into(),
            scale: 1,
            result: "failed".into(),
            detail: "hook: {\"API_KEY\":\"k3y\\\\with\\\"quote\"}\nurl k3y%5Cwith%22quote".into(),
            images: BTreeMap::new(),
            duration_ms: 1,
            inputs: String::new(),
            files: String::new(),
        };
        record.mask_detail(&secrets.masker());
        let line = serde_json::to_string(&record).unwrap();
        assert_eq!(record.detail, "hook: {\"API_KEY\":\"***\"}\nurl ***");
        assert!(!line.contains("k3y") && !line.contains("quote"), "{line}");
    }

    fn record(kind: &str, tag: &str, scale: u32, services: &[&str]) -> HistoryRecord {
        HistoryRecord {
            values: Default::default(),
            time: "2025-01-01T00:00:00Z".into(),
            operator: "me@laptop".into(),
            node: "node-b".into(),
            stack: "workers".into(),
            kind: kind.into(),
            services: services.iter().map(|s| s.to_string()).collect(),
            tag: tag.into(),
            scale,
            result: "ok".into(),
            detail: String::new(),
            images: BTreeMap::new(),
            duration_ms: 1,
            inputs: String::new(),
            files: String::new(),
        }
    }

    #[test]
    fn a_restart_is_no_new_version() {
        let history = vec![
            record("deploy", "old", 3, &[]),
            record("deploy", "new", 2, &["backtest-worker-1"]),
            record("restart", "-", 0, &[]),
        ];
        assert_eq!(current_scale(&history, "workers"), Some(2));
        assert_eq!(
            crate::plan::unchanged::last_record(&history, "workers").map(|r| r.tag.as_str()),
            Some("new")
        );
        // The tag `run` uses: the newest deploy that covered the service.
        assert_eq!(
            deployed_tag(&history, "workers", "backtest-worker-1").as_deref(),
            Some("new")
        );
        assert_eq!(
            deployed_tag(&history, "workers", "training-worker-1").as_deref(),
            Some("old")
        );
        assert_eq!(deployed_tag(&history, "core", "backend"), None);
    }
}

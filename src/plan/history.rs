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
    pub kind: RecordKind,
    /// The services deployed; empty for a whole stack.
    #[serde(default)]
    pub services: Vec<String>,
    pub tag: String,
    pub scale: u32,
    pub result: RecordResult,
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

/// What a record is of, written as `"deploy"`, `"rollback"`, `"down"` or
/// `"restart"` (docs/operations.md, "The state folder and history").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    Deploy,
    Rollback,
    Down,
    /// The same containers restarted: not a new version.
    Restart,
    /// A kind this homectl does not know (written by a newer one): kept
    /// as written, so the record still reads and is written back the same.
    #[serde(untagged)]
    Other(String),
}

impl RecordKind {
    pub fn as_str(&self) -> &str {
        match self {
            RecordKind::Deploy => "deploy",
            RecordKind::Rollback => "rollback",
            RecordKind::Down => "down",
            RecordKind::Restart => "restart",
            RecordKind::Other(other) => other,
        }
    }

    /// A deploy or a rollback: what puts images on a node.
    pub fn is_deploy(&self) -> bool {
        matches!(self, RecordKind::Deploy | RecordKind::Rollback)
    }
}

/// How it ended, written as `"ok"`, `"failed"`, `"rolled-back"` or
/// `"interrupted"`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RecordResult {
    Ok,
    Failed,
    /// The health check failed and the previous images run again.
    RolledBack,
    Interrupted,
    /// A result this homectl does not know, kept as written.
    #[serde(untagged)]
    Other(String),
}

impl RecordResult {
    pub fn as_str(&self) -> &str {
        match self {
            RecordResult::Ok => "ok",
            RecordResult::Failed => "failed",
            RecordResult::RolledBack => "rolled-back",
            RecordResult::Interrupted => "interrupted",
            RecordResult::Other(other) => other,
        }
    }
}

/// As written in a record: `"deploy"` is `Deploy`, an unknown word `Other`.
impl From<&str> for RecordKind {
    fn from(word: &str) -> Self {
        serde_json::from_value(serde_json::Value::from(word)).expect("every word is a kind")
    }
}

/// As written in a record: `"rolled-back"` is `RolledBack`, an unknown word `Other`.
impl From<&str> for RecordResult {
    fn from(word: &str) -> Self {
        serde_json::from_value(serde_json::Value::from(word)).expect("every word is a result")
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for RecordResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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

/// The scale a stack last ran at on a node (its newest successful record).
pub fn current_scale(history: &[HistoryRecord], stack: &str) -> Option<u32> {
    history
        .iter()
        .rev()
        .find(|r| {
            r.stack == stack
                && r.result == RecordResult::Ok
                && !matches!(r.kind, RecordKind::Down | RecordKind::Restart)
        })
        .map(|r| r.scale)
}

/// The tag that runs for `service` of `stack`: that of the newest
/// successful deploy or rollback that covered it (for `homectl run`).
pub fn deployed_tag(history: &[HistoryRecord], stack: &str, service: &str) -> Option<String> {
    history
        .iter()
        .rev()
        .filter(|r| r.stack == stack && r.result == RecordResult::Ok && r.kind.is_deploy())
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
            kind: RecordKind::Deploy,
            services: Vec::new(),
            tag: "abc".into(),
            scale: 1,
            result: RecordResult::Failed,
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

    fn record(kind: RecordKind, tag: &str, scale: u32, services: &[&str]) -> HistoryRecord {
        HistoryRecord {
            values: Default::default(),
            time: "2025-01-01T00:00:00Z".into(),
            operator: "me@laptop".into(),
            node: "node-b".into(),
            stack: "workers".into(),
            kind,
            services: services.iter().map(|s| s.to_string()).collect(),
            tag: tag.into(),
            scale,
            result: RecordResult::Ok,
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
            record(RecordKind::Deploy, "old", 3, &[]),
            record(RecordKind::Deploy, "new", 2, &["backtest-worker-1"]),
            record(RecordKind::Restart, "-", 0, &[]),
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

    /// Records as earlier homectl versions wrote them on the lab's nodes
    /// (before `inputs`, `files` and `config_hash`, and after), one of each
    /// kind and result: they parse into the enums and are written back
    /// byte for byte.
    #[test]
    fn records_written_before_the_enums_parse_and_write_back_the_same() {
        let lines = [
            r#"{"time":"2026-12-01T17:49:51Z","operator":"root@vm","node":"node-a","stack":"core","kind":"deploy","services":[],"tag":"ded750b033c92a518973d083e9c1492da9dc8b9c","scale":1,"result":"ok","detail":"","images":{"backend":{"id":"sha256:999b","digests":["10.77.0.1:5000/lab/ktrdr-backend@sha256:5c81"],"config_hash":"b394"}},"duration_ms":5525,"inputs":"v1:8c94:e19e","files":"89f10fff2c88910f"}"#,
            r#"{"time":"2025-06-01T10:00:00Z","operator":"me@laptop","node":"node-b","stack":"workers","kind":"rollback","services":["backtest-worker-1"],"tag":"abc1234","scale":2,"result":"rolled-back","detail":"health: backend unhealthy","images":{},"duration_ms":120}"#,
            r#"{"time":"2025-06-01T10:00:00Z","operator":"me@laptop","node":"node-a","stack":"core","kind":"down","services":[],"tag":"-","scale":0,"result":"failed","detail":"","images":{},"duration_ms":3}"#,
            r#"{"time":"2025-06-01T10:00:00Z","operator":"me@laptop","node":"node-a","stack":"core","kind":"restart","services":["backend"],"tag":"-","scale":0,"result":"interrupted","detail":"","images":{},"duration_ms":3}"#,
            r#"{"time":"2025-06-01T10:00:00Z","operator":"me@laptop","node":"node-a","stack":"core","kind":"prune","services":[],"tag":"-","scale":0,"result":"skipped","detail":"","images":{},"duration_ms":3}"#,
        ];
        let output: String = lines.iter().map(|l| format!("HISTORY {l}\n")).collect();
        let records = crate::remote::steps::history::parse(&output);
        assert_eq!(records.len(), lines.len());
        let kinds: Vec<&RecordKind> = records.iter().map(|r| &r.kind).collect();
        assert_eq!(
            kinds,
            [
                &RecordKind::Deploy,
                &RecordKind::Rollback,
                &RecordKind::Down,
                &RecordKind::Restart,
                &RecordKind::Other("prune".into())
            ]
        );
        let results: Vec<&RecordResult> = records.iter().map(|r| &r.result).collect();
        assert_eq!(
            results,
            [
                &RecordResult::Ok,
                &RecordResult::RolledBack,
                &RecordResult::Failed,
                &RecordResult::Interrupted,
                &RecordResult::Other("skipped".into())
            ]
        );
        for (record, line) in records.iter().zip(lines) {
            assert_eq!(serde_json::to_string(record).unwrap(), line);
        }
        assert_eq!(records[1].result.to_string(), "rolled-back");
        assert_eq!(RecordResult::from("rolled-back"), RecordResult::RolledBack);
        assert_eq!(RecordKind::from("prune"), RecordKind::Other("prune".into()));
    }
}

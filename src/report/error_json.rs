//! With `--json`, every failure ends stdout with one JSON object on one
//! line, so that a CI step can tell why a command failed
//! (docs/operations.md, "JSON output"). The human text still goes to stderr.

use serde_json::{json, Value};

use crate::error::Error;
use crate::inventory::ConfigError;

/// `{"error": {"exit_code", "message", "file", "line", "column", "key",
/// "help", "nodes"}}`, with `null` (or `[]`) where a field is not known.
/// For invalid files, `error` is the first one, `errors` lists them all
/// (the same fields each), `errors_left_out` counts those past the cap, and
/// `warnings` lists the warnings.
pub fn error_object(error: &Error) -> Value {
    let mut fields = Fields {
        exit_code: error.exit_code(),
        message: error.to_string(),
        ..Fields::default()
    };
    match error {
        Error::Config(errors) => {
            let all: Vec<Value> = errors
                .errors()
                .iter()
                .map(|e| diagnostic_fields(e, fields.exit_code).to_json()["error"].take())
                .collect();
            let mut value = diagnostic_fields(errors.first(), fields.exit_code).to_json();
            value["errors"] = Value::Array(all);
            value["errors_left_out"] = json!(errors.left_out());
            value["warnings"] = warnings_json(&errors.warnings);
            return value;
        }
        Error::Nodes { nodes, .. } => fields.nodes = nodes.clone(),
        Error::Usage(_) | Error::Runtime(_) | Error::Interrupted => {}
    }
    fields.to_json()
}

/// `[{"file", "line", "column", "key", "message", "help"}]`.
pub fn warnings_json(warnings: &[ConfigError]) -> Value {
    Value::Array(
        warnings
            .iter()
            .map(|w| {
                let mut fields = diagnostic_fields(w, 0).to_json()["error"].take();
                if let Some(object) = fields.as_object_mut() {
                    object.remove("exit_code");
                    object.remove("nodes");
                }
                fields
            })
            .collect(),
    )
}

fn diagnostic_fields(diagnostic: &ConfigError, exit_code: i32) -> Fields {
    let (file, line, column) = split_location(&diagnostic.location);
    Fields {
        exit_code,
        file: Some(file),
        line,
        column,
        key: key_of(&diagnostic.message),
        message: diagnostic.message.clone(),
        help: diagnostic.help.clone(),
        nodes: Vec::new(),
    }
}

/// A command-line error found by clap (exit 2), before the command runs.
pub fn usage_object(exit_code: i32, message: &str) -> Value {
    Fields {
        exit_code,
        message: message.to_string(),
        ..Fields::default()
    }
    .to_json()
}

#[derive(Default)]
struct Fields {
    exit_code: i32,
    message: String,
    file: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
    key: Option<String>,
    help: Option<String>,
    nodes: Vec<String>,
}

impl Fields {
    fn to_json(&self) -> Value {
        json!({ "error": {
            "exit_code": self.exit_code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "help": self.help,
            "nodes": self.nodes,
        }})
    }
}

/// `path:line:column` (or just `path`) into its parts; the path may hold
/// colons itself, so the numbers are taken from the right.
fn split_location(location: &str) -> (String, Option<u64>, Option<u64>) {
    let mut parts = location.rsplitn(3, ':');
    let (column, line, path) = (parts.next(), parts.next(), parts.next());
    match (
        path,
        line.and_then(|l| l.parse().ok()),
        column.and_then(|c| c.parse().ok()),
    ) {
        (Some(path), Some(line), Some(column)) => (path.to_string(), Some(line), Some(column)),
        _ => (location.to_string(), None, None),
    }
}

/// The key a diagnostic's message starts with (`registry.password: ...`),
/// if it starts with one.
fn key_of(message: &str) -> Option<String> {
    let (head, _) = message.split_once(": ")?;
    let is_key = !head.is_empty()
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.[]\"".contains(c));
    is_key.then(|| head.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_splits_from_the_right() {
        assert_eq!(
            split_location("a:b/inv.toml:12:5"),
            ("a:b/inv.toml".to_string(), Some(12), Some(5))
        );
        assert_eq!(
            split_location("inv.toml"),
            ("inv.toml".to_string(), None, None)
        );
    }

    #[test]
    fn the_key_is_the_head_of_the_message() {
        assert_eq!(
            key_of("registry.password: must be a secret reference").as_deref(),
            Some("registry.password")
        );
        assert_eq!(key_of("cannot read the file: No such file"), None);
    }

    #[test]
    fn a_node_failure_names_its_nodes() {
        let value = error_object(&Error::on_nodes("deploy failed on node-b", &["node-b"]));
        assert_eq!(value["error"]["exit_code"], 1);
        assert_eq!(value["error"]["nodes"], json!(["node-b"]));
        assert_eq!(value["error"]["file"], Value::Null);
    }
}

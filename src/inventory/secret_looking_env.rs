//! A plain variable whose name looks like a secret's (PASSWORD, PASSWD,
//! SECRET, TOKEN, API_KEY, PRIVATE_KEY, in any case) in a stack's `[env]`
//! or a node's `env` is a warning: such values belong in `[secrets]`
//! (docs/secrets.md), where they are resolved at deploy time and masked.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::config_error::{ConfigError, SourceFile};
use super::inventory_file::NodeSpans;
use super::model::{Inventory, Stack};

const WORDS: [&str; 6] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "PRIVATE_KEY",
];

#[derive(Deserialize)]
struct Env {
    #[serde(default)]
    env: BTreeMap<String, Spanned<toml::Value>>,
}

pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    WORDS.iter().any(|w| upper.contains(w))
}

pub(super) fn check(
    file: &SourceFile,
    inventory: &Inventory,
    spans: &NodeSpans,
    stacks: &BTreeMap<String, Stack>,
    warnings: &mut Vec<ConfigError>,
) {
    let help = |key: &str, place: &str| {
        Some(format!(
            "move {key} to [secrets] of the stack's stack.toml as a reference (e.g. {key} = \"op://vault/item/field\"), so its value is not kept in {place} and is masked in homectl's output"
        ))
    };
    for stack in stacks.values() {
        let path = stack.dir.join("stack.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(parsed) = toml::from_str::<Env>(&text) else {
            continue;
        };
        let stack_file = SourceFile::new(path.display().to_string(), text);
        for (key, value) in &parsed.env {
            if looks_secret(key) {
                warnings.push(stack_file.error_at(
                    value.span(),
                    format!("env.{key}: `{key}` looks like a secret, but [env] is plain text"),
                    help(key, "stack.toml"),
                ));
            }
        }
    }
    for ((node, key), span) in &spans.env {
        if inventory.nodes.contains_key(node) && looks_secret(key) {
            warnings.push(file.error_at(
                span.clone(),
                format!("nodes.{node}.env.{key}: `{key}` looks like a secret, but a node's env is plain text"),
                help(key, "the inventory"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::looks_secret;

    #[test]
    fn secret_looking_names() {
        for name in [
            "DB_PASSWORD",
            "passwd",
            "JwtSecret",
            "GH_TOKEN",
            "OPENAI_API_KEY",
            "ssh_private_key",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["TZ", "LOG_LEVEL", "PUBLIC_KEY", "API_URL"] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}

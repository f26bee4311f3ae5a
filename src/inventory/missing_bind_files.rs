//! A relative bind mount whose source is not in what travels: Docker
//! creates a missing source on the node as an empty folder. That is what a
//! data folder wants (`./data:/var/lib/app`), so a missing source is no
//! error. But two kinds are almost surely a file the operator forgot, and
//! get a warning (docs/inventory.md, "What check verifies"):
//! - a source or target whose last name has an extension
//!   (`./init-data.sh:/docker-entrypoint-initdb.d/init-data.sh`): the
//!   container finds an empty folder where it expects a file;
//! - a read-only mount (`./configuration:/etc/app:ro`): the container can
//!   never fill the empty folder.
//!
//! Paths are interpolated as `file_references.rs` does; one that reads an
//! unknown variable is skipped.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml_ng::Value;

use super::config_error::ConfigError;
use super::dotenv::DotEnv;
use super::file_references::inside;
use super::model::{Inventory, Stack};
use super::yaml_locate::{locate, locate_value};

/// One relative bind mount as written, and interpolated.
struct Bind {
    service: String,
    written: String,
    source: String,
    target: String,
    read_only: bool,
}

pub(super) fn check(
    inventory: &Inventory,
    stacks: &BTreeMap<String, Stack>,
    warnings: &mut Vec<ConfigError>,
) {
    for (name, stack) in stacks {
        let mut base = stack.env.clone();
        if let Some(dotenv) = DotEnv::read(&stack.dir) {
            for (k, v, _) in dotenv.variables {
                base.entry(k).or_insert(v);
            }
        }
        base.insert("REGISTRY".into(), inventory.registry.prefix());
        let shipped: Vec<&str> = stack.folder.files.iter().map(|f| f.path.as_str()).collect();
        let mut reported = BTreeSet::new();
        for node in inventory.nodes.values().filter(|n| n.stacks.contains(name)) {
            let mut env = base.clone();
            env.insert("HOMECTL_NODE".into(), node.name.clone());
            env.extend(node.env.clone());
            for bind in binds(&stack.compose.document, &env) {
                let Some(relative) = inside(&bind.source) else {
                    continue;
                };
                let relative = relative.to_string_lossy().replace('\\', "/");
                let travels = relative.is_empty()
                    || shipped.iter().any(|p| {
                        *p == relative
                            || p.strip_prefix(relative.as_str())
                                .is_some_and(|r| r.starts_with('/'))
                    });
                let file_like = has_extension(&bind.source) || has_extension(&bind.target);
                if travels || !(file_like || bind.read_only) {
                    continue;
                }
                if !reported.insert(bind.source.clone()) {
                    continue;
                }
                let keys = ["services", bind.service.as_str(), "volumes"];
                let span = locate_value(&stack.compose.text, &keys, &bind.written)
                    .or_else(|| locate(&stack.compose.text, &keys))
                    .unwrap_or(0..0);
                let why = if file_like {
                    "it looks like a file, and Docker creates a missing bind-mount source as an empty folder"
                } else {
                    "it is mounted read-only, and Docker creates a missing bind-mount source as an empty folder the container can never fill"
                };
                warnings.push(stack.compose_source().error_at(
                    span,
                    format!(
                        "services.{}.volumes: `{}` is not in the stack folder {} (or .homectlignore leaves it out): {why}",
                        bind.service,
                        bind.source,
                        stack.dir.display()
                    ),
                    Some(format!(
                        "put it in {}, or fix the path; a data folder a container fills is fine as it is",
                        stack.dir.display()
                    )),
                ));
            }
        }
    }
}

/// The relative bind mounts of every service (short `SRC:DST[:MODE]` and
/// long `type: bind` syntax).
fn binds(doc: &Value, env: &BTreeMap<String, String>) -> Vec<Bind> {
    let mut out = Vec::new();
    let Some(Value::Mapping(services)) = doc.get("services").map(untag) else {
        return out;
    };
    for (name, service) in services {
        let (Some(name), Some(Value::Sequence(volumes))) =
            (name.as_str(), service.get("volumes").map(untag))
        else {
            continue;
        };
        for volume in volumes {
            let bind = match untag(volume) {
                Value::String(s) => {
                    let Some(text) = crate::inventory::image_ref::interpolate(s, env) else {
                        continue;
                    };
                    let mut parts = text.splitn(3, ':');
                    let (Some(source), Some(target)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let mode = parts.next().unwrap_or("");
                    Bind {
                        service: name.to_string(),
                        written: s.clone(),
                        source: source.to_string(),
                        target: target.to_string(),
                        read_only: mode.split(',').any(|m| m == "ro"),
                    }
                }
                long @ Value::Mapping(_) => {
                    if long.get("type").and_then(Value::as_str) != Some("bind") {
                        continue;
                    }
                    let Some(written) = long.get("source").and_then(Value::as_str) else {
                        continue;
                    };
                    let Some(source) = crate::inventory::image_ref::interpolate(written, env)
                    else {
                        continue;
                    };
                    Bind {
                        service: name.to_string(),
                        written: written.to_string(),
                        source,
                        target: long
                            .get("target")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        read_only: long.get("read_only").and_then(Value::as_bool) == Some(true),
                    }
                }
                _ => continue,
            };
            // Only paths: a named volume has no `.` or `/` in front.
            if bind.source.starts_with("./") || bind.source.starts_with("../") || bind.source == "."
            {
                out.push(bind);
            }
        }
    }
    out
}

/// Whether the last name of `path` has an extension (`init-data.sh`,
/// `nginx.conf`; not `.config`, `data`, `v1.2`, nor a folder's `conf.d`).
fn has_extension(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=10).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
                && ext != "d"
        }
        None => false,
    }
}

fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::has_extension;

    #[test]
    fn a_name_with_an_extension_looks_like_a_file() {
        for yes in [
            "./init-data.sh",
            "./conf/nginx.conf",
            "/etc/app/app.yaml",
            "./db.sqlite3",
        ] {
            assert!(has_extension(yes), "{yes}");
        }
        for no in [
            "./data",
            "./.config",
            "./conf/",
            "./v1.2",
            ".",
            "./conf.d/",
            "/var/lib/x",
        ] {
            assert!(!has_extension(no), "{no}");
        }
    }
}

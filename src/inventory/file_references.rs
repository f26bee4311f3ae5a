//! The files a stack's compose.yml reads when Compose starts it
//! (docs/inventory.md, "What check verifies"): `env_file:` of a service,
//! the `file:` of a top-level `configs:` or `secrets:` entry, `include:`,
//! and `extends: file:`. Each must be a file inside the stack folder, since
//! the stack folder is what exists on the node. A bind-mount source is not
//! checked here: Docker creates a missing one as a folder.
//!
//! Paths are interpolated with what check knows (homectl's `REGISTRY` and
//! `HOMECTL_NODE`, the stack's `[env]`, its `.env`, the node's `env`); a
//! path that still reads an unknown variable (a secret, `IMAGE_TAG`) is
//! skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde_yaml_ng::Value;

use super::config_error::ConfigError;
use super::dotenv::DotEnv;
use super::model::{Inventory, Stack};
use super::yaml_locate::{locate, locate_value};

/// One path the compose file reads: where it is written and what it is.
struct Reference {
    /// The key path, e.g. `["services", "web", "env_file"]`.
    path: Vec<String>,
    /// The path as written.
    file: String,
    /// `env_file` with `required: false`: a missing one is fine.
    optional: bool,
}

pub(super) fn check(
    inventory: &Inventory,
    stacks: &BTreeMap<String, Stack>,
    errors: &mut Vec<ConfigError>,
) {
    for (name, stack) in stacks {
        let references = references(&stack.compose.document);
        if references.is_empty() {
            continue;
        }
        let mut base = stack.env.clone();
        if let Some(dotenv) = DotEnv::read(&stack.dir) {
            for (k, v, _) in dotenv.variables {
                base.entry(k).or_insert(v);
            }
        }
        base.insert("REGISTRY".into(), inventory.registry.prefix());
        let file = stack.compose_source();
        let mut reported = BTreeSet::new();
        for node in inventory.nodes.values().filter(|n| n.stacks.contains(name)) {
            let mut env = base.clone();
            env.insert("HOMECTL_NODE".into(), node.name.clone());
            env.extend(node.env.clone());
            for reference in &references {
                let Some(path) = crate::inventory::image_ref::interpolate(&reference.file, &env)
                else {
                    continue;
                };
                let Some(problem) = problem(&stack.dir, &path, reference.optional) else {
                    continue;
                };
                if !reported.insert((reference.path.clone(), path.clone())) {
                    continue;
                }
                let keys: Vec<&str> = reference.path.iter().map(String::as_str).collect();
                let span = locate_value(&stack.compose.text, &keys, &reference.file)
                    .or_else(|| locate(&stack.compose.text, &keys))
                    .unwrap_or(0..0);
                let shown = if path == reference.file {
                    format!("`{path}`")
                } else {
                    format!("`{}` (`{path}`)", reference.file)
                };
                let dir = stack.dir.display();
                let (message, help) = match problem {
                    Problem::Missing => (
                        format!("{shown} does not exist in the stack folder {dir}"),
                        if keys.last() == Some(&"env_file") {
                            format!("create it in {dir}, fix the path, or, if the file may be missing, write it as `- path: {}` with `required: false`", reference.file)
                        } else {
                            format!("create it in {dir} or fix the path: Compose reads it when the stack starts, and stops without it")
                        },
                    ),
                    Problem::NotAFile => (
                        format!("{shown} is a folder, not a file"),
                        "name the file inside it".to_string(),
                    ),
                    Problem::Outside => (
                        format!("{shown} is outside the stack folder {dir}"),
                        format!("the node has only the stack folder: move the file into {dir} and name it by a path relative to compose.yml (e.g. `./{}`)", file_name(&path)),
                    ),
                };
                errors.push(file.error_at(
                    span,
                    format!("{}: {message}", reference.path.join(".")),
                    Some(help),
                ));
            }
        }
    }
}

enum Problem {
    Missing,
    NotAFile,
    Outside,
}

fn problem(dir: &Path, path: &str, optional: bool) -> Option<Problem> {
    let Some(relative) = inside(path) else {
        return (!optional).then_some(Problem::Outside);
    };
    let full = dir.join(relative);
    if full.is_file() {
        None
    } else if full.is_dir() {
        Some(Problem::NotAFile)
    } else if optional {
        None
    } else {
        Some(Problem::Missing)
    }
}

/// `path` relative to the stack folder, with `.` and `..` resolved, if it
/// stays inside it; `None` for an absolute path, `~`, or one that leaves it.
pub(super) fn inside(path: &str) -> Option<PathBuf> {
    if path.starts_with('~') {
        return None;
    }
    let mut out = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| "FILE".into(), |n| n.to_string_lossy().into_owned())
}

fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

/// A string, or each string of a list.
fn strings(value: &Value) -> Vec<&str> {
    match untag(value) {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(list) => list.iter().filter_map(|v| untag(v).as_str()).collect(),
        _ => Vec::new(),
    }
}

fn references(document: &Value) -> Vec<Reference> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<Reference>, path: &[&str], file: &str, optional: bool| {
        out.push(Reference {
            path: path.iter().map(|s| s.to_string()).collect(),
            file: file.to_string(),
            optional,
        });
    };
    if let Some(Value::Mapping(services)) = document.get("services").map(untag) {
        for (name, service) in services {
            let Some(name) = name.as_str() else { continue };
            if let Some(env_file) = service.get("env_file") {
                let items: Vec<&Value> = match untag(env_file) {
                    Value::Sequence(list) => list.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    match untag(item) {
                        Value::String(s) => {
                            push(&mut out, &["services", name, "env_file"], s, false)
                        }
                        Value::Mapping(_) => {
                            let Some(path) = item.get("path").and_then(|p| untag(p).as_str())
                            else {
                                continue;
                            };
                            let optional =
                                matches!(item.get("required").map(untag), Some(Value::Bool(false)))
                                    || matches!(
                                        item.get("required").map(untag),
                                        Some(Value::String(s)) if s == "false"
                                    );
                            push(&mut out, &["services", name, "env_file"], path, optional);
                        }
                        _ => {}
                    }
                }
            }
            if let Some(Value::Mapping(extends)) = service.get("extends").map(untag) {
                if let Some(file) = extends.get("file").and_then(|f| untag(f).as_str()) {
                    push(
                        &mut out,
                        &["services", name, "extends", "file"],
                        file,
                        false,
                    );
                }
            }
        }
    }
    for top in ["configs", "secrets"] {
        if let Some(Value::Mapping(entries)) = document.get(top).map(untag) {
            for (name, entry) in entries {
                let Some(name) = name.as_str() else { continue };
                if let Some(file) = entry.get("file").and_then(|f| untag(f).as_str()) {
                    push(&mut out, &[top, name, "file"], file, false);
                }
            }
        }
    }
    if let Some(include) = document.get("include") {
        let items: Vec<&Value> = match untag(include) {
            Value::Sequence(list) => list.iter().collect(),
            other => vec![other],
        };
        for item in items {
            match untag(item) {
                Value::String(s) => push(&mut out, &["include"], s, false),
                Value::Mapping(_) => {
                    for key in ["path", "env_file"] {
                        if let Some(value) = item.get(key) {
                            for file in strings(value) {
                                push(&mut out, &["include"], file, false);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(yaml: &str) -> Vec<(String, String, bool)> {
        let doc: Value = serde_yaml_ng::from_str(yaml).unwrap();
        references(&doc)
            .into_iter()
            .map(|r| (r.path.join("."), r.file, r.optional))
            .collect()
    }

    fn one(key: &str, file: &str, optional: bool) -> (String, String, bool) {
        (key.to_string(), file.to_string(), optional)
    }

    #[test]
    fn every_form_of_a_reference() {
        let yaml = r#"
include:
  - a.yml
  - path: [b.yml, c.yml]
    env_file: i.env
services:
  web:
    image: x
    env_file: one.env
    extends: { file: base.yml, service: web }
  api:
    image: x
    env_file:
      - two.env
      - path: three.env
        required: false
      - path: four.env
        required: true
    extends: web
configs:
  c: { file: ./c.conf }
  e: { external: true }
secrets:
  s: { file: s.txt }
  env: { environment: X }
"#;
        assert_eq!(
            files(yaml),
            [
                one("services.web.env_file", "one.env", false),
                one("services.web.extends.file", "base.yml", false),
                one("services.api.env_file", "two.env", false),
                one("services.api.env_file", "three.env", true),
                one("services.api.env_file", "four.env", false),
                one("configs.c.file", "./c.conf", false),
                one("secrets.s.file", "s.txt", false),
                one("include", "a.yml", false),
                one("include", "b.yml", false),
                one("include", "c.yml", false),
                one("include", "i.env", false),
            ]
        );
        assert_eq!(
            files("include: x.yml\nservices: {}"),
            [one("include", "x.yml", false)]
        );
    }

    #[test]
    fn inside_the_folder_or_not() {
        assert_eq!(inside("./a/../b.env"), Some(PathBuf::from("b.env")));
        assert_eq!(inside("a/b.env"), Some(PathBuf::from("a/b.env")));
        assert_eq!(inside("../b.env"), None);
        assert_eq!(inside("a/../../b.env"), None);
        assert_eq!(inside("/etc/b.env"), None);
        assert_eq!(inside("~/b.env"), None);
    }

    #[test]
    fn what_is_wrong_with_a_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.env"), "").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let p = |path: &str, optional| problem(dir.path(), path, optional);
        assert!(p("a.env", false).is_none());
        assert!(p("./sub/../a.env", false).is_none());
        assert!(matches!(p("b.env", false), Some(Problem::Missing)));
        assert!(p("b.env", true).is_none());
        assert!(matches!(p("sub", false), Some(Problem::NotAFile)));
        assert!(matches!(p("../a.env", false), Some(Problem::Outside)));
        assert!(p("/etc/optional.env", true).is_none());
    }
}

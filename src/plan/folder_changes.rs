//! What a deploy does with a stack's folder on a node (docs/stacks.md,
//! "What travels"): from what the node has (the version in use and its
//! files, the versions kept), which files travel and which are copied
//! from the version in use, and which services read a file that changed,
//! so that they are recreated. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml_ng::Value;

use crate::inventory::stack_folder::StackFolder;

/// A stack's folder as the node's state step saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFolder {
    /// The version in use (empty: none yet, or deployed before versions).
    pub in_use: String,
    /// Every version kept on the node.
    pub versions: BTreeSet<String>,
    /// The files of the version in use: path → SHA-256.
    pub files: BTreeMap<String, String>,
}

/// One line of the stage step's plan, and whether its file travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// `"- SHA MODE PATH"` (travels) or `"= SHA MODE PATH"` (copied from
    /// the version in use).
    pub line: String,
    /// The path, when the file's content travels as a data frame.
    pub travels: Option<String>,
}

/// The stage plan of `folder` on a node that has `node`: nothing if the
/// node keeps that version already; else every file, those of the same
/// path and content in the version in use copied there.
pub fn stage_plan(folder: &StackFolder, node: &NodeFolder) -> Option<Vec<StagedFile>> {
    if node.versions.contains(&folder.version) {
        return None;
    }
    Some(
        folder
            .files
            .iter()
            .map(|f| {
                let same = node.files.get(&f.path) == Some(&f.sha256);
                let mode = u8::from(f.executable);
                StagedFile {
                    line: format!(
                        "{} {} {mode} {}",
                        if same { "=" } else { "-" },
                        f.sha256,
                        f.path
                    ),
                    travels: (!same).then(|| f.path.clone()),
                }
            })
            .collect(),
    )
}

/// The paths whose content differs between the version in use and `folder`
/// (added, changed or removed).
pub fn changed_paths(folder: &StackFolder, node: &NodeFolder) -> BTreeSet<String> {
    let new: BTreeMap<&str, &str> = folder
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let mut changed: BTreeSet<String> = new
        .iter()
        .filter(|(p, sha)| node.files.get(**p).map(String::as_str) != Some(**sha))
        .map(|(p, _)| p.to_string())
        .collect();
    changed.extend(
        node.files
            .keys()
            .filter(|p| !new.contains_key(p.as_str()))
            .cloned(),
    );
    changed
}

/// Of `services`, those that read one of `changed` from the folder: a
/// relative bind mount whose source is or holds the path, an `env_file`,
/// or a `configs:`/`secrets:` entry whose `file:` it is. A path written
/// with a variable might be any file: the service counts as reading it.
pub fn services_reading(
    compose: &Value,
    services: &[String],
    changed: &BTreeSet<String>,
) -> Vec<String> {
    if changed.is_empty() {
        return Vec::new();
    }
    services
        .iter()
        .filter(|name| {
            compose
                .get("services")
                .and_then(|s| s.get(name.as_str()))
                .is_some_and(|service| {
                    sources_of(compose, service)
                        .iter()
                        .any(|source| reads(source, changed))
                })
        })
        .cloned()
        .collect()
}

fn reads(source: &str, changed: &BTreeSet<String>) -> bool {
    if source.contains('$') {
        return true;
    }
    let Some(source) = folder_relative(source) else {
        return false;
    };
    changed
        .iter()
        .any(|path| source.is_empty() || path == &source || path.starts_with(&format!("{source}/")))
}

/// A relative path of the compose file as a path of the folder (`./a/b` →
/// `a/b`, `.` → ``); None for an absolute path, a named volume or a path
/// that leaves the folder.
fn folder_relative(source: &str) -> Option<String> {
    if !(source.starts_with("./") || source.starts_with("../") || source == "." || source == "..") {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Every file or folder of the project a service reads, as written.
fn sources_of(compose: &Value, service: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Sequence(volumes)) = service.get("volumes") {
        for volume in volumes {
            match volume {
                Value::String(short) => {
                    if let Some((source, _)) = short.split_once(':') {
                        out.push(source.to_string());
                    }
                }
                Value::Mapping(_) if volume.get("type").and_then(Value::as_str) == Some("bind") => {
                    if let Some(source) = volume.get("source").and_then(Value::as_str) {
                        out.push(source.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    match service.get("env_file") {
        Some(Value::String(path)) => out.push(dot(path)),
        Some(Value::Sequence(list)) => {
            for entry in list {
                match entry {
                    Value::String(path) => out.push(dot(path)),
                    Value::Mapping(_) => {
                        if let Some(path) = entry.get("path").and_then(Value::as_str) {
                            out.push(dot(path));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    for kind in ["configs", "secrets"] {
        let Some(Value::Sequence(used)) = service.get(kind) else {
            continue;
        };
        for entry in used {
            let name = match entry {
                Value::String(name) => Some(name.as_str()),
                Value::Mapping(_) => entry.get("source").and_then(Value::as_str),
                _ => None,
            };
            if let Some(file) = name.and_then(|n| compose.get(kind)?.get(n)?.get("file")?.as_str())
            {
                out.push(dot(file));
            }
        }
    }
    out
}

/// `env_file: app.env` and `file: ./x` are both relative to the folder.
fn dot(path: &str) -> String {
    if path.starts_with('/') || path.starts_with("./") || path.starts_with("../") {
        path.to_string()
    } else {
        format!("./{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::stack_folder::StackFile;

    fn folder(files: &[(&str, &str)]) -> StackFolder {
        StackFolder {
            files: files
                .iter()
                .map(|(p, sha)| StackFile {
                    path: p.to_string(),
                    sha256: sha.to_string(),
                    size: 1,
                    executable: false,
                })
                .collect(),
            version: "v2".into(),
        }
    }

    fn node(files: &[(&str, &str)]) -> NodeFolder {
        NodeFolder {
            in_use: "v1".into(),
            versions: ["v1".to_string()].into(),
            files: files
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect(),
        }
    }

    #[test]
    fn only_what_the_version_in_use_lacks_travels() {
        let new = folder(&[("compose.yml", "c"), ("conf/a", "new"), ("b", "b")]);
        let on_node = node(&[("compose.yml", "c"), ("conf/a", "old"), ("gone", "g")]);
        let plan = stage_plan(&new, &on_node).unwrap();
        let travels: Vec<_> = plan.iter().filter_map(|f| f.travels.clone()).collect();
        assert_eq!(travels, ["conf/a", "b"]);
        assert_eq!(plan[0].line, "= c 0 compose.yml");
        assert_eq!(
            changed_paths(&new, &on_node),
            ["b", "conf/a", "gone"].map(String::from).into()
        );
        // A version the node keeps already: nothing travels at all.
        let mut kept = on_node.clone();
        kept.versions.insert("v2".into());
        assert_eq!(stage_plan(&new, &kept), None);
    }

    #[test]
    fn the_services_that_read_a_changed_file_are_recreated() {
        let compose: Value = serde_yaml_ng::from_str(
            "services:\n\
             \x20 web:\n\
             \x20   volumes: [\"./conf/index.html:/www/index.html:ro\", \"./data:/data\", \"logs:/logs\"]\n\
             \x20 app:\n\
             \x20   env_file: app.env\n\
             \x20 proxy:\n\
             \x20   volumes: [{type: bind, source: ./conf, target: /etc/conf}]\n\
             \x20   configs: [cfg]\n\
             \x20 plain:\n\
             \x20   image: x\n\
             configs:\n\
             \x20 cfg:\n\
             \x20   file: ./proxy.cfg\n",
        )
        .unwrap();
        let all: Vec<String> = ["web", "app", "proxy", "plain"].map(String::from).into();
        let changed = |paths: &[&str]| paths.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            services_reading(&compose, &all, &changed(&["conf/index.html"])),
            ["web", "proxy"]
        );
        assert_eq!(
            services_reading(&compose, &all, &changed(&["app.env"])),
            ["app"]
        );
        assert_eq!(
            services_reading(&compose, &all, &changed(&["proxy.cfg"])),
            ["proxy"]
        );
        assert!(services_reading(&compose, &all, &changed(&["README"])).is_empty());
    }
}

//! Bundles: several files in one input.

use std::path::{Path, PathBuf};

use super::{DEFAULT_INVENTORY, MAX_FILES};

/// One input split into files. The format, readable and easy to seed:
///
/// ```text
/// name = "x"                 <- up to the first header: the inventory
/// ...
/// === stacks/core/stack.toml <- a header line: `=== ` and a relative path
/// images = []
/// === stacks/core/compose.yml
/// services: ...
/// ```
///
/// If the input starts with a header, that file is the inventory. A path
/// with anything but `[A-Za-z0-9._-]` components (no `.`, `..`, empty or
/// absolute ones) drops that file's content. Contents are raw bytes, so
/// invalid UTF-8 reaches the loader too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub inventory: String,
    pub files: Vec<(String, Vec<u8>)>,
}

pub fn parse_bundle(data: &[u8]) -> Bundle {
    let mut files: Vec<(Option<String>, Vec<u8>)> = Vec::new();
    let mut current: (Option<String>, Vec<u8>) = (Some(DEFAULT_INVENTORY.to_string()), Vec::new());
    let mut first = true;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Some(header) = line.strip_prefix(b"=== ") {
            let path = std::str::from_utf8(header)
                .ok()
                .map(str::trim_end)
                .and_then(clean_path);
            if !(first && current.1.is_empty()) {
                files.push(std::mem::take(&mut current));
            }
            current = (path, Vec::new());
        } else {
            current.1.extend_from_slice(line);
        }
        first = false;
    }
    files.push(current);

    let inventory = files[0]
        .0
        .clone()
        .unwrap_or_else(|| DEFAULT_INVENTORY.to_string());
    let files = files
        .into_iter()
        .filter_map(|(path, content)| path.map(|p| (p, content)))
        .take(MAX_FILES)
        .collect();
    Bundle { inventory, files }
}

/// The bundle as bytes again (`parse_bundle(&b.to_bytes()) == b` for
/// bundles whose files end with a newline). Used to build seeds.
pub fn bundle_bytes(inventory: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ordered: Vec<&(String, Vec<u8>)> =
        files.iter().filter(|(p, _)| p == inventory).collect();
    ordered.extend(files.iter().filter(|(p, _)| p != inventory));
    for (path, content) in ordered {
        out.extend_from_slice(format!("=== {path}\n").as_bytes());
        out.extend_from_slice(content);
        if !content.is_empty() && !content.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// A bundle of files on disk: `inventory` (relative to `root`) first, then
/// every file under `root/stacks/`, as seed-corpus.sh writes them.
pub fn bundle_from_dir(root: &Path, inventory: &str) -> Vec<u8> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root.join("stacks"), &mut paths);
    let mut files = vec![(
        inventory.to_string(),
        std::fs::read(root.join(inventory)).unwrap_or_default(),
    )];
    for path in paths {
        let rel = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        files.push((rel, std::fs::read(&path).unwrap_or_default()));
    }
    bundle_bytes(inventory, &files)
}

/// A relative path of at most 8 plain components, or `None`.
fn clean_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let ok = !path.is_empty()
        && path.len() <= 120
        && parts.len() <= 8
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        });
    ok.then(|| path.to_string())
}

//! `homectl init [DIR]`: scaffolds an inventory and the two stacks of the
//! reference topology (one core node, two worker nodes), commented so that
//! the files teach their format. The templates live in src/scaffold/ and
//! are compiled in; tests/init/scaffold.rs checks that they pass `homectl check`.
//! Never overwrites: if any file exists, nothing is written (exit 2).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::settings::{CiWorkflow, GlobalSettings, InitSettings};

/// Each scaffolded file: its path under DIR and its text.
pub const FILES: [(&str, &str); 5] = [
    (
        "inventory/homelab.toml",
        include_str!("../scaffold/inventory/homelab.toml"),
    ),
    (
        "stacks/core/stack.toml",
        include_str!("../scaffold/stacks/core/stack.toml"),
    ),
    (
        "stacks/core/compose.yml",
        include_str!("../scaffold/stacks/core/compose.yml"),
    ),
    (
        "stacks/workers/stack.toml",
        include_str!("../scaffold/stacks/workers/stack.toml"),
    ),
    (
        "stacks/workers/compose.yml",
        include_str!("../scaffold/stacks/workers/compose.yml"),
    ),
];

/// Where `--ci github` writes its workflow, and the template.
const GITHUB_WORKFLOW: (&str, &str) = (
    ".github/workflows/homectl.yml",
    include_str!("../scaffold/ci/homectl.yml"),
);

/// The files to write: the scaffold, and the CI workflow if asked.
fn files(ci: Option<CiWorkflow>) -> Vec<(&'static str, String)> {
    let mut files: Vec<(&'static str, String)> =
        FILES.iter().map(|(p, t)| (*p, t.to_string())).collect();
    if ci == Some(CiWorkflow::Github) {
        files.push((GITHUB_WORKFLOW.0, github_workflow(FILES[0].1)));
    }
    files
}

/// The workflow for the scaffold's inventory: its tag_length, and one
/// deploy per group, in the order the nodes name them.
pub fn github_workflow(inventory_text: &str) -> String {
    let inventory: toml::Value = toml::from_str(inventory_text).expect("the scaffold parses");
    let tag_length = inventory
        .get("tag_length")
        .and_then(toml::Value::as_integer)
        .unwrap_or(40);
    let mut groups: Vec<String> = Vec::new();
    for node in inventory
        .get("nodes")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        for group in node
            .get("groups")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
        {
            if !groups.iter().any(|g| g == group) {
                groups.push(group.to_string());
            }
        }
    }
    let deploys: Vec<String> = groups
        .iter()
        .map(|g| format!("homectl --json deploy {g} --tag \"$TAG\" > deploy-{g}.jsonl"))
        .collect();
    GITHUB_WORKFLOW
        .1
        .replace("TAG_LENGTH", &tag_length.to_string())
        .replace("GROUP_DEPLOYS", &deploys.join("\n          "))
}

pub fn run(global: &GlobalSettings, args: &InitSettings) -> Result<i32> {
    let files = files(args.ci);
    let dir = &args.dir;
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "init: {} exists and is not a folder",
            dir.display()
        )));
    }

    // Every file that is in the way, and every folder on the way that is
    // not a folder: all named at once, and nothing written.
    let mut in_the_way = Vec::new();
    for (path, _) in &files {
        let mut at = dir.clone();
        let parts: Vec<&str> = path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            let last = i + 1 == parts.len();
            // symlink_metadata: a dangling link is in the way too.
            if let Ok(meta) = fs::symlink_metadata(&at) {
                if (last || !meta.is_dir()) && !in_the_way.contains(&at) {
                    in_the_way.push(at.clone());
                }
                if !meta.is_dir() {
                    break;
                }
            }
        }
    }
    if !in_the_way.is_empty() {
        let list: Vec<String> = in_the_way
            .iter()
            .map(|p| format!("  {}", p.display()))
            .collect();
        return Err(Error::usage(format!(
            "init: {} already exist{}; nothing was written (homectl init never overwrites):\n{}\nmove {} away, or init another folder",
            if in_the_way.len() == 1 { "a file" } else { "these files" },
            if in_the_way.len() == 1 { "s" } else { "" },
            list.join("\n"),
            if in_the_way.len() == 1 { "it" } else { "them" },
        )));
    }

    let mut created: Vec<PathBuf> = Vec::new();
    for (path, text) in &files {
        let target = dir.join(path);
        if let Err(e) = write_new(&target, text) {
            // Leave the folder as it was: remove what this run wrote.
            for file in &created {
                let _ = fs::remove_file(file);
            }
            return Err(Error::runtime(format!(
                "init: cannot write {}: {e}; nothing was kept",
                target.display()
            )));
        }
        created.push(target);
    }

    let printer = global.printer();
    if global.json {
        let files: Vec<String> = created.iter().map(|p| p.display().to_string()).collect();
        printer.out(
            &serde_json::json!({ "dir": dir.display().to_string(), "created": files }).to_string(),
        );
        return Ok(0);
    }
    let mut out =
        String::from("Created the reference homelab (one core node, two worker nodes):\n");
    for file in &created {
        out.push_str(&format!("  {}\n", file.display()));
    }
    let mut steps: Vec<&str> = Vec::new();
    let cd = format!("cd {}", shell_word(dir));
    if dir != Path::new(".") {
        steps.push(&cd);
    }
    steps.extend([
        "edit inventory/homelab.toml: your nodes' hosts, the SSH user, the registry\n     and the secret reference of its token",
        "edit stacks/*/stack.toml and compose.yml: your images, ports, env and secrets",
        "homectl check                 validate the files (no network)",
        "homectl preflight             check nodes, registry, image tag and secrets",
        "homectl deploy all --dry-run  see what a deploy would run",
        "homectl deploy all            deploy (the tag is git HEAD, or --tag T)",
    ]);
    out.push_str("\nNext steps:\n");
    for (i, step) in steps.iter().enumerate() {
        out.push_str(&format!("  {}. {step}\n", i + 1));
    }
    out.push_str("\nEvery key of these files is described in homectl's docs/inventory.md and docs/stacks.md.\n");
    printer.out(&out);
    Ok(0)
}

/// Creates the file's folders and the file itself, which must not exist.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// The folder as the operator would type it (quoted if it needs to be).
fn shell_word(dir: &Path) -> String {
    let text = dir.display().to_string();
    shlex::try_quote(&text)
        .map(|q| q.into_owned())
        .unwrap_or(text)
}

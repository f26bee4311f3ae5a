//! Completion of the inventory's names (nodes, groups, stacks, services and
//! their `node:`/`stack:`/`service:` forms) for bash, zsh and fish, through
//! clap_complete's dynamic completion: the shell asks homectl itself, which
//! reads the inventory named on the command line being completed
//! (docs/getting-started.md, "Shell completion").

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::PathBuf;

use clap_complete::CompletionCandidate;

use crate::inventory::{self, Project};

/// The environment variable the shell sets when it asks for completions.
pub const COMPLETE_VAR: &str = "COMPLETE";

/// TARGET: `all`, the groups and the nodes.
pub fn complete_target(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(project) = project_being_completed() else {
        return Vec::new();
    };
    let mut names: BTreeSet<String> = BTreeSet::from(["all".to_string()]);
    for node in project.inventory.nodes.values() {
        names.insert(node.name.clone());
        names.extend(node.groups.iter().cloned());
    }
    candidates(names, current)
}

/// NAME: nodes, stacks and services; `kind:` forms once a colon is typed.
pub fn complete_name(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(project) = project_being_completed() else {
        return Vec::new();
    };
    let nodes: BTreeSet<String> = project.inventory.nodes.keys().cloned().collect();
    let stacks: BTreeSet<String> = project.stacks.keys().cloned().collect();
    let services: BTreeSet<String> = project
        .stacks
        .values()
        .flat_map(|s| s.compose.services.keys().cloned())
        .collect();
    let typed = current.to_string_lossy();
    let names: BTreeSet<String> = if typed.contains(':') {
        [("node", &nodes), ("stack", &stacks), ("service", &services)]
            .into_iter()
            .flat_map(|(kind, names)| names.iter().map(move |n| format!("{kind}:{n}")))
            .collect()
    } else {
        nodes
            .iter()
            .chain(&stacks)
            .chain(&services)
            .cloned()
            .collect()
    };
    candidates(names, current)
}

/// NODE: the nodes.
pub fn complete_node(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(project) = project_being_completed() else {
        return Vec::new();
    };
    candidates(project.inventory.nodes.keys().cloned().collect(), current)
}

/// SERVICE: every service of every stack.
pub fn complete_service(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(project) = project_being_completed() else {
        return Vec::new();
    };
    let services = project
        .stacks
        .values()
        .flat_map(|s| s.compose.services.keys().cloned())
        .collect();
    candidates(services, current)
}

fn candidates(names: BTreeSet<String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    names
        .into_iter()
        .filter(|n| n.starts_with(typed.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// The project of the command line being completed: its `-i`/`--inventory`
/// (the shell passes the words after `--`), else `$HOMECTL_INVENTORY`, else
/// the default. None if it does not load: no names, no error.
fn project_being_completed() -> Option<Project> {
    let words: Vec<String> = std::env::args().collect();
    let after = words.iter().position(|w| w == "--").map_or(0, |i| i + 1);
    let words = &words[after..];
    let mut path = std::env::var_os("HOMECTL_INVENTORY").map(PathBuf::from);
    for (i, word) in words.iter().enumerate() {
        if let Some(value) = word.strip_prefix("--inventory=") {
            path = Some(value.into());
        } else if word == "-i" || word == "--inventory" {
            if let Some(value) = words.get(i + 1) {
                path = Some(value.into());
            }
        } else if let Some(value) = word.strip_prefix("-i").filter(|v| !v.is_empty()) {
            path = Some(value.into());
        }
    }
    inventory::load(&inventory::inventory_path(path.as_deref())).ok()
}

//! Completion of the inventory's names (nodes, groups, stacks, services and
//! their `node:`/`stack:`/`service:` forms) for bash, zsh and fish, through
//! clap_complete's dynamic completion: the shell asks homectl itself, which
//! reads the inventory named on the command line being completed
//! (docs/getting-started.md, "Shell completion").

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::PathBuf;

use clap_complete::{ArgValueCompleter, CompletionCandidate};

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

/// The command line with the completers of the inventory's names attached,
/// by argument id: `target` (TARGET), `names` (NAME...), `node` and
/// `service`, in every subcommand. The definitions in `cli::args` stay
/// free of the inventory; only the shell's completion requests need this.
pub fn with_name_completers(command: clap::Command) -> clap::Command {
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    subcommands.iter().fold(command, |command, name| {
        // mut_args keeps the arguments' order (positional indexes).
        command.mut_subcommand(name, |sub| {
            sub.mut_args(|arg| match completer_of(arg.get_id().as_str()) {
                Some(completer) => arg.add(completer),
                None => arg,
            })
        })
    })
}

fn completer_of(id: &str) -> Option<ArgValueCompleter> {
    let complete: fn(&OsStr) -> Vec<CompletionCandidate> = match id {
        "target" => complete_target,
        "names" => complete_name,
        "node" => complete_node,
        "service" => complete_service,
        _ => return None,
    };
    Some(ArgValueCompleter::new(complete))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every argument named target, names, node or service completes, in
    /// every command that has one.
    #[test]
    fn the_name_arguments_get_their_completers() {
        let command = with_name_completers(crate::cli::args::Cli::command());
        // The same definitions, still valid (positional order included).
        command.clone().debug_assert();
        let mut attached = Vec::new();
        for sub in command.get_subcommands() {
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if completer_of(id).is_some() {
                    assert!(
                        arg.get::<ArgValueCompleter>().is_some(),
                        "{} {id}",
                        sub.get_name()
                    );
                    attached.push(format!("{} {id}", sub.get_name()));
                }
            }
        }
        for expected in [
            "deploy target",
            "deploy names",
            "logs node",
            "exec service",
            "unlock node",
            "history target",
        ] {
            assert!(
                attached.contains(&expected.to_string()),
                "{expected}: {attached:?}"
            );
        }
    }
}

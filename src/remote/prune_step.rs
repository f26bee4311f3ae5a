//! The steps of `prune` (docs/operations.md, "Pruning"): the facts the
//! decision needs (read only), and the removal of what `plan::prune`
//! decided, with their output parsers.

use std::collections::BTreeMap;

use super::step::{quote, Step};
use crate::inventory::names::check_name;
use crate::plan::prune::{NodeFacts, NodeImage, StackPrune};
use crate::remote::steps::history::parse as parse_history;

const FACTS: &str = include_str!("scripts/prune_facts.sh");
const PRUNE: &str = include_str!("scripts/prune.sh");

/// The node's images, containers' images, stack folder versions and history.
pub fn facts_step() -> Step {
    Step::new("prune facts", FACTS)
}

/// Parses the facts step's output.
pub fn parse_facts(output: &str) -> NodeFacts {
    let mut facts = NodeFacts {
        history: parse_history(output),
        ..NodeFacts::default()
    };
    let list = |field: &str, prefix: &str| -> Vec<String> {
        field
            .strip_prefix(prefix)
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty() && !s.contains("<none>"))
            .map(str::to_string)
            .collect()
    };
    for line in output.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["IMAGE", id, size, tags, digests] => facts.images.push(NodeImage {
                id: id.to_string(),
                size: size.parse().unwrap_or(0),
                tags: list(tags, "t:"),
                digests: list(digests, "d:"),
            }),
            ["USED", id] => {
                facts.container_images.insert(id.to_string());
            }
            ["INUSE", stack, version @ ..] => {
                facts.folders.entry(stack.to_string()).or_default().in_use =
                    version.first().unwrap_or(&"").to_string();
            }
            ["FILES", stack, version, kbytes] => {
                facts
                    .folders
                    .entry(stack.to_string())
                    .or_default()
                    .versions
                    .insert(
                        version.to_string(),
                        kbytes.parse::<u64>().unwrap_or(0) * 1024,
                    );
            }
            _ => {}
        }
    }
    facts
}

/// Removes the decided images and folder versions; `None` if there is nothing to remove.
pub fn prune_step(plan: &[StackPrune]) -> Option<Step> {
    let images: Vec<String> = plan
        .iter()
        .flat_map(|s| &s.remove_images)
        .map(|i| {
            let mut line = i.id.clone();
            for tag in &i.tags {
                line.push(' ');
                line.push_str(tag);
            }
            line
        })
        .collect();
    let files: Vec<String> = plan
        .iter()
        .filter(|s| check_name(&s.stack).is_ok())
        .flat_map(|s| {
            s.remove_files
                .iter()
                .filter(|f| {
                    !f.version.is_empty() && f.version.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .map(move |f| format!("{} {}", s.stack, f.version))
        })
        .collect();
    if images.is_empty() && files.is_empty() {
        return None;
    }
    Some(Step::new(
        "prune",
        format!(
            "HC_IMAGES={} HC_FILES={}\n{PRUNE}",
            quote(&images.join("\n")),
            quote(&files.join("\n"))
        ),
    ))
}

/// What the prune step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PruneOutcome {
    pub removed_images: Vec<String>,
    /// image id → why it stayed.
    pub kept_images: BTreeMap<String, String>,
    /// (stack, version)
    pub removed_files: Vec<(String, String)>,
    /// Docker's size of all images before and after, in bytes, when it told.
    pub disk: Option<(u64, u64)>,
}

pub fn parse_prune(output: &str) -> PruneOutcome {
    let mut outcome = PruneOutcome::default();
    for line in output.lines() {
        let mut words = line.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("REMOVED-IMAGE"), Some(id), _) => outcome.removed_images.push(id.to_string()),
            (Some("KEPT-IMAGE"), Some(id), why) => {
                outcome
                    .kept_images
                    .insert(id.to_string(), why.unwrap_or("").to_string());
            }
            (Some("REMOVED-FILES"), Some(stack), Some(version)) => outcome
                .removed_files
                .push((stack.to_string(), version.trim().to_string())),
            (Some("DISK"), Some(before), Some(after)) => {
                outcome.disk = human_size(before).zip(human_size(after.trim()));
            }
            _ => {}
        }
    }
    outcome
}

/// Docker's human sizes (`docker system df`: decimal units, "1.23GB", "0B").
fn human_size(text: &str) -> Option<u64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    Some((number * factor).round() as u64)
}

#[cfg(test)]
#[path = "prune_step_tests.rs"]
mod tests;

//! Stage 1 of the flow: the operator's files (inventory, stacks, compose
//! files) read and checked into a `Project`. No network, no side effects.

mod compose_file;
mod config_error;
mod inventory_file;
mod model;
pub mod names;
mod stack_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use config_error::{line_column, ConfigError, SourceFile};
pub use model::*;

/// The inventory to use: `-i PATH`, else `$HOMECTL_INVENTORY` (clap fills
/// both into one option), else `inventory/homelab.toml`.
pub fn inventory_path(option: Option<&Path>) -> PathBuf {
    option.map_or_else(|| PathBuf::from("inventory/homelab.toml"), Path::to_path_buf)
}

/// Reads the inventory and every stack its nodes use, and cross-checks them.
pub fn load(path: &Path) -> Result<Project, ConfigError> {
    let file = SourceFile::read(path)?;
    let (inventory, spans) = inventory_file::parse_inventory(&file)?;

    let mut stacks = BTreeMap::new();
    for (node, stack, span) in &spans.stacks {
        if stacks.contains_key(stack) {
            continue;
        }
        let dir = inventory.stacks_dir.join(stack);
        if !dir.join("stack.toml").is_file() || !dir.join("compose.yml").is_file() {
            return Err(file.error_at(
                span.clone(),
                format!("nodes.{node}.stacks: stack `{stack}` not found: {} needs stack.toml and compose.yml", dir.display()),
                Some(format!("create the folder, or fix the name (stacks are looked up in {})", inventory.stacks_dir.display())),
            ));
        }
        let loaded = stack_file::load_stack(stack, &dir, inventory.secrets_exec.is_some())?;
        stacks.insert(stack.clone(), loaded);
    }

    for (node, scale, span) in &spans.scales {
        for stack in &inventory.nodes[node].stacks {
            let max = stacks[stack].max_scale;
            if *scale > max {
                return Err(file.error_at(
                    span.clone(),
                    format!("nodes.{node}.scale: {scale} is above max_scale {max} of stack `{stack}`"),
                    Some(format!("use a scale within 1..{max}, or raise max_scale in stacks/{stack}/stack.toml")),
                ));
            }
        }
    }

    // A service name that is also a node or stack name is fine (selection
    // asks for the qualified form); but two stacks of one node must not
    // define the same service, or `service:NAME` would be ambiguous there.
    for node in inventory.nodes.values() {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for stack in &node.stacks {
            for service in stacks[stack].compose.services.keys() {
                if let Some(first) = owner.insert(service, stack) {
                    return Err(file.error(
                        format!("nodes.{}: stacks `{first}` and `{stack}` both define the service `{service}`", node.name),
                        Some("rename one of the services".into()),
                    ));
                }
            }
        }
    }

    Ok(Project { inventory, stacks })
}

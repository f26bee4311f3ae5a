//! Stage 1 of the flow: the operator's files (inventory, stacks, compose
//! files) read and checked into a `Project`. No network, no side effects.

// A `ConfigError` carries the file's text for its snippet; it ends the
// command, once, so its size on the error path does not matter.
#![allow(clippy::result_large_err)]

mod compose_file;
mod config_error;
mod cross_checks;
mod inventory_file;
mod model;
pub mod names;
mod references;
pub(crate) mod stack_file;
mod toml_error;
mod values;
mod yaml_locate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use config_error::{line_column, ConfigError, SourceFile};
pub use model::*;

/// The inventory to use: `-i PATH`, else `$HOMECTL_INVENTORY` (clap fills
/// both into one option), else `inventory/homelab.toml`.
pub fn inventory_path(option: Option<&Path>) -> PathBuf {
    option.map_or_else(
        || PathBuf::from("inventory/homelab.toml"),
        Path::to_path_buf,
    )
}

/// Reads the inventory and every stack its nodes use, and cross-checks them.
pub fn load(path: &Path) -> Result<Project, ConfigError> {
    if !path.exists() {
        return Err(ConfigError::whole_file(
            &path.display().to_string(),
            "no inventory here".to_string(),
            Some(
                "make one with `homectl init` (an inventory and stacks to edit), or name yours with \
                 `-i PATH` or HOMECTL_INVENTORY (the default is inventory/homelab.toml in the current folder)"
                    .to_string(),
            ),
        ));
    }
    let file = SourceFile::read(path)?;
    let (inventory, spans) = inventory_file::parse_inventory(&file)?;

    let mut stacks = BTreeMap::new();
    for (node, stack, span) in &spans.stacks {
        if stacks.contains_key(stack) {
            continue;
        }
        let dir = inventory.stacks_dir.join(stack);
        let missing: Vec<&str> = ["stack.toml", "compose.yml"]
            .into_iter()
            .filter(|f| !dir.join(f).is_file())
            .collect();
        if !missing.is_empty() {
            let what = if missing.len() == 2 {
                format!("{} does not exist", dir.display())
            } else {
                format!("{} has no {}", dir.display(), missing[0])
            };
            return Err(file.error_at(
                span.clone(),
                format!("nodes.{node}.stacks: stack `{stack}` not found: {what}"),
                Some(format!("a stack is a folder with stack.toml and compose.yml in {}; fix the name or create it", inventory.stacks_dir.display())),
            ));
        }
        let loaded = stack_file::load_stack(stack, &dir, inventory.secrets_exec.is_some())?;
        stacks.insert(stack.clone(), loaded);
    }
    cross_checks::check(&file, &inventory, &spans, &stacks)?;
    Ok(Project { inventory, stacks })
}

//! Stage 1 of the flow: the operator's files (inventory, stacks, compose
//! files) read and checked into a `Project`. No network, no side effects.

// A `ConfigError` carries the file's text for its snippet; it ends the
// command, once, so its size on the error path does not matter.
#![allow(clippy::result_large_err)]

mod compose_file;
mod config_error;
mod config_errors;
mod cross_checks;
#[cfg(test)]
mod diagnostic_secrets_tests;
mod dotenv;
mod excerpt;
mod file_references;
mod git_untracked;
pub mod image_ref;
mod image_tags;
mod interpolation;
mod inventory_file;
mod missing_bind_files;
mod model;
pub mod names;
mod node_conflicts;
mod project_names;
mod published_ports;
mod references;
mod secret_looking_env;
mod secret_names;
mod service_values;
pub(crate) mod stack_file;
pub mod stack_folder;
pub mod swarm_stack;
mod toml_error;
mod toml_redaction;
mod unset_variables;
mod values;
mod yaml_locate;
mod yaml_nesting;
mod yaml_redaction;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use config_error::{line_column, ConfigError, SourceFile};
pub use config_errors::ConfigErrors;
pub use model::*;

/// The inventory to use: `-i PATH`, else `$HOMECTL_INVENTORY` (clap fills
/// both into one option), else `inventory/homelab.toml`.
pub fn inventory_path(option: Option<&Path>) -> PathBuf {
    option.map_or_else(
        || PathBuf::from("inventory/homelab.toml"),
        Path::to_path_buf,
    )
}

/// The variables of a stack folder's `.env`, which Compose reads for
/// interpolation on the node (the folder travels with it), in file order.
pub fn dotenv_values(dir: &Path) -> Vec<(String, String)> {
    dotenv::DotEnv::read(dir)
        .map(|d| d.variables.into_iter().map(|(n, v, _)| (n, v)).collect())
        .unwrap_or_default()
}

/// Reads the inventory and every stack its nodes use, and cross-checks
/// them. Every error found is reported, not only the first: an error in one
/// file does not stop the others from being read and checked (a stack that
/// fails is left out of the checks across files, so that one mistake is not
/// reported twice). Warnings come with the project or with the errors.
pub fn load(path: &Path) -> Result<Project, ConfigErrors> {
    check(path).map(|(project, _warnings)| project)
}

/// `load`, with the warnings found beside the project (`homectl check`
/// prints them; on failure they are in `ConfigErrors::warnings`).
pub fn check(path: &Path) -> Result<(Project, Vec<ConfigError>), ConfigErrors> {
    if !path.exists() {
        return Err(ConfigErrors::one(ConfigError::whole_file(
            &path.display().to_string(),
            "no inventory here".to_string(),
            Some(
                "make one with `homectl init` (an inventory and stacks to edit), or name yours with \
                 `-i PATH` or HOMECTL_INVENTORY (the default is inventory/homelab.toml in the current folder)"
                    .to_string(),
            ),
        )));
    }
    let file = SourceFile::read(path)?;
    let mut errors = Vec::new();
    let mut warnings: Vec<ConfigError> = Vec::new();
    let Some((inventory, spans)) = inventory_file::parse_inventory(&file, &mut errors) else {
        return Err(ConfigErrors::new(errors, warnings).expect("an error"));
    };

    let mut stacks = BTreeMap::new();
    let mut tried = std::collections::BTreeSet::new();
    for (node, stack, span) in &spans.stacks {
        if !tried.insert(stack.clone()) {
            continue;
        }
        let dir = inventory.stacks_dir.join(stack);
        let what = if !dir.is_dir() {
            Some(format!("{} does not exist", dir.display()))
        } else if !dir.join("stack.toml").is_file() {
            Some(format!("{} has no stack.toml", dir.display()))
        } else {
            stack_folder::compose_file_name(&dir)
                .err()
                .map(|e| format!("{}: {e}", dir.display()))
        };
        if let Some(what) = what {
            errors.push(file.error_at(
                span.clone(),
                format!("nodes.{node}.stacks: stack `{stack}` not found: {what}"),
                Some(format!("a stack is a folder with stack.toml and one compose file (compose.yml, compose.yaml, docker-compose.yml or docker-compose.yaml) in {}; fix the name or create it", inventory.stacks_dir.display())),
            ));
            continue;
        }
        if let Some(loaded) =
            stack_file::load_stack(stack, &dir, inventory.secrets_exec.is_some(), &mut errors)
        {
            stacks.insert(stack.clone(), loaded);
        }
    }
    cross_checks::check(&file, &inventory, &spans, &stacks, &mut errors);
    unset_variables::check(&inventory, &stacks, &mut errors);
    file_references::check(&inventory, &stacks, &mut errors);
    node_conflicts::check(&file, &inventory, &spans, &stacks, &mut errors);
    image_tags::check(&stacks, &mut errors, &mut warnings);
    project_names::check(&inventory, &stacks, &mut warnings);
    secret_looking_env::check(&file, &inventory, &spans, &stacks, &mut warnings);
    missing_bind_files::check(&inventory, &stacks, &mut warnings);
    git_untracked::check(&stacks, &mut warnings);
    if errors.is_empty() {
        Ok((Project { inventory, stacks }, warnings))
    } else {
        Err(ConfigErrors::new(errors, warnings).expect("errors"))
    }
}

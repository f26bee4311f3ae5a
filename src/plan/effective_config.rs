//! What a deploy would use for each selected node and stack, as
//! `homectl config` shows it: the project name, the merged environment with
//! the source of each value, secrets by reference (never a value), scale,
//! health, hooks and the files that travel. Pure: read from the project.

use serde::Serialize;

use super::environment::{merged_env_with_dotenv, Variable};
use super::selection::Selection;
use crate::inventory::Project;

#[derive(Debug, Serialize)]
pub struct NodeConfig {
    pub node: String,
    pub host: String,
    pub groups: Vec<String>,
    pub stacks: Vec<StackConfig>,
}

#[derive(Debug, Serialize)]
pub struct StackConfig {
    pub stack: String,
    pub project: String,
    /// The node's inventory `scale`, else 1; a deploy without `--scale`
    /// keeps the scale the node runs (its history), which only a node knows.
    pub scale: u32,
    pub max_scale: u32,
    pub images: Vec<String>,
    pub env: Vec<Variable>,
    pub secrets: Vec<SecretName>,
    pub health: HealthConfig,
    pub hooks: Vec<HookConfig>,
    /// Paths relative to the stack's folder.
    pub files: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SecretName {
    pub name: String,
    pub reference: String,
}

#[derive(Debug, Serialize)]
pub struct HealthConfig {
    pub services: Vec<String>,
    pub url: Option<String>,
    pub timeout_secs: u64,
}

#[derive(Debug, Serialize)]
pub struct HookConfig {
    pub when: &'static str,
    pub service: String,
    pub command: Vec<String>,
}

/// The configuration of every selected node and stack, at `tag`.
/// `dotenv`: each stack's `.env` variables, read by the caller.
pub fn effective_config(
    project: &Project,
    selection: &Selection,
    tag: &str,
    dotenv: &std::collections::BTreeMap<String, Vec<(String, String)>>,
) -> Vec<NodeConfig> {
    let inventory = &project.inventory;
    selection
        .nodes
        .iter()
        .map(|picked| {
            let node = &inventory.nodes[&picked.node];
            NodeConfig {
                node: node.name.clone(),
                host: node.host.clone(),
                groups: node.groups.clone(),
                stacks: picked
                    .stacks
                    .iter()
                    .map(|s| {
                        let stack = &project.stacks[&s.stack];
                        StackConfig {
                            stack: stack.name.clone(),
                            project: inventory.project_name(&stack.name),
                            scale: node.scale.unwrap_or(1).min(stack.max_scale),
                            max_scale: stack.max_scale,
                            images: stack.images.clone(),
                            env: merged_env_with_dotenv(
                                inventory,
                                node,
                                stack,
                                tag,
                                dotenv.get(&stack.name).map_or(&[][..], Vec::as_slice),
                            ),
                            secrets: stack
                                .secrets
                                .iter()
                                .map(|(name, reference)| SecretName {
                                    name: name.clone(),
                                    reference: reference.to_string(),
                                })
                                .collect(),
                            health: HealthConfig {
                                services: stack.health.services.clone(),
                                url: stack.health.url.clone(),
                                timeout_secs: stack.health.timeout.as_secs(),
                            },
                            hooks: stack
                                .before_up
                                .iter()
                                .map(|h| HookConfig {
                                    when: "before_up",
                                    service: h.service.clone(),
                                    command: h.command.clone(),
                                })
                                .collect(),
                            files: stack.folder.files.iter().map(|f| f.path.clone()).collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

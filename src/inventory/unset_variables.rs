//! Every variable the services of a node's stacks read without a default
//! must be set for that node (docs/stacks.md, "Variables"): by homectl
//! (`REGISTRY`, `IMAGE_TAG`, `HOMECTL_NODE`), the stack's `[env]` or
//! `[secrets]`, the node's `env`, or the stack folder's `.env`. Otherwise
//! Compose would start the container with a blank value.

use std::collections::{BTreeMap, BTreeSet};

use super::config_error::ConfigError;
use super::dotenv::DotEnv;
use super::interpolation::{variables, Rule};
use super::model::{Inventory, Stack};
use super::service_values::service_values;
use super::values::RESERVED_ENV;
use super::yaml_locate::locate;

pub(super) fn check(
    inventory: &Inventory,
    stacks: &BTreeMap<String, Stack>,
    errors: &mut Vec<ConfigError>,
) {
    for (name, stack) in stacks {
        let nodes: Vec<_> = inventory
            .nodes
            .values()
            .filter(|n| n.stacks.contains(name))
            .collect();
        let dotenv = DotEnv::read(&stack.dir);
        let file = stack.compose_source();
        let mut reported = BTreeSet::new();
        for value in service_values(stack) {
            for var in variables(value.value) {
                if var.nested || var.rule == Rule::Default || var.rule == Rule::Alternate {
                    continue;
                }
                // REGISTRY and IMAGE_TAG only for a stack that lists app images.
                let by_homectl = var.name == "HOMECTL_NODE"
                    || (!stack.images.is_empty() && RESERVED_ENV.contains(&var.name.as_str()));
                let set_for_stack = by_homectl
                    || stack.env.contains_key(&var.name)
                    || stack.secrets.contains_key(&var.name)
                    || dotenv.as_ref().is_some_and(|d| d.get(&var.name).is_some());
                if set_for_stack {
                    continue;
                }
                let unset_on: Vec<&str> = nodes
                    .iter()
                    .filter(|n| !n.env.contains_key(&var.name))
                    .map(|n| n.name.as_str())
                    .collect();
                if unset_on.is_empty() || !reported.insert(var.name.clone()) {
                    continue;
                }
                let form = &value.value[var.span.clone()];
                let path: Vec<&str> = value.path.iter().map(String::as_str).collect();
                let span = stack
                    .compose
                    .text
                    .find(form)
                    .map(|at| at..at + form.len())
                    .or_else(|| locate(&stack.compose.text, &path))
                    .unwrap_or(0..0);
                let on = if unset_on.len() == nodes.len() && nodes.len() > 1 {
                    format!("on any node ({})", unset_on.join(", "))
                } else {
                    format!("on {}", unset_on.join(", "))
                };
                let v = &var.name;
                let problem = match &var.rule {
                    Rule::Required(message) if !message.is_empty() => {
                        format!("`{v}` is not set {on}, and Compose stops with: {message}")
                    }
                    Rule::Required(_) => format!("`{v}` is not set {on}, and Compose stops"),
                    _ => format!("`{v}` is not set {on}: Compose would use a blank value"),
                };
                let nodes_env = unset_on
                    .iter()
                    .map(|n| format!("nodes.{n}.env"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                errors.push(file.error_at(
                    span,
                    format!("{}: {problem}", value.key()),
                    Some(format!(
                        "set {v} in [env] (or [secrets], for a secret) of {stack_toml}, in {nodes_env} of the inventory, or as {v}=... in {dotenv}; or give it a default: ${{{v}:-value}}",
                        v = var.name,
                        stack_toml = stack.dir.join("stack.toml").display(),
                        dotenv = stack.dir.join(".env").display(),
                    )),
                ));
            }
        }
    }
}

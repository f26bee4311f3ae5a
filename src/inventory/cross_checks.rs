//! Checks that need the inventory and its stacks together: a node's scale
//! against its stacks' max_scale, service names across the stacks of one
//! node, node env against stack secrets.

use std::collections::BTreeMap;

use super::config_error::{ConfigError, SourceFile};
use super::inventory_file::NodeSpans;
use super::model::{Inventory, Stack};

pub(super) fn check(
    file: &SourceFile,
    inventory: &Inventory,
    spans: &NodeSpans,
    stacks: &BTreeMap<String, Stack>,
    errors: &mut Vec<ConfigError>,
) {
    for (node, scale, span) in &spans.scales {
        for stack in &inventory.nodes[node].stacks {
            let Some(loaded) = stacks.get(stack) else {
                continue;
            };
            let max = loaded.max_scale;
            if *scale > max {
                errors.push(file.error_at(
                    span.clone(),
                    format!(
                        "nodes.{node}.scale: {scale} is above max_scale {max} of stack `{stack}`"
                    ),
                    Some(format!(
                        "use a scale within 1..{max}, or raise max_scale in {}",
                        loaded.dir.join("stack.toml").display()
                    )),
                ));
                break;
            }
        }
    }

    // The node's env wins over the stack's env (docs/stacks.md), but a secret
    // silently replaced by a plain value would be a surprise.
    for node in inventory.nodes.values() {
        for stack in &node.stacks {
            let Some(loaded) = stacks.get(stack) else {
                continue;
            };
            if let Some(name) = node.env.keys().find(|k| loaded.secrets.contains_key(*k)) {
                let span = spans
                    .env
                    .get(&(node.name.clone(), name.clone()))
                    .cloned()
                    .unwrap_or(0..0);
                errors.push(file.error_at(
                    span,
                    format!(
                        "nodes.{}.env.{name}: `{name}` is a secret of stack `{stack}`",
                        node.name
                    ),
                    Some(
                        "a variable is either a plain value or a secret: rename or remove it here"
                            .into(),
                    ),
                ));
            }
        }
    }
}

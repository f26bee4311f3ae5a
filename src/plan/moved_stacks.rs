//! A deploy that puts a stack on a node while the same stack still runs as
//! a homectl stray on another node warns, naming the command that removes
//! it (docs/operations.md, "Moving a stack to another node"). Pure.

use std::collections::BTreeSet;

use super::strays::Stray;
use crate::inventory::Inventory;

/// The stacks that can be strays on `node`: those the inventory assigns to
/// another node and not to this one.
pub fn stacks_elsewhere(inventory: &Inventory, node: &str) -> Vec<String> {
    let here: BTreeSet<&String> = inventory
        .nodes
        .get(node)
        .map(|n| n.stacks.iter().collect())
        .unwrap_or_default();
    let all: BTreeSet<&String> = inventory.nodes.values().flat_map(|n| &n.stacks).collect();
    all.difference(&here).map(|s| s.to_string()).collect()
}

/// The nodes outside the deploy to ask, each with the deployed stacks the
/// inventory does not assign to it.
pub fn nodes_to_ask(
    inventory: &Inventory,
    stacks: &BTreeSet<String>,
    selected: &BTreeSet<String>,
) -> Vec<(String, Vec<String>)> {
    inventory
        .nodes
        .values()
        .filter(|node| !selected.contains(&node.name))
        .filter_map(|node| {
            let elsewhere: Vec<String> = stacks
                .iter()
                .filter(|s| !node.stacks.contains(s))
                .cloned()
                .collect();
            (!elsewhere.is_empty()).then(|| (node.name.clone(), elsewhere))
        })
        .collect()
}

/// One warning per homectl stray whose stack the inventory now puts on
/// other nodes (only of `deployed` stacks, when given).
pub fn moved_stack_warnings(
    inventory: &Inventory,
    strays: &[Stray],
    deployed: Option<&BTreeSet<String>>,
) -> Vec<String> {
    strays
        .iter()
        .filter(|s| s.homectl)
        .filter_map(|stray| {
            let stack = stray.stack.as_deref()?;
            if deployed.is_some_and(|d| !d.contains(stack)) {
                return None;
            }
            let to: Vec<&str> = (inventory.nodes.values())
                .filter(|n| n.name != stray.node && n.stacks.iter().any(|s| s == stack))
                .map(|n| n.name.as_str())
                .collect();
            (!to.is_empty()).then(|| {
                format!(
                    "warning: stack {stack}, which the inventory puts on {}, still runs on {} \
                     as a stray ({} containers of {}); remove it with `homectl down {} stack:{stack} --yes`",
                    to.join(", "),
                    stray.node,
                    stray.containers,
                    stray.project,
                    stray.node
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Inventory {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml");
        crate::inventory::load(&path)
            .expect("the lab inventory loads")
            .inventory
    }

    fn stray(node: &str, stack: Option<&str>) -> Stray {
        Stray {
            node: node.into(),
            project: format!("ktrdr-{}", stack.unwrap_or("hand")),
            stack: stack.map(str::to_string),
            homectl: stack.is_some(),
            services: vec!["web".into()],
            containers: 2,
        }
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_homectl_stray_of_a_stack_now_elsewhere_warns_with_the_down_command() {
        let inv = lab();
        let found = vec![
            stray("node-a", Some("workers")),
            stray("node-a", None),
            // Removed from the inventory: not moved, no warning from a deploy.
            stray("node-c", Some("gone")),
        ];
        let warnings = moved_stack_warnings(&inv, &found, None);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("homectl down node-a stack:workers --yes")
                && warnings[0].contains("puts on node-b, node-c"),
            "{}",
            warnings[0]
        );
        // Outside the stacks deployed: none.
        assert!(moved_stack_warnings(&inv, &found, Some(&set(&["core"]))).is_empty());
        assert_eq!(
            moved_stack_warnings(&inv, &found, Some(&set(&["workers"]))),
            warnings
        );
    }

    #[test]
    fn only_nodes_outside_the_deploy_that_lack_a_stack_are_asked_about_it() {
        let inv = lab();
        assert_eq!(
            nodes_to_ask(&inv, &set(&["workers"]), &set(&["node-b"])),
            [("node-a".to_string(), vec!["workers".to_string()])]
        );
        assert!(nodes_to_ask(&inv, &set(&["workers"]), &set(&["node-a"])).is_empty());
        assert_eq!(stacks_elsewhere(&inv, "node-a"), ["workers"]);
        assert_eq!(stacks_elsewhere(&inv, "node-b"), ["core"]);
    }
}

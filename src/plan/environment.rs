//! The environment of a stack's compose process on a node, with where each
//! value comes from: homectl's own variables, then the stack's `[env]`,
//! then the node's `env`, which wins (docs/stacks.md, "What homectl sets").
//! The deploy plan and `homectl config` both take it from here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::{Inventory, Node, Stack};

/// Where a variable's value comes from, in the order they are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The stack folder's `.env`: Compose reads it, and every other
    /// source wins over it (homectl's values are in Compose's environment).
    #[serde(rename = ".env")]
    DotEnv,
    Homectl,
    Stack,
    Node,
}

impl Source {
    pub fn word(self) -> &'static str {
        match self {
            Source::DotEnv => ".env",
            Source::Homectl => "homectl",
            Source::Stack => "stack",
            Source::Node => "node",
        }
    }
}

/// One variable as the compose process sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variable {
    pub name: String,
    pub value: String,
    pub source: Source,
    /// The sources whose value this one replaced, earliest first.
    pub overrides: Vec<Source>,
}

/// The merged environment in the order it is merged: by source, then name.
pub fn merged_env(inventory: &Inventory, node: &Node, stack: &Stack, tag: &str) -> Vec<Variable> {
    merged(inventory, node, stack, tag, &[])
}

/// As `merged_env`, with the stack folder's `.env` first, as Compose
/// interpolates: what `homectl config` shows.
pub fn merged_env_with_dotenv(
    inventory: &Inventory,
    node: &Node,
    stack: &Stack,
    tag: &str,
    dotenv: &[(String, String)],
) -> Vec<Variable> {
    merged(inventory, node, stack, tag, dotenv)
}

fn merged(
    inventory: &Inventory,
    node: &Node,
    stack: &Stack,
    tag: &str,
    dotenv: &[(String, String)],
) -> Vec<Variable> {
    let dotenv: BTreeMap<String, String> = dotenv.iter().cloned().collect();
    // REGISTRY and IMAGE_TAG only for a stack that lists app images: a
    // third-party stack on its own tags keeps its `.env` or its defaults.
    let mut homectl = BTreeMap::from([("HOMECTL_NODE".to_string(), node.name.clone())]);
    if !stack.images.is_empty() {
        homectl.insert("REGISTRY".to_string(), inventory.registry.prefix());
        homectl.insert("IMAGE_TAG".to_string(), tag.to_string());
    }
    let mut merged: BTreeMap<String, Variable> = BTreeMap::new();
    for (source, values) in [
        (Source::DotEnv, &dotenv),
        (Source::Homectl, &homectl),
        (Source::Stack, &stack.env),
        (Source::Node, &node.env),
    ] {
        for (name, value) in values {
            let overrides = merged
                .get(name)
                .map(|earlier| {
                    let mut list = earlier.overrides.clone();
                    list.push(earlier.source);
                    list
                })
                .unwrap_or_default();
            merged.insert(
                name.clone(),
                Variable {
                    name: name.clone(),
                    value: value.clone(),
                    source,
                    overrides,
                },
            );
        }
    }
    let mut merged: Vec<Variable> = merged.into_values().collect();
    merged.sort_by(|a, b| (a.source, &a.name).cmp(&(b.source, &b.name)));
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> crate::inventory::Project {
        crate::inventory::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
        )
        .unwrap()
    }

    #[test]
    fn the_nodes_value_wins_and_names_what_it_replaced() {
        let mut project = lab();
        let stack = project.stacks["workers"].clone();
        let key = stack
            .env
            .keys()
            .next()
            .expect("the workers stack has env")
            .clone();
        let node = project.inventory.nodes.get_mut("node-b").unwrap();
        node.env.insert(key.clone(), "from the node".into());
        let node = node.clone();
        let env = merged_env(&project.inventory, &node, &stack, "abc1234");
        let var = env.iter().find(|v| v.name == key).unwrap();
        assert_eq!(var.value, "from the node");
        assert_eq!(var.source, Source::Node);
        assert_eq!(var.overrides, vec![Source::Stack]);
        let tag = env.iter().find(|v| v.name == "IMAGE_TAG").unwrap();
        assert_eq!(
            (tag.value.as_str(), tag.source),
            ("abc1234", Source::Homectl)
        );
    }

    #[test]
    fn the_dotenv_comes_first_and_everything_else_wins_over_it() {
        let project = lab();
        let stack = &project.stacks["workers"];
        let node = &project.inventory.nodes["node-b"];
        let key = stack.env.keys().next().unwrap().clone();
        let dotenv = vec![
            (key.clone(), "from .env".to_string()),
            ("ONLY_HERE".to_string(), "y".to_string()),
        ];
        let env = merged_env_with_dotenv(&project.inventory, node, stack, "t", &dotenv);
        let only = env.iter().find(|v| v.name == "ONLY_HERE").unwrap();
        assert_eq!((only.value.as_str(), only.source), ("y", Source::DotEnv));
        let replaced = env.iter().find(|v| v.name == key).unwrap();
        assert_eq!(replaced.source, Source::Stack);
        assert_eq!(replaced.overrides, vec![Source::DotEnv]);
        assert_eq!(env[0].source, Source::DotEnv, "merge order");
        assert!(merged_env(&project.inventory, node, stack, "t")
            .iter()
            .all(|v| v.source != Source::DotEnv));
    }

    #[test]
    fn a_stack_without_app_images_gets_no_registry_nor_image_tag() {
        let mut project = lab();
        let mut stack = project.stacks["workers"].clone();
        stack.images.clear();
        let node = project.inventory.nodes.get_mut("node-b").unwrap().clone();
        let names: Vec<String> = merged_env(&project.inventory, &node, &stack, "t")
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert!(names.contains(&"HOMECTL_NODE".to_string()));
        assert!(!names.contains(&"IMAGE_TAG".to_string()), "{names:?}");
        assert!(!names.contains(&"REGISTRY".to_string()), "{names:?}");
    }
}

//! What two services cannot share on one node (docs/inventory.md, "What
//! check verifies"): a published host port (at max_scale, every `scale-N`
//! profile active) and a `container_name`; and two nodes cannot share a
//! `host`.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::config_error::{ConfigError, SourceFile};
use super::dotenv::DotEnv;
use super::inventory_file::NodeSpans;
use super::model::{Inventory, Stack};
use super::published_ports::{published, Published};
use super::yaml_locate::{locate, locate_value};

pub(super) fn check(
    file: &SourceFile,
    inventory: &Inventory,
    spans: &NodeSpans,
    stacks: &BTreeMap<String, Stack>,
    errors: &mut Vec<ConfigError>,
) {
    let mut hosts: BTreeMap<&str, &str> = BTreeMap::new();
    for (node, span) in &spans.hosts {
        let host = inventory.nodes[node].host.as_str();
        match hosts.get(host) {
            Some(first) => errors.push(file.error_at(
                span.clone(),
                format!("nodes.{node}.host: `{host}` is also the host of node `{first}`"),
                Some(format!("two nodes on one host would deploy over each other: give `{node}` its own host, or merge the stacks of `{first}` and `{node}` into one node")),
            )),
            None => {
                hosts.insert(host, node);
            }
        }
    }

    for node in inventory.nodes.values() {
        // (port, stack, service) and (container_name, stack, service) seen so far.
        let mut ports: Vec<(Published, &str, &str)> = Vec::new();
        let mut names: BTreeMap<String, (&str, &str)> = BTreeMap::new();
        for stack_name in &node.stacks {
            let Some(stack) = stacks.get(stack_name) else {
                continue;
            };
            let mut env = stack.env.clone();
            if let Some(dotenv) = DotEnv::read(&stack.dir) {
                for (k, v, _) in dotenv.variables {
                    env.entry(k).or_insert(v);
                }
            }
            env.extend(node.env.clone());
            let interpolate = |s: &str| crate::inventory::image_ref::interpolate(s, &env);
            let compose = stack.compose_source();
            for service in stack.compose.services_at_scale(stack.max_scale) {
                let Some(definition) = stack
                    .compose
                    .document
                    .get("services")
                    .and_then(|s| s.get(service))
                else {
                    continue;
                };
                if let Some(Value::Sequence(entries)) = definition.get("ports") {
                    for entry in entries {
                        for port in published(entry, &interpolate) {
                            let other = ports
                                .iter()
                                .find(|(p, _, s)| *s != service && p.clashes(&port));
                            if let Some((_, other_stack, other_service)) = other {
                                let needle = match entry {
                                    Value::String(s) => s.clone(),
                                    _ => port.port.to_string(),
                                };
                                let span = locate_value(
                                    &stack.compose.text,
                                    &["services", service, "ports"],
                                    &needle,
                                )
                                .unwrap_or(0..0);
                                errors.push(compose.error_at(
                                    span,
                                    format!(
                                        "services.{service}.ports: host port {}/{} is also published by `{other_service}` of stack `{other_stack}` on node {}",
                                        port.port, port.protocol, node.name
                                    ),
                                    Some("two containers cannot bind one host port: publish another host port, or put the stacks on different nodes".into()),
                                ));
                                break;
                            }
                            ports.push((port, stack_name, service));
                        }
                    }
                }
                if let Some(Value::String(name)) = definition.get("container_name") {
                    if let Some((other_stack, other_service)) = names.get(name) {
                        let span = locate(
                            &stack.compose.text,
                            &["services", service, "container_name"],
                        )
                        .unwrap_or(0..0);
                        errors.push(compose.error_at(
                            span,
                            format!(
                                "services.{service}.container_name: `{name}` is also the container name of `{other_service}` of stack `{other_stack}` on node {}",
                                node.name
                            ),
                            Some("container names are unique on a Docker host: rename one, or remove container_name and let Compose name it".into()),
                        ));
                    } else {
                        names.insert(name.clone(), (stack_name, service));
                    }
                }
            }
        }
    }
}

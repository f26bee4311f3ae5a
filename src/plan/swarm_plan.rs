//! The deploy of a swarm stack (docs/swarm.md): which selected stacks go to
//! Swarm, the image of each service, and the compose file `docker stack
//! deploy` gets: every image pinned by digest, `update_config` defaults,
//! the replicas of `scale_services`. Pure: no I/O.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};

use super::selection::{SelectedStack, Selection};
use super::swarm_hooks::with_attachable_networks;
use super::swarm_state::SwarmService;
use crate::inventory::image_ref::interpolate;
use crate::inventory::{Hook, Project, Stack};

/// A swarm stack picked by a selection: deployed once, through a manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmTarget {
    pub stack: String,
    /// `None`: every service; `Some`: only these get the new images.
    pub services: Option<Vec<String>>,
    /// Every node the inventory lists the stack on (each is pre-pulled).
    pub nodes: Vec<String>,
}

/// Takes the swarm stacks out of a selection: what stays is deployed by
/// Compose node by node, the rest once per stack through Swarm.
pub fn split_swarm(project: &Project, selection: Selection) -> (Selection, Vec<SwarmTarget>) {
    let mut targets: Vec<SwarmTarget> = Vec::new();
    let mut rest = Selection { nodes: Vec::new() };
    for mut node in selection.nodes {
        let had_none = node.stacks.is_empty();
        let (swarm, compose): (Vec<SelectedStack>, Vec<SelectedStack>) = node
            .stacks
            .into_iter()
            .partition(|s| project.stacks[&s.stack].is_swarm());
        for s in swarm {
            match targets.iter_mut().find(|t| t.stack == s.stack) {
                Some(t) => t.services = merge_services(t.services.take(), s.services),
                None => targets.push(SwarmTarget {
                    nodes: nodes_of(project, &s.stack),
                    stack: s.stack,
                    services: s.services,
                }),
            }
        }
        // A node that had only swarm stacks is done with them; any other
        // stays as it was selected.
        if !compose.is_empty() || had_none {
            node.stacks = compose;
            rest.nodes.push(node);
        }
    }
    (rest, targets)
}

fn merge_services(a: Option<Vec<String>>, b: Option<Vec<String>>) -> Option<Vec<String>> {
    let (mut a, b) = (a?, b?);
    for s in b {
        if !a.contains(&s) {
            a.push(s);
        }
    }
    Some(a)
}

/// The nodes the inventory lists `stack` on, in inventory order.
pub fn nodes_of(project: &Project, stack: &str) -> Vec<String> {
    project
        .inventory
        .nodes
        .values()
        .filter(|n| n.stacks.iter().any(|s| s == stack))
        .map(|n| n.name.clone())
        .collect()
}

/// The image reference of each service (`${REGISTRY}`, `${IMAGE_TAG}`
/// and the deploy's other variables put in); an error names a service
/// whose image homectl cannot tell.
pub fn service_images(
    project: &Project,
    stack: &str,
    env: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (name, service) in &project.stacks[stack].compose.services {
        let image = interpolate(&service.image, env).ok_or_else(|| {
            format!(
                "services.{name}.image: `{}` uses a variable homectl does not set; a swarm stack's images are pinned by digest, so homectl must know each one",
                service.image
            )
        })?;
        out.insert(name.clone(), image);
    }
    Ok(out)
}

/// `repo@sha256:...` from a reference and the digest its pull gave.
pub fn pinned(reference: &str, digest: &str) -> String {
    format!("{}@{digest}", repository(reference))
}

/// The repository of a reference: without `:tag` or `@digest` (a
/// registry's `:port` stays).
pub fn repository(reference: &str) -> &str {
    if let Some((repo, _)) = reference.split_once('@') {
        return repo;
    }
    match reference.rfind(':') {
        Some(at) if !reference[at..].contains('/') => &reference[..at],
        _ => reference,
    }
}

/// The files of the stack's folder that top-level `configs:` entries read
/// (`file: ./PATH`): shipped to the manager beside the deployed file.
/// An error for a path that leaves the folder.
pub fn config_files(document: &Value) -> Result<Vec<String>, String> {
    let Some(Value::Mapping(configs)) = document.get("configs") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, config) in configs {
        let Some(file) = config.get("file").and_then(Value::as_str) else {
            continue;
        };
        if file.starts_with('/') {
            continue; // a file on the manager itself
        }
        let path = file.trim_start_matches("./");
        if path.is_empty() || path.split('/').any(|part| part == "..") {
            return Err(format!(
                "configs.{}.file: `{file}` is not a file inside the stack's folder",
                name.as_str().unwrap_or("?")
            ));
        }
        out.push(path.to_string());
    }
    Ok(out)
}

/// What a deploy of a swarm stack keeps and pulls, decided from the
/// stack's images and what the manager runs (docs/swarm.md, "A deploy"):
/// the one place `deploy` and `plan` decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmDecision {
    /// Services outside the selection that run: the image they run stays.
    pub kept: BTreeMap<String, String>,
    /// The references to pull (and pin by digest), sorted, once each.
    pub to_pull: Vec<String>,
}

/// `refs`: service → image reference; `running`: what the manager runs;
/// `selected`: the services a NAME narrowing picked (None: all).
pub fn decide(
    refs: &BTreeMap<String, String>,
    running: &BTreeMap<String, SwarmService>,
    selected: Option<&[String]>,
) -> SwarmDecision {
    let picked = |service: &str| selected.is_none_or(|s| s.iter().any(|x| x == service));
    let kept: BTreeMap<String, String> = refs
        .keys()
        .filter(|s| !picked(s))
        .filter_map(|s| running.get(s).map(|b| (s.clone(), b.image.clone())))
        .collect();
    let mut to_pull: Vec<String> = refs
        .iter()
        .filter(|(s, _)| !kept.contains_key(*s))
        .map(|(_, r)| r.clone())
        .collect();
    to_pull.sort();
    to_pull.dedup();
    SwarmDecision { kept, to_pull }
}

/// Each service's image (pinned: `pins` maps a pulled reference to its
/// `repo@digest`) and replicas in the deployed file. The replicas of
/// `scale_services`: `--scale`, else the replicas running; None (the
/// compose file's) for the other services.
pub fn services_to_deploy(
    stack: &Stack,
    refs: &BTreeMap<String, String>,
    decision: &SwarmDecision,
    pins: &BTreeMap<String, String>,
    running: &BTreeMap<String, SwarmService>,
    scale: Option<u32>,
) -> BTreeMap<String, ServiceDeploy> {
    refs.iter()
        .map(|(service, r)| {
            let image = decision
                .kept
                .get(service)
                .cloned()
                .unwrap_or_else(|| pins.get(r).cloned().unwrap_or_else(|| pinned(r, "")));
            let replicas = if stack.scale_services.contains(service) {
                scale.or_else(|| running.get(service).map(|b| b.replicas))
            } else {
                None
            };
            (service.clone(), ServiceDeploy { image, replicas })
        })
        .collect()
}

/// The replicas Swarm runs of a service deployed so: homectl's, else
/// the compose file's `deploy.replicas`, else 1.
pub fn replicas_of(document: &Value, service: &str, wanted: &ServiceDeploy) -> u32 {
    wanted.replicas.unwrap_or_else(|| {
        document
            .get("services")
            .and_then(|s| s.get(service))
            .and_then(|s| s.get("deploy"))
            .and_then(|d| d.get("replicas"))
            .and_then(Value::as_u64)
            .map_or(1, |n| n as u32)
    })
}

/// What goes into the deployed file, per service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploy {
    /// The image, pinned by digest.
    pub image: String,
    /// `deploy.replicas`, if homectl sets it.
    pub replicas: Option<u32>,
}

/// The compose file `docker stack deploy` reads: the stack's document
/// (merge keys applied) with each service's image pinned, its replicas
/// set, `update_config` defaults where the file sets none, and the
/// networks of the hooks' services attachable.
pub fn deploy_file(
    document: &Value,
    services: &BTreeMap<String, ServiceDeploy>,
    hooks: &[Hook],
) -> Result<String, String> {
    serde_yaml_ng::to_string(&deploy_document(document, services, hooks)?)
        .map_err(|e| format!("cannot write the deployed compose file: {e}"))
}

/// The document of [`deploy_file`], which a hook's file is cut from.
pub fn deploy_document(
    document: &Value,
    services: &BTreeMap<String, ServiceDeploy>,
    hooks: &[Hook],
) -> Result<Value, String> {
    let mut doc = document.clone();
    if let Value::Mapping(top) = &mut doc {
        top.remove("version");
    }
    let Some(Value::Mapping(list)) = doc.get_mut("services") else {
        return Err("the compose file has no services".into());
    };
    for (name, service) in list.iter_mut() {
        let (Some(name), Value::Mapping(service)) = (name.as_str(), service) else {
            continue;
        };
        let Some(wanted) = services.get(name) else {
            return Err(format!("no image for service {name}"));
        };
        service.insert("image".into(), wanted.image.clone().into());
        let host_port = publishes_host_port(service);
        let deploy = mapping_at(service, "deploy");
        if let Some(n) = wanted.replicas {
            deploy.insert("replicas".into(), Value::from(n));
        }
        if !deploy.contains_key("update_config") {
            let mut update = Mapping::new();
            update.insert("parallelism".into(), Value::from(1));
            update.insert("failure_action".into(), "rollback".into());
            // Two tasks of one service cannot hold one host port at once.
            let order = if host_port {
                "stop-first"
            } else {
                "start-first"
            };
            update.insert("order".into(), order.into());
            update.insert("monitor".into(), "10s".into());
            deploy.insert("update_config".into(), Value::Mapping(update));
        }
    }
    with_attachable_networks(&mut doc, hooks);
    Ok(doc)
}

fn mapping_at<'a>(map: &'a mut Mapping, key: &str) -> &'a mut Mapping {
    if !matches!(map.get(key), Some(Value::Mapping(_))) {
        map.insert(key.into(), Value::Mapping(Mapping::new()));
    }
    match map.get_mut(key) {
        Some(Value::Mapping(m)) => m,
        _ => unreachable!("inserted above"),
    }
}

/// A port in long syntax with `mode: host`.
fn publishes_host_port(service: &Mapping) -> bool {
    let Some(Value::Sequence(ports)) = service.get("ports") else {
        return false;
    };
    ports
        .iter()
        .any(|p| p.get("mode").and_then(Value::as_str) == Some("host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_of_any_swarm_node_deploys_the_stack_once_with_all_its_nodes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project =
            crate::inventory::load(&root.join("inventory/lab-swarm.toml")).expect("loads");
        let all = crate::plan::select(&project, Some("all"), &[]).unwrap();
        let (rest, swarm) = split_swarm(&project, all);
        assert_eq!(swarm.len(), 1);
        assert_eq!(swarm[0].stack, "swarm-workers");
        assert_eq!(swarm[0].nodes, ["node-a", "node-b", "node-c"]);
        assert_eq!(swarm[0].services, None);
        // The compose stack stays, on its node only.
        assert_eq!(rest.nodes.len(), 1);
        assert_eq!(rest.nodes[0].node, "node-a");
        assert_eq!(rest.nodes[0].stacks[0].stack, "core");
        // One worker node and a service: that service, on every node of the Swarm.
        let names = ["node-c".to_string(), "backtest-worker".to_string()];
        let one = crate::plan::select(&project, Some("workers"), &names).unwrap();
        let (rest, swarm) = split_swarm(&project, one);
        assert!(rest.nodes.is_empty());
        assert_eq!(swarm[0].nodes, ["node-a", "node-b", "node-c"]);
        assert_eq!(swarm[0].services, Some(vec!["backtest-worker".to_string()]));
    }

    #[test]
    fn config_files_are_the_relative_ones_inside_the_folder() {
        let doc: Value = serde_yaml_ng::from_str(
            "configs:\n  a: {file: ./conf/a.ini}\n  b: {file: /etc/b}\n  c: {external: true}\n  d: {file: d.txt}\n",
        )
        .unwrap();
        assert_eq!(config_files(&doc).unwrap(), ["conf/a.ini", "d.txt"]);
        let bad: Value = serde_yaml_ng::from_str("configs:\n  x: {file: ../secret}\n").unwrap();
        assert!(config_files(&bad).unwrap_err().contains("configs.x.file"));
    }

    #[test]
    fn repositories_keep_the_registry_port() {
        assert_eq!(
            repository("10.77.0.1:5000/lab/app:abc"),
            "10.77.0.1:5000/lab/app"
        );
        assert_eq!(
            repository("10.77.0.1:5000/lab/app"),
            "10.77.0.1:5000/lab/app"
        );
        assert_eq!(repository("ghcr.io/a/b@sha256:00"), "ghcr.io/a/b");
        assert_eq!(pinned("r:5000/a:t", "sha256:ff"), "r:5000/a@sha256:ff");
    }

    #[test]
    fn the_deployed_file_pins_images_sets_replicas_and_update_defaults() {
        let doc: Value = serde_yaml_ng::from_str(
            "version: '3.8'\nservices:\n  w:\n    image: ${REGISTRY}/w:${IMAGE_TAG}\n    environment:\n      KEY: ${KEY}\n  own:\n    image: x\n    deploy:\n      replicas: 2\n      update_config: {order: stop-first}\n  hp:\n    image: y\n    ports:\n      - {target: 80, published: 8080, mode: host}\n",
        )
        .unwrap();
        let services = BTreeMap::from([
            (
                "w".to_string(),
                ServiceDeploy {
                    image: "r/w@sha256:1".into(),
                    replicas: Some(5),
                },
            ),
            (
                "own".to_string(),
                ServiceDeploy {
                    image: "r/x@sha256:2".into(),
                    replicas: None,
                },
            ),
            (
                "hp".to_string(),
                ServiceDeploy {
                    image: "r/y@sha256:3".into(),
                    replicas: None,
                },
            ),
        ]);
        let text = deploy_file(&doc, &services, &[]).unwrap();
        insta::assert_snapshot!(text);
        assert!(deploy_file(&doc, &BTreeMap::new(), &[]).is_err());
    }
}

//! The `before_up` hooks of a swarm stack (docs/swarm.md, "Hooks"): each a
//! one-off container of its service on the manager, started by Compose
//! from a file of that service alone, on the stack's own overlay networks.
//! Pure: from the deployed document (images pinned) to the hook's file and
//! the networks it joins.

use serde_yaml_ng::{Mapping, Value};

use crate::inventory::swarm_stack::network_keys;
use crate::inventory::Hook;

/// The label `docker stack deploy` finds a stack's networks by: a network
/// homectl creates for a first deploy's hook carries it, so the stack
/// deploy takes it as its own (and `docker stack rm` removes it).
const STACK_LABEL: &str = "com.docker.stack.namespace";

/// A network a hook's container joins, by its name on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookNetwork {
    pub name: String,
    /// `docker network create` arguments (before the name) if homectl
    /// creates it when missing; None for an external network, which must
    /// exist.
    pub create: Option<Vec<String>>,
}

/// One hook, ready for the manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmHook {
    pub service: String,
    pub command: Vec<String>,
    /// The compose file Compose starts the one-off container from.
    pub file: String,
    pub networks: Vec<HookNetwork>,
}

/// The hooks a deploy runs: those of the services it deploys, in order.
pub fn swarm_hooks(
    hooks: &[Hook],
    deployed: &Value,
    project: &str,
) -> Result<Vec<SwarmHook>, String> {
    hooks
        .iter()
        .filter(|h| service_of(deployed, &h.service).is_some())
        .map(|h| {
            Ok(SwarmHook {
                service: h.service.clone(),
                command: h.command.clone(),
                file: hook_file(deployed, project, &h.service)?,
                networks: hook_networks(deployed, project, &h.service),
            })
        })
        .collect()
}

fn service_of<'a>(document: &'a Value, service: &str) -> Option<&'a Mapping> {
    document.get("services")?.get(service)?.as_mapping()
}

fn top_level<'a>(document: &'a Value, section: &str, key: &str) -> Option<&'a Mapping> {
    document.get(section)?.get(key)?.as_mapping()
}

fn is_external(definition: Option<&Mapping>) -> bool {
    definition
        .and_then(|d| d.get("external"))
        .is_some_and(|e| e.as_bool() == Some(true) || e.is_mapping())
}

/// A network's name on the engine, as `docker stack deploy` names it:
/// its `name:` (or an external's legacy `external.name`), else
/// `PROJECT_KEY`.
fn network_name(document: &Value, project: &str, key: &str) -> String {
    let definition = top_level(document, "networks", key);
    let named = definition
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str);
    let legacy = definition
        .and_then(|d| d.get("external"))
        .and_then(|e| e.get("name"))
        .and_then(Value::as_str);
    match (named, legacy) {
        (Some(name), _) | (None, Some(name)) => name.to_string(),
        _ if is_external(definition) => key.to_string(),
        _ => format!("{project}_{key}"),
    }
}

/// The networks the hook of `service` joins, with what creates a missing
/// one: the stack's overlay network as the stack deploy would make it
/// (driver, options, labels, internal), attachable and labelled as the
/// stack's.
pub fn hook_networks(document: &Value, project: &str, service: &str) -> Vec<HookNetwork> {
    let Some(definition) = service_of(document, service) else {
        return Vec::new();
    };
    network_keys(definition)
        .iter()
        .map(|key| {
            let network = top_level(document, "networks", key);
            let name = network_name(document, project, key);
            if is_external(network) {
                return HookNetwork { name, create: None };
            }
            let get = |k: &str| network.and_then(|n| n.get(k));
            let driver = get("driver").and_then(Value::as_str).unwrap_or("overlay");
            let mut args = vec![
                "--driver".to_string(),
                driver.to_string(),
                "--attachable".to_string(),
                "--label".to_string(),
                format!("{STACK_LABEL}={project}"),
            ];
            if get("internal").and_then(Value::as_bool) == Some(true) {
                args.push("--internal".to_string());
            }
            for (flag, section) in [("--opt", "driver_opts"), ("--label", "labels")] {
                for pair in pairs(get(section)) {
                    args.push(flag.to_string());
                    args.push(pair);
                }
            }
            HookNetwork {
                name,
                create: Some(args),
            }
        })
        .collect()
}

/// `k=v` items of a mapping or a list of `k=v` strings.
fn pairs(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Mapping(map)) => map
            .iter()
            .filter_map(|(k, v)| Some(format!("{}={}", k.as_str()?, scalar(v))))
            .collect(),
        Some(Value::Sequence(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The compose file of the hook's one-off container: the deployed
/// service (image pinned) without what only Swarm reads (`deploy`, a
/// `hostname` with a `{{.Task...}}` template, which only tasks expand),
/// its networks as external ones by their engine names, and the
/// top-level volumes, configs and secrets it uses. Run as project
/// PROJECT, its named volumes are the stack's volumes on the manager.
pub fn hook_file(document: &Value, project: &str, service: &str) -> Result<String, String> {
    let definition = service_of(document, service)
        .ok_or_else(|| format!("hook: `{service}` is not a service of the deployed file"))?;
    let mut one = definition.clone();
    one.remove("deploy");
    if one
        .get("hostname")
        .and_then(Value::as_str)
        .is_some_and(|h| h.contains("{{"))
    {
        one.remove("hostname");
    }
    let mut networks = Mapping::new();
    for key in network_keys(definition) {
        let mut external = Mapping::new();
        external.insert("external".into(), true.into());
        external.insert("name".into(), network_name(document, project, &key).into());
        networks.insert(key.into(), Value::Mapping(external));
    }
    let mut top = Mapping::new();
    let mut services = Mapping::new();
    services.insert(service.into(), Value::Mapping(one));
    top.insert("services".into(), Value::Mapping(services));
    top.insert("networks".into(), Value::Mapping(networks));
    for (section, used) in [
        ("volumes", named_volumes(definition)),
        ("configs", sources(definition, "configs")),
        ("secrets", sources(definition, "secrets")),
    ] {
        let mut kept = Mapping::new();
        for name in used {
            if let Some(d) = document.get(section).and_then(|s| s.get(name.as_str())) {
                kept.insert(name.into(), d.clone());
            }
        }
        if !kept.is_empty() {
            top.insert(section.into(), Value::Mapping(kept));
        }
    }
    serde_yaml_ng::to_string(&Value::Mapping(top))
        .map_err(|e| format!("cannot write the hook's compose file: {e}"))
}

/// The named volumes a service mounts (not bind mounts, not tmpfs).
fn named_volumes(service: &Mapping) -> Vec<String> {
    let Some(Value::Sequence(list)) = service.get("volumes") else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| match v {
            Value::String(short) => {
                let source = short.split(':').next()?;
                let path = source.starts_with(['/', '.', '~']) || !short.contains(':');
                (!path).then(|| source.to_string())
            }
            Value::Mapping(long) => {
                let volume = long.get("type").and_then(Value::as_str) == Some("volume");
                volume
                    .then(|| long.get("source").and_then(Value::as_str))
                    .flatten()
                    .map(str::to_string)
            }
            _ => None,
        })
        .collect()
}

/// The top-level names a service's `configs:` or `secrets:` use (short
/// syntax: the name; long: its `source`).
fn sources(service: &Mapping, key: &str) -> Vec<String> {
    let Some(Value::Sequence(list)) = service.get(key) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| match v {
            Value::String(name) => Some(name.clone()),
            Value::Mapping(long) => long
                .get("source")
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        })
        .collect()
}

/// The deployed document with `attachable: true` on every network of the
/// stack that a hook's service joins (unless the file says otherwise):
/// networks the stack deploy creates later (after a `down`) stay open to
/// the hooks' containers.
pub fn with_attachable_networks(document: &mut Value, hooks: &[Hook]) {
    let mut keys: Vec<String> = hooks
        .iter()
        .filter_map(|h| service_of(document, &h.service))
        .flat_map(network_keys)
        .collect();
    keys.sort();
    keys.dedup();
    let Value::Mapping(top) = document else {
        return;
    };
    if keys.is_empty() {
        return;
    }
    if !matches!(top.get("networks"), Some(Value::Mapping(_))) {
        top.insert("networks".into(), Value::Mapping(Mapping::new()));
    }
    let Some(Value::Mapping(networks)) = top.get_mut("networks") else {
        return;
    };
    for key in keys {
        let entry = networks
            .entry(key.into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if entry.is_null() {
            *entry = Value::Mapping(Mapping::new());
        }
        if let Value::Mapping(definition) = entry {
            if !is_external(Some(definition)) && !definition.contains_key("attachable") {
                definition.insert("attachable".into(), true.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(yaml: &str) -> Value {
        serde_yaml_ng::from_str(yaml).expect("yaml")
    }

    fn hook(service: &str) -> Hook {
        Hook {
            service: service.into(),
            command: vec!["migrate".into()],
        }
    }

    const STACK: &str = "services:\n  w:\n    image: r/w@sha256:1\n    hostname: w-{{.Task.Slot}}\n    environment: {KEY: '${KEY}'}\n    deploy: {replicas: 3}\n    volumes: [data:/data, /srv:/srv]\n    configs: [{source: conf, target: /etc/w.conf}]\n  x:\n    image: r/x@sha256:2\n    networks: [back, shared]\nnetworks:\n  back: {driver_opts: {encrypted: 'true'}, labels: [team=ops]}\n  shared: {external: true, name: lab-shared}\nvolumes:\n  data: {}\n  other: {}\nconfigs:\n  conf: {file: ./w.conf}\n";

    #[test]
    fn the_hook_file_is_the_service_alone_on_the_stack_networks_without_swarm_keys() {
        let file = hook_file(&doc(STACK), "p", "w").expect("file");
        let back = doc(&file);
        let w = &back["services"]["w"];
        assert_eq!(w["image"], "r/w@sha256:1");
        assert!(
            w.get("deploy").is_none() && w.get("hostname").is_none(),
            "{file}"
        );
        assert_eq!(
            w["environment"]["KEY"], "${KEY}",
            "interpolated on the node"
        );
        assert_eq!(back["networks"]["default"]["external"], true);
        assert_eq!(back["networks"]["default"]["name"], "p_default");
        assert!(back["services"].get("x").is_none());
        assert!(back["volumes"].get("data").is_some() && back["volumes"].get("other").is_none());
        assert_eq!(back["configs"]["conf"]["file"], "./w.conf");

        let x = doc(&hook_file(&doc(STACK), "p", "x").unwrap());
        assert_eq!(x["networks"]["back"]["name"], "p_back");
        assert_eq!(x["networks"]["shared"]["name"], "lab-shared");
        assert!(x.get("volumes").is_none());
    }

    #[test]
    fn a_missing_stack_network_is_created_as_the_stack_deploy_would_an_external_one_never() {
        let nets = hook_networks(&doc(STACK), "p", "x");
        assert_eq!(
            nets,
            vec![
                HookNetwork {
                    name: "p_back".into(),
                    create: Some(
                        [
                            "--driver",
                            "overlay",
                            "--attachable",
                            "--label",
                            "com.docker.stack.namespace=p",
                            "--opt",
                            "encrypted=true",
                            "--label",
                            "team=ops"
                        ]
                        .map(String::from)
                        .to_vec()
                    ),
                },
                HookNetwork {
                    name: "lab-shared".into(),
                    create: None
                },
            ]
        );
        assert_eq!(hook_networks(&doc(STACK), "p", "w")[0].name, "p_default");
    }

    #[test]
    fn only_the_hooks_of_deployed_services_run_and_their_networks_become_attachable() {
        let mut deployed = doc(STACK);
        let hooks = swarm_hooks(&[hook("w"), hook("gone")], &deployed, "p").unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].service, "w");
        with_attachable_networks(&mut deployed, &[hook("w"), hook("x")]);
        let networks = &deployed["networks"];
        assert_eq!(networks["default"]["attachable"], true);
        assert_eq!(networks["back"]["attachable"], true);
        assert!(networks["shared"].get("attachable").is_none(), "external");
        assert_eq!(networks["back"]["driver_opts"]["encrypted"], "true");

        let mut own =
            doc("services:\n  w: {image: i}\nnetworks:\n  default: {attachable: false}\n");
        with_attachable_networks(&mut own, &[hook("w")]);
        assert_eq!(
            own["networks"]["default"]["attachable"], false,
            "the file's own"
        );
        let mut none = doc(STACK);
        with_attachable_networks(&mut none, &[]);
        assert!(none["networks"].get("default").is_none());
    }
}

//! The checks of a stack with `engine = "swarm"` (docs/swarm.md, "What
//! Swarm does not support"): its compose file must be what `docker stack
//! deploy` accepts and honours, so a key it would ignore or reject is an
//! error at its line, with the Swarm equivalent where there is one.

use std::ops::Range;

use serde_yaml_ng::Value;
use toml::Spanned;

use super::config_error::{ConfigError, SourceFile};
use super::model::{Compose, Engine};
use super::yaml_locate::{locate, locate_value};

/// The highest `max_scale` of a swarm stack (replicas spread over nodes).
const SWARM_MAX_SCALE: i64 = 1000;
/// The highest `max_scale` of a compose stack (one profile per replica).
const COMPOSE_MAX_SCALE: i64 = 64;

/// The keys of stack.toml that concern the engine, with their spans.
pub struct SwarmKeys<'a> {
    pub engine: Option<&'a Spanned<String>>,
    pub scale_services: &'a [Spanned<String>],
    /// `rolling = true`, if set.
    pub rolling: Option<Range<usize>>,
    /// The services of the `[[hooks.before_up]]`.
    pub hook_services: Vec<String>,
    pub health_url: Option<Range<usize>>,
}

/// The engine of a stack and, for Swarm, the services `--scale` sets.
pub struct SwarmSettings {
    pub engine: Engine,
    pub scale_services: Vec<String>,
}

impl SwarmSettings {
    pub fn max_scale_limit(&self) -> i64 {
        match self.engine {
            Engine::Compose => COMPOSE_MAX_SCALE,
            Engine::Swarm => SWARM_MAX_SCALE,
        }
    }

    /// Reads `engine` and `scale_services`, refuses what a swarm stack
    /// cannot have (in stack.toml and in the compose file) and what only a
    /// swarm stack can.
    pub fn check(
        stack_file: &SourceFile,
        compose_file: &SourceFile,
        compose: &Compose,
        keys: SwarmKeys,
        errors: &mut Vec<ConfigError>,
    ) -> SwarmSettings {
        let engine = match keys.engine {
            None => Engine::Compose,
            Some(e) if e.get_ref() == "compose" => Engine::Compose,
            Some(e) if e.get_ref() == "swarm" => Engine::Swarm,
            Some(e) => {
                errors.push(stack_file.error_at(
                    e.span(),
                    format!("engine: `{}` is not an engine", e.get_ref().escape_debug()),
                    Some("\"compose\" (the default) or \"swarm\"".into()),
                ));
                Engine::Compose
            }
        };
        let mut scale_services = Vec::new();
        for s in keys.scale_services {
            if engine != Engine::Swarm {
                errors.push(stack_file.error_at(
                    s.span(),
                    "scale_services: only a stack with engine = \"swarm\" has it".to_string(),
                    Some("a compose stack scales by scale-N profiles: see docs/stacks.md".into()),
                ));
                break;
            }
            if !compose.services.contains_key(s.get_ref()) {
                errors.push(stack_file.error_at(
                    s.span(),
                    format!(
                        "scale_services: `{}` is not a service of {}",
                        s.get_ref(),
                        compose_file.path
                    ),
                    Some(format!(
                            "the services: {}",
                            compose
                                .services
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                ));
                continue;
            }
            scale_services.push(s.get_ref().clone());
        }
        if engine == Engine::Swarm {
            let not_on_swarm = [
                (keys.rolling, "rolling", "Swarm rolls updates itself: set deploy.update_config (parallelism, order) in the compose file"),
                (keys.health_url, "health.url", "a swarm stack's health is its services' healthchecks: give the service a healthcheck"),
            ];
            for (span, key, help) in not_on_swarm {
                if let Some(span) = span {
                    errors.push(stack_file.error_at(
                        span,
                        format!("{key}: not supported with engine = \"swarm\""),
                        Some(help.into()),
                    ));
                }
            }
            if let Some(name) = &compose.override_name {
                errors.push(compose_file.error(
                    format!(
                        "{name}: an override file is not supported with engine = \"swarm\" yet"
                    ),
                    Some("merge it into the compose file".into()),
                ));
            }
            check_swarm_compose(compose_file, compose, errors);
            check_hook_networks(compose_file, compose, &keys.hook_services, errors);
        }
        SwarmSettings {
            engine,
            scale_services,
        }
    }
}

/// Service keys `docker stack deploy` ignores ("Ignoring unsupported
/// options") or rejects (not in its schema), with what to write instead.
const REFUSED_SERVICE_KEYS: &[(&str, &str)] = &[
    ("build", "docker stack deploy does not build: build and push the image in CI, then use image: ${REGISTRY}/NAME:${IMAGE_TAG}"),
    ("profiles", "Swarm has no profiles: run replicas with deploy.replicas, or list the service in scale_services of stack.toml and deploy with --scale N"),
    ("restart", "use deploy.restart_policy (condition: on-failure | any | none)"),
    ("container_name", "Swarm names the tasks itself (STACK_SERVICE.SLOT.ID); reach the service by its name on its network"),
    ("network_mode", "attach the service to an overlay network under networks: (or the external `host` network)"),
    ("devices", "Swarm services cannot have devices; run this service in a compose stack on the node that has the device"),
    ("privileged", "Swarm services cannot be privileged; add only the capabilities it needs with cap_add"),
    ("links", "services of one stack reach each other by name on a shared network: remove links"),
    ("external_links", "attach the service to the other stack's network instead"),
    ("cgroup_parent", "Swarm does not support it: remove it"),
    ("cgroupns_mode", "Swarm does not support it: remove it"),
    ("domainname", "Swarm does not support it: remove it"),
    ("ipc", "Swarm does not support it: remove it"),
    ("mac_address", "Swarm does not support it: remove it"),
    ("pid", "Swarm does not support it: remove it"),
    ("security_opt", "Swarm does not support it: remove it"),
    ("shm_size", "mount a tmpfs at /dev/shm instead (volumes: - type: tmpfs, target: /dev/shm)"),
    ("userns_mode", "Swarm does not support it: remove it"),
    ("pull_policy", "homectl pulls every image on every node by digest before the deploy: remove it"),
    ("platform", "use deploy.placement.constraints (node.platform.arch == ...)"),
];

/// Every refused key of every service, and every relative bind mount.
pub fn check_swarm_compose(file: &SourceFile, compose: &Compose, errors: &mut Vec<ConfigError>) {
    let Some(Value::Mapping(services)) = compose.document.get("services") else {
        return;
    };
    for (name, service) in services {
        let (Some(name), Some(service)) = (name.as_str(), service.as_mapping()) else {
            continue;
        };
        for (key, help) in REFUSED_SERVICE_KEYS {
            if service.get(*key).is_some() {
                let span = locate(&file.text, &["services", name, key]).unwrap_or(0..0);
                errors.push(file.error_at(
                    span,
                    format!("services.{name}.{key}: not supported by `docker stack deploy` (engine = \"swarm\")"),
                    Some(help.to_string()),
                ));
            }
        }
        if let Some(Value::Sequence(volumes)) = service.get("volumes") {
            for volume in volumes {
                if let Some(source) = relative_bind_source(volume) {
                    let span = locate_value(&file.text, &["services", name, "volumes"], source)
                        .unwrap_or(0..0);
                    errors.push(file.error_at(
                        span,
                        format!("services.{name}.volumes: `{}` is a relative bind mount; no node of a Swarm has the stack's folder", source.escape_debug()),
                        Some("ship the file as a config (configs: NAME: file: ./PATH, read on the manager) and mount it with configs: [{source: NAME, target: /PATH}]".into()),
                    ));
                }
            }
        }
    }
}

/// The keys under which a service joins networks (`default` if it names
/// none, as Compose and `docker stack deploy` do).
pub fn network_keys(service: &serde_yaml_ng::Mapping) -> Vec<String> {
    let keys: Vec<String> = match service.get("networks") {
        Some(Value::Sequence(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::Mapping(map)) => map
            .keys()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    if keys.is_empty() {
        vec!["default".to_string()]
    } else {
        keys
    }
}

/// A hook's one-off container joins its service's networks, which must be
/// attachable; homectl creates a missing one (docs/swarm.md, "Hooks") with
/// the driver, options, labels and `internal` of its definition, so one
/// that sets `attachable: false`, `ipam` or `enable_ipv6` is refused.
fn check_hook_networks(
    file: &SourceFile,
    compose: &Compose,
    hook_services: &[String],
    errors: &mut Vec<ConfigError>,
) {
    let mut seen = Vec::new();
    for service in hook_services {
        let Some(definition) = compose
            .document
            .get("services")
            .and_then(|s| s.get(service.as_str()))
            .and_then(Value::as_mapping)
        else {
            continue;
        };
        for key in network_keys(definition) {
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let Some(network) = compose
                .document
                .get("networks")
                .and_then(|n| n.get(key.as_str()))
                .and_then(Value::as_mapping)
            else {
                continue;
            };
            if network
                .get("external")
                .is_some_and(|e| e.as_bool() == Some(true) || e.is_mapping())
            {
                continue;
            }
            let refused = [
                (
                    "attachable",
                    network.get("attachable").and_then(Value::as_bool) == Some(false),
                ),
                ("ipam", network.contains_key("ipam")),
                ("enable_ipv6", network.contains_key("enable_ipv6")),
            ];
            for (what, bad) in refused {
                if bad {
                    let span = locate(&file.text, &["networks", &key, what]).unwrap_or(0..0);
                    errors.push(file.error_at(
                        span,
                        if what == "attachable" {
                            format!("networks.{key}.attachable: false, but the hook of service {service} joins this network: a one-off container joins only an attachable network (engine = \"swarm\")")
                        } else {
                            format!("networks.{key}.{what}: the hook of service {service} joins this network, which homectl creates for a first deploy's hooks, without {what} (engine = \"swarm\")")
                        },
                        Some("remove it, or create the network yourself (docker network create --driver overlay --attachable ...) and declare it external: true".into()),
                    ));
                }
            }
        }
    }
}

/// The source of a bind mount given relative to the stack's folder
/// (`./conf:/etc/x`, `../x:/y`, `~/x:/y`, or long syntax with such a source).
fn relative_bind_source(volume: &Value) -> Option<&str> {
    let source = match volume {
        Value::String(short) => short.split(':').next()?,
        Value::Mapping(long) => {
            if long.get("type").and_then(Value::as_str) != Some("bind") {
                return None;
            }
            long.get("source").and_then(Value::as_str)?
        }
        _ => return None,
    };
    let relative = source == "."
        || source == ".."
        || source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with('~');
    relative.then_some(source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::compose_file::parse_compose;

    fn errors_of(yaml: &str) -> Vec<String> {
        let file = SourceFile::new("compose.yml", yaml.to_string());
        let compose = parse_compose(&file).expect("compose");
        let mut errors = Vec::new();
        check_swarm_compose(&file, &compose, &mut errors);
        errors.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn a_swarm_ready_file_passes() {
        let yaml = "services:\n  w:\n    image: r/w:t\n    deploy:\n      replicas: 3\n      restart_policy: {condition: any}\n    volumes:\n      - data:/data\n      - /srv/shared:/shared\n      - {type: bind, source: /etc/x, target: /x}\nvolumes:\n  data: {}\n";
        assert_eq!(errors_of(yaml), Vec::<String>::new());
    }

    #[test]
    fn each_refused_key_and_relative_mount_is_one_error() {
        let yaml = "services:\n  w:\n    image: r/w:t\n    restart: always\n    privileged: true\n    volumes:\n      - ./conf:/etc/conf\n      - {type: bind, source: ../x, target: /x}\n";
        let errors = errors_of(yaml);
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("services.w.restart")));
        assert!(errors.iter().any(|e| e.contains("services.w.privileged")));
        assert!(errors.iter().any(|e| e.contains("`./conf`")));
        assert!(errors.iter().any(|e| e.contains("`../x`")));
    }
}

//! What a stack needs from the node beyond its images (docs/stacks.md,
//! "What preflight checks on the node"): absolute bind-mount sources,
//! `external: true` networks and volumes, `devices` host paths, and the
//! Compose features it uses. Read from the compose document; preflight
//! asks the node for each.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml_ng::Value;

use crate::inventory::image_ref::interpolate;
use crate::inventory::Stack;

/// A Compose feature that not every Compose has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    /// Top-level `include:`: Compose 2.20.
    Include,
    /// The `!reset` tag: Compose 2.24.
    Reset,
    /// The `!override` tag: Compose 2.24.
    Override,
    /// A service's `develop:`: Compose v2.
    Develop,
    /// Top-level `name:`: Compose v2.
    Name,
}

impl Feature {
    pub fn key(self) -> &'static str {
        match self {
            Feature::Include => "include",
            Feature::Reset => "!reset",
            Feature::Override => "!override",
            Feature::Develop => "develop",
            Feature::Name => "name",
        }
    }

    /// The lowest Compose v2 version with it.
    fn since(self) -> (u32, u32) {
        match self {
            Feature::Include => (2, 20),
            Feature::Reset | Feature::Override => (2, 24),
            Feature::Develop | Feature::Name => (2, 0),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NodeNeeds {
    /// Absolute bind-mount sources.
    pub binds: BTreeSet<String>,
    /// External networks and volumes, by their name on the node.
    pub networks: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    /// Host paths of `devices`.
    pub devices: BTreeSet<String>,
    pub features: BTreeSet<Feature>,
}

/// What `stack` needs on a node whose compose environment is `env` (the
/// services of its max_scale). A path that reads a variable `env` does not
/// set (a secret) is left out.
pub fn node_needs(stack: &Stack, env: &BTreeMap<String, String>) -> NodeNeeds {
    let doc = &stack.compose.document;
    let mut needs = NodeNeeds::default();
    let running = stack.compose.services_at_scale(stack.max_scale);
    if let Some(Value::Mapping(services)) = doc.get("services").map(untag) {
        for (name, service) in services {
            let Some(name) = name.as_str() else { continue };
            if service.get("develop").is_some() {
                needs.features.insert(Feature::Develop);
            }
            if !running.contains(&name) {
                continue;
            }
            if let Some(Value::Sequence(volumes)) = service.get("volumes").map(untag) {
                for volume in volumes {
                    if let Some(path) = bind_source(untag(volume), env) {
                        if path.starts_with('/') {
                            needs.binds.insert(path);
                        }
                    }
                }
            }
            if let Some(Value::Sequence(devices)) = service.get("devices").map(untag) {
                for device in devices {
                    let host = match untag(device) {
                        Value::String(s) => s.split(':').next().map(str::to_string),
                        other => other
                            .get("source")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    };
                    if let Some(path) = host.and_then(|h| interpolate(&h, env)) {
                        if path.starts_with('/') {
                            needs.devices.insert(path);
                        }
                    }
                }
            }
        }
    }
    for (top, set) in [
        ("networks", &mut needs.networks),
        ("volumes", &mut needs.volumes),
    ] {
        let Some(Value::Mapping(entries)) = doc.get(top).map(untag) else {
            continue;
        };
        for (key, entry) in entries {
            let Some(key) = key.as_str() else { continue };
            let entry = untag(entry);
            let external = entry.get("external").map(untag);
            let name = match external {
                Some(Value::Bool(true)) => entry.get("name").and_then(Value::as_str),
                // Compose v1's `external: { name: N }`.
                Some(Value::Mapping(m)) => m
                    .get("name")
                    .and_then(Value::as_str)
                    .or_else(|| entry.get("name").and_then(Value::as_str)),
                _ => continue,
            };
            if let Some(name) = interpolate(name.unwrap_or(key), env) {
                set.insert(name);
            }
        }
    }
    if doc.get("include").is_some() {
        needs.features.insert(Feature::Include);
    }
    if doc.get("name").is_some() {
        needs.features.insert(Feature::Name);
    }
    tags(doc, &mut needs.features);
    needs
}

/// The source of a bind mount, interpolated: `SRC:DST[:MODE]`, or the
/// long syntax with `type: bind`.
fn bind_source(volume: &Value, env: &BTreeMap<String, String>) -> Option<String> {
    match volume {
        Value::String(s) => {
            let s = interpolate(s, env)?;
            s.split_once(':').map(|(source, _)| source.to_string())
        }
        Value::Mapping(_) => {
            if volume.get("type").and_then(Value::as_str) != Some("bind") {
                return None;
            }
            interpolate(volume.get("source")?.as_str()?, env)
        }
        _ => None,
    }
}

fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

fn tags(value: &Value, out: &mut BTreeSet<Feature>) {
    match value {
        Value::Tagged(tagged) => {
            if tagged.tag == "reset" {
                out.insert(Feature::Reset);
            } else if tagged.tag == "override" {
                out.insert(Feature::Override);
            }
            tags(&tagged.value, out);
        }
        Value::Sequence(list) => list.iter().for_each(|v| tags(v, out)),
        Value::Mapping(map) => map.values().for_each(|v| tags(v, out)),
        _ => {}
    }
}

/// The features the node's Compose lacks, from preflight's `compose`
/// detail (`v2 2.40.3`, `v1 1.29.2`): `None` if all are there, else the
/// reason.
pub fn missing_features(compose: &str, features: &BTreeSet<Feature>) -> Option<String> {
    let mut words = compose.split_whitespace();
    let major = words.next()?;
    let version = words.next().unwrap_or("");
    let mut parts = version
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let missing: Vec<String> = features
        .iter()
        .filter_map(|f| {
            if major == "v1" {
                Some(format!("`{}` needs Compose v2", f.key()))
            } else if have < f.since() {
                let (a, b) = f.since();
                Some(format!("`{}` needs Compose {a}.{b}+", f.key()))
            } else {
                None
            }
        })
        .collect();
    (!missing.is_empty()).then(|| format!("{} (the node has {compose})", missing.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Compose, Health};

    fn stack(yaml: &str) -> Stack {
        let mut document: Value = serde_yaml_ng::from_str(yaml).unwrap();
        document.apply_merge().unwrap();
        let services = document["services"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, _)| {
                (
                    k.as_str().unwrap().to_string(),
                    crate::inventory::ComposeService {
                        image: "x".into(),
                        profiles: vec![],
                        has_healthcheck: false,
                        compose_pull: false,
                    },
                )
            })
            .collect();
        Stack {
            name: "s".into(),
            dir: "/nowhere".into(),
            images: vec![],
            max_scale: 1,
            env: BTreeMap::new(),
            secrets: BTreeMap::new(),
            health: Health {
                services: vec![],
                url: None,
                timeout: std::time::Duration::from_secs(60),
            },
            before_up: vec![],
            compose: Compose {
                file_name: "compose.yml".into(),
                override_name: None,
                text: yaml.into(),
                services,
                document,
            },
            folder: Default::default(),
            rolling: false,
            engine: Default::default(),
            scale_services: Vec::new(),
        }
    }

    #[test]
    fn what_a_stack_needs_from_the_node() {
        let s = stack(
            r#"
name: other
include: [db.yml]
services:
  web:
    image: x
    volumes:
      - /srv/web:/data
      - ./conf:/conf:ro
      - cache:/cache
      - ${MEDIA}/films:/films
      - ${SECRET_DIR}/x:/x
      - type: bind
        source: /etc/web.conf
        target: /web.conf
        bind: { create_host_path: false }
      - type: volume
        source: named
        target: /named
    devices:
      - /dev/dri:/dev/dri
      - "vendor.com/gpu=all"
    develop:
      watch: []
    environment: !reset {}
networks:
  proxy: { external: true }
  named: { external: true, name: "edge-${HOMECTL_NODE}" }
  internal: {}
volumes:
  cache: {}
  shared: { external: { name: old-shared } }
"#,
        );
        let env = BTreeMap::from([
            ("MEDIA".to_string(), "/mnt/media".to_string()),
            ("HOMECTL_NODE".to_string(), "node-a".to_string()),
        ]);
        let needs = node_needs(&s, &env);
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            needs.binds,
            set(&["/etc/web.conf", "/mnt/media/films", "/srv/web"])
        );
        assert_eq!(needs.networks, set(&["edge-node-a", "proxy"]));
        assert_eq!(needs.volumes, set(&["old-shared"]));
        assert_eq!(needs.devices, set(&["/dev/dri"]));
        assert_eq!(
            needs.features,
            BTreeSet::from([
                Feature::Include,
                Feature::Reset,
                Feature::Develop,
                Feature::Name
            ])
        );
    }

    #[test]
    fn which_compose_has_which_feature() {
        let f = |list: &[Feature]| list.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(
            missing_features("v2 2.40.3", &f(&[Feature::Include, Feature::Reset])),
            None
        );
        assert_eq!(
            missing_features("v2 2.21.0", &f(&[Feature::Include, Feature::Override])).as_deref(),
            Some("`!override` needs Compose 2.24+ (the node has v2 2.21.0)")
        );
        assert_eq!(
            missing_features("v2 2.19.1", &f(&[Feature::Include])).as_deref(),
            Some("`include` needs Compose 2.20+ (the node has v2 2.19.1)")
        );
        assert_eq!(
            missing_features("v1 1.29.2", &f(&[Feature::Include, Feature::Name])).as_deref(),
            Some("`include` needs Compose v2, `name` needs Compose v2 (the node has v1 1.29.2)")
        );
        assert_eq!(missing_features("v1 1.29.2", &f(&[])), None);
    }
}

//! Reads the inventory TOML (product.md, "The inventory") into `Inventory`.
//! Unknown keys are errors; every later check keeps the span of its value so
//! the message can point at the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::config_error::{ConfigError, SourceFile};
use super::model::{Inventory, KnownHosts, Node, Registry, SshSettings};
use super::names;
use crate::secrets::{is_env_name, SecretRef};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    name: Spanned<String>,
    stacks_dir: Option<Spanned<String>>,
    tag_length: Option<Spanned<i64>>,
    #[serde(default)]
    ssh: RawSsh,
    registry: Option<Spanned<RawRegistry>>,
    #[serde(default)]
    secrets: RawSecretSettings,
    nodes: Option<BTreeMap<String, Spanned<RawNode>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSsh {
    user: Option<Spanned<String>>,
    config: Option<Spanned<String>>,
    known_hosts: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    server: Spanned<String>,
    #[serde(default)]
    namespace: Option<Spanned<String>>,
    username: Spanned<String>,
    password: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSecretSettings {
    exec: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    host: Spanned<String>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    stacks: Vec<Spanned<String>>,
    scale: Option<Spanned<i64>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    state_dir: Option<Spanned<String>>,
}

/// Parses and checks the inventory file on its own (stacks are checked by
/// the caller, which knows them). Returns the inventory and the spans of
/// each node's stack names and scale, for the cross-checks.
pub fn parse_inventory(file: &SourceFile) -> Result<(Inventory, NodeSpans), ConfigError> {
    let raw: RawInventory = toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    let at = |span: std::ops::Range<usize>, msg: String, help: Option<&str>| {
        file.error_at(span, msg, help.map(str::to_string))
    };

    names::check_name(raw.name.get_ref())
        .map_err(|m| at(raw.name.span(), format!("name: {m}"), Some("the compose project of stack S is \"<name>-S\"")))?;

    let inventory_dir = Path::new(&file.path).parent().unwrap_or(Path::new(".")).to_path_buf();
    let stacks_dir = match &raw.stacks_dir {
        Some(dir) => resolve(&inventory_dir, dir.get_ref()),
        // stacks/ beside the inventory's folder.
        None => inventory_dir.join("..").join("stacks"),
    };

    let tag_length = match &raw.tag_length {
        None => 40,
        Some(n) if (4..=40).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => return Err(at(n.span(), format!("tag_length: {} is out of range", n.get_ref()), Some("use 4 to 40 hex digits of the git SHA"))),
    };

    let ssh = parse_ssh(file, &raw.ssh, &inventory_dir)?;

    let Some(registry) = &raw.registry else {
        return Err(file.error(
            "missing [registry] table",
            Some("add [registry] with server, namespace, username and password (a secret reference)".into()),
        ));
    };
    let registry = parse_registry(file, registry)?;

    let secrets_exec = match &raw.secrets.exec {
        None => None,
        Some(argv) => {
            if argv.get_ref().is_empty() || !argv.get_ref().iter().any(|a| a.contains("{}")) {
                return Err(at(argv.span(), "secrets.exec: the command must be non-empty and contain `{}` for the reference".into(),
                    Some("e.g. exec = [\"vault\", \"kv\", \"get\", \"-field=value\", \"{}\"]")));
            }
            Some(argv.get_ref().clone())
        }
    };

    let Some(raw_nodes) = &raw.nodes else {
        return Err(file.error("no nodes: add at least one [nodes.NAME] table", None));
    };
    if raw_nodes.is_empty() {
        return Err(file.error("nodes: no nodes defined", Some("add a [nodes.NAME] table with host and stacks".into())));
    }

    let mut nodes = BTreeMap::new();
    let mut spans = NodeSpans::default();
    for (name, node) in raw_nodes {
        let key = format!("nodes.{name}");
        // toml keeps no span for keys: point at the node's table instead.
        names::check_name(name).map_err(|m| at(node.span(), format!("{key}: {m}"), None))?;
        if name == "all" {
            return Err(at(node.span(), format!("{key}: `all` is reserved: it selects every node"), Some("rename the node")));
        }
        let node_ref = node.get_ref();
        names::check_host(node_ref.host.get_ref()).map_err(|m| at(node_ref.host.span(), format!("{key}.host: {m}"), None))?;
        for group in &node_ref.groups {
            names::check_name(group.get_ref()).map_err(|m| at(group.span(), format!("{key}.groups: {m}"), None))?;
            if group.get_ref() == "all" {
                return Err(at(group.span(), format!("{key}.groups: `all` is reserved: it selects every node"), None));
            }
        }
        if node_ref.stacks.is_empty() {
            return Err(at(node.span(), format!("{key}: no stacks"), Some("add stacks = [\"NAME\"] naming folders under the stacks directory")));
        }
        let mut seen = Vec::new();
        for stack in &node_ref.stacks {
            names::check_name(stack.get_ref()).map_err(|m| at(stack.span(), format!("{key}.stacks: {m}"), None))?;
            if seen.contains(stack.get_ref()) {
                return Err(at(stack.span(), format!("{key}.stacks: `{}` is listed twice", stack.get_ref()), None));
            }
            seen.push(stack.get_ref().clone());
            spans.stacks.push((name.clone(), stack.get_ref().clone(), stack.span()));
        }
        let scale = match &node_ref.scale {
            None => None,
            Some(s) if (1..=u32::MAX as i64).contains(s.get_ref()) => {
                spans.scales.push((name.clone(), *s.get_ref() as u32, s.span()));
                Some(*s.get_ref() as u32)
            }
            Some(s) => return Err(at(s.span(), format!("{key}.scale: {} is not a scale", s.get_ref()), Some("a scale is 1 or more"))),
        };
        let mut env = BTreeMap::new();
        for (k, v) in &node_ref.env {
            check_env_key(file, &format!("{key}.env"), k, v.span())?;
            env.insert(k.clone(), v.get_ref().clone());
        }
        let state_dir = match &node_ref.state_dir {
            None => None,
            Some(dir) if dir.get_ref().starts_with('/') && !dir.get_ref().contains(['\n', '\0']) => Some(dir.get_ref().clone()),
            Some(dir) => return Err(at(dir.span(), format!("{key}.state_dir: `{}` is not an absolute path", dir.get_ref().escape_debug()), None)),
        };
        nodes.insert(
            name.clone(),
            Node {
                name: name.clone(),
                host: node_ref.host.get_ref().clone(),
                groups: node_ref.groups.iter().map(|g| g.get_ref().clone()).collect(),
                stacks: seen,
                scale,
                env,
                state_dir,
            },
        );
    }

    let inventory = Inventory {
        path: PathBuf::from(&file.path),
        name: raw.name.into_inner(),
        stacks_dir,
        tag_length,
        ssh,
        registry,
        secrets_exec,
        nodes,
    };
    Ok((inventory, spans))
}

/// Where each node names a stack or sets a scale, for errors found later.
#[derive(Default)]
pub struct NodeSpans {
    pub stacks: Vec<(String, String, std::ops::Range<usize>)>,
    pub scales: Vec<(String, u32, std::ops::Range<usize>)>,
}

fn parse_ssh(file: &SourceFile, raw: &RawSsh, inventory_dir: &Path) -> Result<SshSettings, ConfigError> {
    if let Some(user) = &raw.user {
        let ok = !user.get_ref().is_empty()
            && !user.get_ref().starts_with('-')
            && user.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(file.error_at(user.span(), format!("ssh.user: `{}` is not a user name", user.get_ref().escape_debug()), None));
        }
    }
    let known_hosts = match raw.known_hosts.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
        None | Some(("strict", _)) => KnownHosts::Strict,
        Some(("accept-new", _)) => KnownHosts::AcceptNew,
        Some((other, span)) => {
            return Err(file.error_at(span, format!("ssh.known_hosts: `{other}` is not a policy"), Some("use \"strict\" (the default) or \"accept-new\"".into())))
        }
    };
    let connect_timeout = match &raw.connect_timeout {
        None => Duration::from_secs(10),
        Some(t) => parse_duration(file, "ssh.connect_timeout", t)?,
    };
    Ok(SshSettings {
        user: raw.user.as_ref().map(|u| u.get_ref().clone()),
        config: raw.config.as_ref().map(|c| resolve(inventory_dir, c.get_ref())),
        known_hosts,
        connect_timeout,
    })
}

fn parse_registry(file: &SourceFile, raw: &Spanned<RawRegistry>) -> Result<Registry, ConfigError> {
    let r = raw.get_ref();
    names::check_registry_part(r.server.get_ref(), false)
        .and_then(|_| if r.server.get_ref().is_empty() { Err("the server is empty".into()) } else { Ok(()) })
        .map_err(|m| file.error_at(r.server.span(), format!("registry.server: {m}"), None))?;
    if let Some(ns) = &r.namespace {
        names::check_registry_part(ns.get_ref(), true)
            .map_err(|m| file.error_at(ns.span(), format!("registry.namespace: {m}"), None))?;
    }
    if r.username.get_ref().is_empty() || r.username.get_ref().chars().any(|c| c.is_control()) {
        return Err(file.error_at(r.username.span(), "registry.username: empty or has control characters", None));
    }
    let password = SecretRef::parse(r.password.get_ref()).map_err(|m| {
        // Never echo what may be a literal password back to the terminal.
        let shown = if r.password.get_ref().contains("://") { m } else { "a literal password is not allowed".to_string() };
        file.error_at(
            r.password.span(),
            format!("registry.password: {shown}"),
            Some("write a secret reference such as \"op://homelab/ghcr/token\", \"pass://ghcr/token\" or \"env://GHCR_TOKEN\"".into()),
        )
    })?;
    Ok(Registry {
        server: r.server.get_ref().clone(),
        namespace: r.namespace.as_ref().map(|n| n.get_ref().clone()).unwrap_or_default(),
        username: r.username.get_ref().clone(),
        password,
    })
}

/// Checks a variable name; `span` is its value's (toml keeps none for keys).
pub(super) fn check_env_key(file: &SourceFile, table: &str, key: &str, span: std::ops::Range<usize>) -> Result<(), ConfigError> {
    if !is_env_name(key) {
        return Err(file.error_at(span, format!("{table}: `{}` is not a variable name", key.escape_debug()), Some("use letters, digits and `_`, not starting with a digit".into())));
    }
    if ["REGISTRY", "IMAGE_TAG", "HOMECTL_NODE"].contains(&key) {
        return Err(file.error_at(span, format!("{table}: `{key}` is set by homectl itself"), Some("homectl sets REGISTRY, IMAGE_TAG and HOMECTL_NODE; pick another name".into())));
    }
    Ok(())
}

pub(super) fn parse_duration(file: &SourceFile, key: &str, value: &Spanned<String>) -> Result<Duration, ConfigError> {
    match humantime::parse_duration(value.get_ref()) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(file.error_at(value.span(), format!("{key}: `{}` is not a duration", value.get_ref().escape_debug()), Some("write it like \"10s\", \"90s\" or \"2m\"".into()))),
    }
}

/// A TOML syntax or shape error (unknown key, wrong type), as a diagnostic.
pub(super) fn toml_error(file: &SourceFile, error: &toml::de::Error) -> ConfigError {
    let message = error.message().trim().to_string();
    let help = if message.starts_with("unknown field") {
        Some("check the spelling: unknown keys are refused so that a typo cannot be ignored".to_string())
    } else {
        None
    };
    match error.span() {
        Some(span) => {
            // toml's message does not say which table: name it, e.g. [nodes.node-a].
            let message = match table_at(&file.text, span.start) {
                Some(table) => format!("[{table}]: {message}"),
                None => message,
            };
            file.error_at(span, message, help)
        }
        None => file.error(message, help),
    }
}

/// The `[table]` header in force at a byte offset of a TOML text.
fn table_at(text: &str, offset: usize) -> Option<String> {
    text[..offset.min(text.len())]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_start_matches('[').split(']').next().unwrap_or("").trim().to_string())
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
}

//! Reads the inventory TOML (docs/inventory.md) into `Inventory`.
//! Unknown keys are errors; every later check keeps the span of its value so
//! the message can point at the line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::config_error::{ConfigError, SourceFile};
use super::model::{Inventory, KnownHosts, Node, Registry, SshSettings};
use super::names;
use super::references::secret_reference;
use super::toml_error::toml_error;
use super::values::{parse_duration, parse_env};

/// Versions per stack a node keeps when nothing says otherwise (docs/inventory.md, `keep`).
pub const DEFAULT_KEEP: usize = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    name: Spanned<String>,
    stacks_dir: Option<Spanned<String>>,
    tag_length: Option<Spanned<i64>>,
    keep: Option<Spanned<i64>>,
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
    /// Any TOML value, so that a literal of the wrong type is not echoed
    /// by toml's "invalid type" message.
    password: Spanned<toml::Value>,
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
/// each node's stack names and scale, for the cross-checks, unless the file
/// cannot be read as an inventory at all. Every mistake found goes into
/// `errors`; a node with a mistake is left out of the inventory returned
/// (so the caller does not check its stacks twice), a bad top-level value
/// is replaced by its default: with errors, that inventory only serves to
/// find more of them.
pub fn parse_inventory(
    file: &SourceFile,
    errors: &mut Vec<ConfigError>,
) -> Option<(Inventory, NodeSpans)> {
    let raw: RawInventory = match toml::from_str(&file.text) {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(toml_error(file, &e, |key| key == "registry.password"));
            return None;
        }
    };
    let at = |span: Range<usize>, msg: String, help: &str| {
        file.error_at(span, msg, Some(help.to_string()))
    };

    if let Err(m) = names::check_name(raw.name.get_ref()) {
        errors.push(at(
            raw.name.span(),
            format!("name: {m}"),
            "the compose project of stack S is \"<name>-S\", so the name follows compose's rules",
        ));
    }

    let inventory_dir = Path::new(&file.path)
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let stacks_dir = match &raw.stacks_dir {
        Some(dir) => resolve(&inventory_dir, dir.get_ref()),
        // stacks/ beside the inventory's folder.
        None => inventory_dir.join("..").join("stacks"),
    };

    let tag_length = match &raw.tag_length {
        None => 40,
        Some(n) if (4..=40).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => {
            errors.push(at(
                n.span(),
                format!("tag_length: {} is out of range", n.get_ref()),
                "use 4 to 40 hex digits of the git SHA (7 is common; 40, the default, is the full SHA)",
            ));
            40
        }
    };

    let keep = match &raw.keep {
        None => DEFAULT_KEEP,
        Some(n) if (1..=1000).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => {
            errors.push(at(
                n.span(),
                format!("keep: {} is out of range", n.get_ref()),
                "keep 1 to 1000 versions per stack on a node (3, the default, leaves two to roll back to)",
            ));
            DEFAULT_KEEP
        }
    };

    let ssh = parse_ssh(file, &raw.ssh, &inventory_dir).unwrap_or_else(|e| {
        errors.push(e);
        SshSettings {
            user: None,
            config: None,
            known_hosts: KnownHosts::Strict,
            connect_timeout: Duration::from_secs(10),
        }
    });

    // Before the registry: its password may be an exec:// reference.
    let secrets_exec = match &raw.secrets.exec {
        None => None,
        Some(argv) => {
            if argv.get_ref().is_empty() || !argv.get_ref().iter().any(|a| a.contains("{}")) {
                errors.push(at(argv.span(), "secrets.exec: the command must be non-empty and contain `{}` for the reference".into(),
                    "e.g. exec = [\"vault\", \"kv\", \"get\", \"-field=value\", \"{}\"]"));
            }
            Some(argv.get_ref().clone())
        }
    };

    // A stand-in while there are errors: the inventory is then never used.
    let no_registry = || Registry {
        server: String::new(),
        namespace: String::new(),
        username: String::new(),
        password: crate::secrets::SecretRef::Env(String::new()),
    };
    let registry = match &raw.registry {
        None => {
            errors.push(file.error(
                "missing [registry] table",
                Some(
                    "add [registry] with server, namespace, username and password (a secret reference)"
                        .into(),
                ),
            ));
            no_registry()
        }
        Some(registry) => parse_registry(file, registry.get_ref(), secrets_exec.is_some())
            .unwrap_or_else(|e| {
                errors.push(e);
                no_registry()
            }),
    };

    let raw_nodes = match &raw.nodes {
        Some(nodes) if !nodes.is_empty() => nodes,
        _ => {
            errors.push(file.error(
                "no nodes: the inventory defines no [nodes.NAME] table",
                Some("add a [nodes.NAME] table with host and stacks".into()),
            ));
            return None;
        }
    };

    let mut nodes = BTreeMap::new();
    let mut spans = NodeSpans::default();
    for (name, node) in raw_nodes {
        let mut node_spans = NodeSpans::default();
        match parse_node(file, name, node, &mut node_spans) {
            Ok(parsed) => {
                nodes.insert(name.clone(), parsed);
                spans.stacks.append(&mut node_spans.stacks);
                spans.scales.append(&mut node_spans.scales);
                spans.env.append(&mut node_spans.env);
                spans.hosts.append(&mut node_spans.hosts);
            }
            Err(e) => errors.push(e),
        }
    }

    // TARGET is a group, a node or `all`: a name that is both is ambiguous.
    for (name, node) in raw_nodes {
        for group in &node.get_ref().groups {
            if raw_nodes.contains_key(group.get_ref()) {
                errors.push(at(
                    group.span(),
                    format!(
                        "nodes.{name}.groups: `{}` is also the name of a node",
                        group.get_ref()
                    ),
                    "rename the group or the node: a TARGET must name either a group or a node",
                ));
            }
        }
    }

    let inventory = Inventory {
        path: PathBuf::from(&file.path),
        name: raw.name.into_inner(),
        stacks_dir,
        tag_length,
        keep,
        ssh,
        registry,
        secrets_exec,
        nodes,
    };
    Some((inventory, spans))
}

fn parse_node(
    file: &SourceFile,
    name: &str,
    node: &Spanned<RawNode>,
    spans: &mut NodeSpans,
) -> Result<Node, ConfigError> {
    let at = |span: Range<usize>, msg: String, help: &str| {
        file.error_at(span, msg, Some(help.to_string()))
    };
    let key = format!("nodes.{name}");
    // toml keeps no span for keys: point at the node's table instead.
    names::check_name(name).map_err(|m| {
        at(
            node.span(),
            format!("{key}: {m}"),
            "rename the node: names end up in shell commands and paths",
        )
    })?;
    if name == "all" {
        return Err(at(
            node.span(),
            format!("{key}: `all` is reserved: it selects every node"),
            "rename the node",
        ));
    }
    let raw = node.get_ref();
    names::check_host(raw.host.get_ref())
        .map_err(|m| at(raw.host.span(), format!("{key}.host: {m}"), "write a DNS name or an IP address; ssh options belong in the ssh config ([ssh].config)"))?;
    for group in &raw.groups {
        names::check_name(group.get_ref()).map_err(|m| {
            at(
                group.span(),
                format!("{key}.groups: {m}"),
                "rename the group",
            )
        })?;
        if group.get_ref() == "all" {
            return Err(at(
                group.span(),
                format!("{key}.groups: `all` is reserved: it selects every node"),
                "rename the group; `all` needs no definition",
            ));
        }
    }
    if raw.stacks.is_empty() {
        return Err(at(
            node.span(),
            format!("{key}.stacks: the node has no stacks"),
            "add stacks = [\"NAME\"] naming folders of the stacks directory",
        ));
    }
    let mut stacks: Vec<String> = Vec::new();
    for stack in &raw.stacks {
        names::check_name(stack.get_ref()).map_err(|m| {
            at(
                stack.span(),
                format!("{key}.stacks: {m}"),
                "a stack is named after its folder",
            )
        })?;
        if stacks.contains(stack.get_ref()) {
            return Err(at(
                stack.span(),
                format!("{key}.stacks: `{}` is listed twice", stack.get_ref()),
                "remove the second one",
            ));
        }
        stacks.push(stack.get_ref().clone());
        spans
            .stacks
            .push((name.to_string(), stack.get_ref().clone(), stack.span()));
    }
    let scale = match &raw.scale {
        None => None,
        Some(s) if (1..=u32::MAX as i64).contains(s.get_ref()) => {
            spans
                .scales
                .push((name.to_string(), *s.get_ref() as u32, s.span()));
            Some(*s.get_ref() as u32)
        }
        Some(s) => {
            return Err(at(
                s.span(),
                format!("{key}.scale: {} is not a scale", s.get_ref()),
                "a scale is 1 or more, up to the max_scale of the node's stacks",
            ))
        }
    };
    let env = parse_env(file, &format!("{key}.env"), &raw.env)?;
    for (var, value) in &raw.env {
        spans
            .env
            .insert((name.to_string(), var.clone()), value.span());
    }
    let state_dir = match &raw.state_dir {
        None => None,
        Some(dir) if dir.get_ref().starts_with('/') && !dir.get_ref().contains(['\n', '\0']) => {
            Some(dir.get_ref().clone())
        }
        Some(dir) => {
            return Err(at(
                dir.span(),
                format!(
                    "{key}.state_dir: `{}` is not an absolute path",
                    dir.get_ref().escape_debug()
                ),
                "e.g. state_dir = \"/srv/homectl\", or leave it out for the default",
            ))
        }
    };
    spans.hosts.push((name.to_string(), raw.host.span()));
    Ok(Node {
        name: name.to_string(),
        host: raw.host.get_ref().clone(),
        groups: raw.groups.iter().map(|g| g.get_ref().clone()).collect(),
        stacks,
        scale,
        env,
        state_dir,
    })
}

/// Where each node names a stack or sets a scale, for errors found later.
#[derive(Default)]
pub struct NodeSpans {
    pub stacks: Vec<(String, String, Range<usize>)>,
    pub scales: Vec<(String, u32, Range<usize>)>,
    /// (node, variable) → span of the value.
    pub env: BTreeMap<(String, String), Range<usize>>,
    /// (node, span of its `host`).
    pub hosts: Vec<(String, Range<usize>)>,
}

fn parse_ssh(
    file: &SourceFile,
    raw: &RawSsh,
    inventory_dir: &Path,
) -> Result<SshSettings, ConfigError> {
    if let Some(user) = &raw.user {
        let ok = !user.get_ref().is_empty()
            && !user.get_ref().starts_with('-')
            && user
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(file.error_at(
                user.span(),
                format!(
                    "ssh.user: `{}` is not a user name",
                    user.get_ref().escape_debug()
                ),
                Some("letters, digits, `-`, `_` and `.`; leave it out to use ~/.ssh/config".into()),
            ));
        }
    }
    let known_hosts = match raw
        .known_hosts
        .as_ref()
        .map(|k| (k.get_ref().as_str(), k.span()))
    {
        None | Some(("strict", _)) => KnownHosts::Strict,
        Some(("accept-new", _)) => KnownHosts::AcceptNew,
        Some((other, span)) => {
            return Err(file.error_at(
                span,
                format!(
                    "ssh.known_hosts: `{}` is not a host key policy",
                    other.escape_debug()
                ),
                Some("use \"strict\" (the default) or \"accept-new\"".into()),
            ))
        }
    };
    let connect_timeout = match &raw.connect_timeout {
        None => Duration::from_secs(10),
        Some(t) => parse_duration(file, "ssh.connect_timeout", t)?,
    };
    Ok(SshSettings {
        user: raw.user.as_ref().map(|u| u.get_ref().clone()),
        config: raw
            .config
            .as_ref()
            .map(|c| resolve(inventory_dir, c.get_ref())),
        known_hosts,
        connect_timeout,
    })
}

fn parse_registry(
    file: &SourceFile,
    r: &RawRegistry,
    has_exec: bool,
) -> Result<Registry, ConfigError> {
    names::check_registry_part(r.server.get_ref(), false)
        .and_then(|_| {
            if r.server.get_ref().is_empty() {
                Err("the server is empty".into())
            } else {
                Ok(())
            }
        })
        .map_err(|m| {
            file.error_at(
                r.server.span(),
                format!("registry.server: {m}"),
                Some(
                    "a host name with an optional port, e.g. \"ghcr.io\" or \"10.0.0.1:5000\""
                        .into(),
                ),
            )
        })?;
    if let Some(ns) = r.namespace.as_ref().filter(|ns| !ns.get_ref().is_empty()) {
        names::check_repository_path(ns.get_ref()).map_err(|m| {
            file.error_at(
                ns.span(),
                format!("registry.namespace: {m}"),
                Some("e.g. \"acme\" or \"acme/team\"".into()),
            )
        })?;
    }
    if r.username.get_ref().is_empty() || r.username.get_ref().chars().any(|c| c.is_control()) {
        return Err(file.error_at(
            r.username.span(),
            "registry.username: empty or has control characters",
            Some("the user that logs in to the registry".into()),
        ));
    }
    let example = "\"op://homelab/ghcr/token\", \"pass://ghcr/token\" or \"env://GHCR_TOKEN\"";
    let password = secret_reference(file, "registry.password", &r.password, has_exec, example)?;
    Ok(Registry {
        server: r.server.get_ref().clone(),
        namespace: r
            .namespace
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_default(),
        username: r.username.get_ref().clone(),
        password,
    })
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

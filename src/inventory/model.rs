//! The validated inventory and stacks: what every command works from.
//! Built only by the loaders in this folder, so every value here has passed
//! its checks (names are safe, references well-formed, scales in range).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::secrets::SecretRef;

/// The inventory with the stacks its nodes use.
#[derive(Debug, Clone)]
pub struct Project {
    pub inventory: Inventory,
    pub stacks: BTreeMap<String, Stack>,
}

#[derive(Debug, Clone)]
pub struct Inventory {
    pub path: PathBuf,
    /// The compose project of stack S is `<name>-<S>`.
    pub name: String,
    pub stacks_dir: PathBuf,
    /// How many hex digits of git HEAD make the default tag.
    pub tag_length: usize,
    /// Distinct versions per stack whose images and files stay on a node
    /// (docs/operations.md, "Pruning").
    pub keep: usize,
    pub ssh: SshSettings,
    pub registry: Registry,
    /// The argv for `exec://` references, with `{}` for the argument.
    pub secrets_exec: Option<Vec<String>>,
    pub nodes: BTreeMap<String, Node>,
}

impl Inventory {
    /// The compose project of a stack: `<name>-<stack>` (docs/stacks.md).
    pub fn project_name(&self, stack: &str) -> String {
        format!("{}-{stack}", self.name)
    }
}

#[derive(Debug, Clone)]
pub struct SshSettings {
    pub user: Option<String>,
    pub config: Option<PathBuf>,
    pub known_hosts: KnownHosts,
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownHosts {
    Strict,
    AcceptNew,
}

#[derive(Debug, Clone)]
pub struct Registry {
    pub server: String,
    pub namespace: String,
    pub username: String,
    pub password: SecretRef,
}

impl Registry {
    /// What compose sees as `REGISTRY`: `server/namespace`.
    pub fn prefix(&self) -> String {
        if self.namespace.is_empty() {
            self.server.clone()
        } else {
            format!("{}/{}", self.server, self.namespace)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub host: String,
    pub groups: Vec<String>,
    pub stacks: Vec<String>,
    pub scale: Option<u32>,
    pub env: BTreeMap<String, String>,
    pub state_dir: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub dir: PathBuf,
    /// App images tagged `IMAGE_TAG`, by name (`ktrdr-backend`).
    pub images: Vec<String>,
    pub max_scale: u32,
    pub env: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, SecretRef>,
    pub health: Health,
    pub before_up: Vec<Hook>,
    pub compose: Compose,
    /// The files that travel to the node, and their version.
    pub folder: super::stack_folder::StackFolder,
    /// `rolling = true`: the replicas of each service group are recreated
    /// one at a time, each healthy before the next (docs/stacks.md).
    pub rolling: bool,
    /// `engine = "swarm"`: deployed with `docker stack deploy` through a
    /// manager of the Swarm its nodes form (docs/swarm.md).
    pub engine: Engine,
    /// The services whose `deploy.replicas` `--scale N` sets (swarm only).
    pub scale_services: Vec<String>,
}

/// What runs a stack's compose file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// `docker compose` on each node the stack is listed on.
    #[default]
    Compose,
    /// `docker stack deploy` on a manager of the nodes' Swarm.
    Swarm,
}

impl Stack {
    pub fn is_swarm(&self) -> bool {
        self.engine == Engine::Swarm
    }

    /// The stack's compose file as a source for diagnostics at its lines.
    pub(crate) fn compose_source(&self) -> super::config_error::SourceFile {
        super::config_error::SourceFile::new(
            self.dir.join(&self.compose.file_name).display().to_string(),
            self.compose.text.clone(),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Health {
    pub services: Vec<String>,
    pub url: Option<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Hook {
    pub service: String,
    pub command: Vec<String>,
}

/// What homectl needs to know of a compose file; the file itself is copied
/// to the node as it is.
#[derive(Debug, Clone)]
pub struct Compose {
    /// The compose file's name in the folder (`compose.yml`, `docker-compose.yaml`...).
    pub file_name: String,
    /// The override file beside it, merged by Compose, if any.
    pub override_name: Option<String>,
    pub text: String,
    pub services: BTreeMap<String, ComposeService>,
    /// The whole file as read, merge keys applied.
    pub document: serde_yaml_ng::Value,
}

#[derive(Debug, Clone)]
pub struct ComposeService {
    pub image: String,
    pub profiles: Vec<String>,
    pub has_healthcheck: bool,
    /// `pull_policy` or `platform` is set: only `compose pull` pulls it right.
    pub compose_pull: bool,
}

impl Compose {
    /// The services that run at a given scale: those without a profile, and
    /// those whose `scale-N` profile is at most the scale.
    pub fn services_at_scale(&self, scale: u32) -> Vec<&str> {
        self.services
            .iter()
            .filter(|(_, s)| {
                s.profiles.is_empty()
                    || s.profiles
                        .iter()
                        .any(|p| profile_scale(p).is_some_and(|n| n <= scale))
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// `scale-3` → 3. Only the exact spelling counts (not `scale-03` or
/// `scale-+3`): it is the profile name homectl activates.
pub fn profile_scale(profile: &str) -> Option<u32> {
    let digits = profile.strip_prefix("scale-")?;
    let n: u32 = digits.parse().ok()?;
    (n.to_string() == digits).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(profiles: &[&str]) -> ComposeService {
        ComposeService {
            image: "x".into(),
            profiles: profiles.iter().map(|p| p.to_string()).collect(),
            has_healthcheck: false,
            compose_pull: false,
        }
    }

    fn workers() -> Compose {
        let services = [
            ("db", service(&[])),
            ("worker-1", service(&[])),
            ("worker-2", service(&["scale-2"])),
            ("worker-3", service(&["scale-3"])),
            ("debug", service(&["debug"])),
            ("both", service(&["debug", "scale-3"])),
        ];
        Compose {
            file_name: "compose.yml".into(),
            override_name: None,
            text: String::new(),
            document: serde_yaml_ng::Value::Null,
            services: services
                .into_iter()
                .map(|(n, s)| (n.to_string(), s))
                .collect(),
        }
    }

    #[test]
    fn services_at_scale_adds_replicas_by_profile() {
        let compose = workers();
        assert_eq!(compose.services_at_scale(1), ["db", "worker-1"]);
        assert_eq!(compose.services_at_scale(2), ["db", "worker-1", "worker-2"]);
        assert_eq!(
            compose.services_at_scale(3),
            ["both", "db", "worker-1", "worker-2", "worker-3"]
        );
        // Above the highest profile nothing more runs.
        assert_eq!(compose.services_at_scale(9), compose.services_at_scale(3));
    }

    #[test]
    fn profile_scales() {
        assert_eq!(profile_scale("scale-2"), Some(2));
        assert_eq!(profile_scale("scale-12"), Some(12));
        for other in [
            "scale-", "scale-x", "scale-02", "scale-+2", "scale--2", "scale2", "debug", "Scale-2",
        ] {
            assert_eq!(profile_scale(other), None, "{other}");
        }
    }

    #[test]
    fn registry_prefix() {
        let mut registry = Registry {
            server: "ghcr.io".into(),
            namespace: "acme".into(),
            username: "u".into(),
            password: SecretRef::Env("T".into()),
        };
        assert_eq!(registry.prefix(), "ghcr.io/acme");
        registry.namespace.clear();
        assert_eq!(registry.prefix(), "ghcr.io");
    }
}

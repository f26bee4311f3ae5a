//! One SSH connection per node: the system's ssh in ControlMaster mode
//! (the openssh crate), so ~/.ssh/config, the agent, ProxyJump and
//! known_hosts work as the operator has them.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use openssh::{ControlPersist, KnownHosts as SshKnownHosts, Session, SessionBuilder};

use crate::inventory::{KnownHosts, Node, SshSettings};

/// Opens the node's connection (host key checked per `known_hosts`).
/// The error is ssh's own words (e.g. "Host key verification failed").
pub async fn connect(settings: &SshSettings, node: &Node) -> Result<Arc<Session>, String> {
    let mut builder = SessionBuilder::default();
    if let Some(user) = &settings.user {
        builder.user(user.clone());
    }
    if let Some(config) = &settings.config {
        builder.config_file(config);
    }
    builder
        .known_hosts_check(match settings.known_hosts {
            KnownHosts::Strict => SshKnownHosts::Strict,
            KnownHosts::AcceptNew => SshKnownHosts::Add,
        })
        .connect_timeout(settings.connect_timeout)
        .server_alive_interval(std::time::Duration::from_secs(5))
        // Control sockets must fit in 108 bytes: keep them short, in /tmp.
        .control_directory(std::env::temp_dir())
        // If homectl is killed, its master ssh exits once idle.
        .control_persist(ControlPersist::IdleFor(NonZeroUsize::new(10).unwrap()));
    match tokio::time::timeout(settings.connect_timeout + std::time::Duration::from_secs(5), builder.connect_mux(&node.host)).await {
        Ok(Ok(session)) => Ok(Arc::new(session)),
        Ok(Err(err)) => Err(with_hint(describe(&err), &node.host, settings)),
        Err(_) => Err(format!("no answer within {}s", settings.connect_timeout.as_secs())),
    }
}

/// What to do about the host key errors ssh reports.
fn with_hint(message: String, host: &str, settings: &SshSettings) -> String {
    if message.contains("IDENTIFICATION HAS CHANGED") || message.contains("has changed") {
        format!("{message}\nthe host key of {host} CHANGED: if the node was reinstalled, check its new fingerprint and replace its line in known_hosts (ssh-keygen -R {host}); otherwise do not connect")
    } else if message.contains("Host key verification failed") || message.contains("No ED25519 host key is known") || message.contains("host key is known") {
        let policy = if settings.known_hosts == KnownHosts::Strict {
            " (or set [ssh] known_hosts = \"accept-new\" to trust a node's first key)"
        } else {
            ""
        };
        format!("{message}\nthe host key of {host} is not known or does not match: after checking its fingerprint, add it with `ssh-keyscan {host} >> ~/.ssh/known_hosts` (or the known_hosts file of your ssh config){policy}")
    } else {
        message
    }
}

/// ssh's own message, without the crate's wrapping.
fn describe(err: &openssh::Error) -> String {
    let text = err.to_string();
    let mut detail = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let all = if detail.is_empty() { text } else { format!("{text}: {detail}") };
    all.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// The address ssh would connect to, resolved like ssh does (`ssh -G`
/// applies the config's HostName), then looked up in DNS.
pub async fn resolve_host(settings: &SshSettings, node: &Node) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new("ssh");
    if let Some(config) = &settings.config {
        cmd.arg("-F").arg(config);
    }
    cmd.arg("-G").arg("--").arg(&node.host);
    let hostname = match cmd.output().await {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("hostname ").map(str::to_string))
            .unwrap_or_else(|| node.host.clone()),
        Ok(out) => return Err(format!("ssh -G failed: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Err(err) => return Err(format!("cannot run ssh: {err}")),
    };
    let looked_up = tokio::net::lookup_host((hostname.as_str(), 22)).await.map(|mut a| a.next());
    match looked_up {
        Ok(Some(addr)) => Ok(addr.ip().to_string()),
        Ok(None) => Err(format!("{hostname} has no address")),
        Err(err) => Err(format!("{hostname} does not resolve: {err}")),
    }
}

/// Whether a path is usable as an ssh -F config (for a clear early error).
pub fn config_exists(settings: &SshSettings) -> Result<(), String> {
    match &settings.config {
        Some(path) if !Path::new(path).is_file() => Err(format!("ssh config {} not found", path.display())),
        _ => Ok(()),
    }
}

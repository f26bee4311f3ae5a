//! One SSH connection per node: the system's ssh in ControlMaster mode
//! (the openssh crate), so ~/.ssh/config, the agent, ProxyJump and
//! known_hosts work as the operator has them.

use std::future::Future;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use openssh::{ControlPersist, KnownHosts as SshKnownHosts, Session, SessionBuilder};
use tokio::sync::Semaphore;

use crate::inventory::{KnownHosts, Node, SshSettings};

/// At most this many SSH handshakes at once in this process (every
/// command, every node). A handshake is the costly part of a connection
/// (key exchange on both ends, sshd starting a session): dozens at once on
/// a small machine, or against nodes sharing a host, starve each other
/// until some miss their connect timeout. The cap covers only the
/// handshake: an open connection holds no permit.
pub const MAX_CONCURRENT_HANDSHAKES: usize = 6;

static HANDSHAKES: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HANDSHAKES);

/// Runs `handshake` once `gate` has a free permit, holding it until the
/// handshake ends; `timeout` counts from then, not from the call. None: it
/// did not end within `timeout`.
async fn gated<T>(
    gate: &Semaphore,
    timeout: Duration,
    handshake: impl Future<Output = T>,
) -> Option<T> {
    let _permit = gate
        .acquire()
        .await
        .expect("the handshake semaphore is never closed");
    tokio::time::timeout(timeout, handshake).await.ok()
}

/// Opens the node's connection (host key checked per `known_hosts`).
/// The error is ssh's own words (e.g. "Host key verification failed").
/// Waits for its turn among at most [`MAX_CONCURRENT_HANDSHAKES`]; the
/// connect timeout starts when the turn comes.
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
        .server_alive_interval(Duration::from_secs(5))
        // Control sockets must fit in 108 bytes: keep them short, in /tmp.
        .control_directory(std::env::temp_dir())
        // If homectl is killed, its master ssh exits once idle.
        .control_persist(ControlPersist::IdleFor(NonZeroUsize::new(10).unwrap()));
    match gated(
        &HANDSHAKES,
        settings.connect_timeout + Duration::from_secs(5),
        builder.connect_mux(&node.host),
    )
    .await
    {
        Some(Ok(session)) => Ok(Arc::new(session)),
        Some(Err(err)) => Err(with_hint(describe(&err), &node.host, settings)),
        None => Err(format!(
            "no answer within {}s",
            settings.connect_timeout.as_secs()
        )),
    }
}

/// What to do about the host key errors ssh reports.
fn with_hint(message: String, host: &str, settings: &SshSettings) -> String {
    if message.contains("IDENTIFICATION HAS CHANGED") || message.contains("has changed") {
        format!("{message}\nthe host key of {host} CHANGED: if the node was reinstalled, check its new fingerprint and replace its line in known_hosts (ssh-keygen -R {host}); otherwise do not connect")
    } else if message.contains("Host key verification failed")
        || message.contains("No ED25519 host key is known")
        || message.contains("host key is known")
    {
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
    let all = if detail.is_empty() {
        text
    } else {
        format!("{text}: {detail}")
    };
    all.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
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
        Ok(out) => {
            return Err(format!(
                "ssh -G failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
        Err(err) => return Err(format!("cannot run ssh: {err}")),
    };
    let looked_up = tokio::net::lookup_host((hostname.as_str(), 22))
        .await
        .map(|mut a| a.next());
    match looked_up {
        Ok(Some(addr)) => Ok(addr.ip().to_string()),
        Ok(None) => Err(format!("{hostname} has no address")),
        Err(err) => Err(format!("{hostname} does not resolve: {err}")),
    }
}

/// Whether a path is usable as an ssh -F config (for a clear early error).
pub fn config_exists(settings: &SshSettings) -> Result<(), String> {
    match &settings.config {
        Some(path) if !Path::new(path).is_file() => {
            Err(format!("ssh config {} not found", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn handshakes_wait_their_turn_and_their_timeout_starts_with_it() {
        let gate = Arc::new(Semaphore::new(2));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        // Ten handshakes of 40 ms, two at a time: the last ones start after
        // 160 ms, later than their 150 ms timeout would end if it counted
        // from the call.
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    gated(&gate, Duration::from_millis(150), async {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(40)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert!(
                task.await.unwrap().is_some(),
                "a handshake timed out while waiting for its turn"
            );
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(gate.available_permits(), 2, "every permit is given back");
    }

    #[tokio::test]
    async fn a_handshake_that_hangs_times_out_and_frees_its_permit() {
        let gate = Semaphore::new(1);
        let hung = gated(
            &gate,
            Duration::from_millis(30),
            std::future::pending::<()>(),
        )
        .await;
        assert!(hung.is_none());
        assert_eq!(
            gated(&gate, Duration::from_millis(30), async { 7 }).await,
            Some(7)
        );
    }
}

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

/// Opens the node's connection (host key checked per `known_hosts`; first
/// refused if ssh's own settings would not check it, see
/// [`host_keys_checked`]).
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
    host_keys_checked(settings, node).await?;
    builder
        .known_hosts_check(strict_option(settings.known_hosts).0)
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

/// The `StrictHostKeyChecking` homectl passes to ssh for a policy, and how
/// `ssh -G` prints it when it is in force.
fn strict_option(policy: KnownHosts) -> (SshKnownHosts, &'static str, &'static str) {
    match policy {
        KnownHosts::Strict => (SshKnownHosts::Strict, "StrictHostKeyChecking=yes", "true"),
        KnownHosts::AcceptNew => (
            SshKnownHosts::Add,
            "StrictHostKeyChecking=accept-new",
            "accept-new",
        ),
    }
}

/// Refuses ssh settings under which a node's host key would not really be
/// checked, judged on what ssh itself will use: `ssh -G` (local, no
/// network) with the config, user and host-key option of the connection
/// (docs/inventory.md, `known_hosts`).
async fn host_keys_checked(settings: &SshSettings, node: &Node) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new("ssh");
    if let Some(config) = &settings.config {
        cmd.arg("-F").arg(config);
    }
    if let Some(user) = &settings.user {
        cmd.arg("-l").arg(user);
    }
    cmd.arg("-o")
        .arg(strict_option(settings.known_hosts).1)
        .arg("-G")
        .arg("--")
        .arg(&node.host)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = cmd
        .output()
        .await
        .map_err(|e| format!("cannot run ssh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ssh -G failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    judge(
        &String::from_utf8_lossy(&out.stdout),
        settings.known_hosts,
        &node.host,
        settings.config.as_deref(),
    )
}

/// The verdict on `ssh -G`'s output `g` for `host`.
fn judge(g: &str, policy: KnownHosts, host: &str, config: Option<&Path>) -> Result<(), String> {
    let value = |key: &str| {
        g.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .map(str::trim)
    };
    let source = match config {
        Some(path) => format!("ssh config {}", path.display()),
        None => "the ssh config (~/.ssh/config or /etc/ssh/ssh_config)".to_string(),
    };
    let policy_name = match policy {
        KnownHosts::Strict => "strict",
        KnownHosts::AcceptNew => "accept-new",
    };
    let (_, option, in_force) = strict_option(policy);
    let strict = value("stricthostkeychecking").unwrap_or("(not set)");
    if strict != in_force {
        return Err(format!(
            "ssh would not check the host key of {host}: with {source} and -o {option}, \
             `ssh -G` says StrictHostKeyChecking {strict}; homectl checks host keys \
             (known_hosts = \"{policy_name}\") and does not connect this way"
        ));
    }
    if policy == KnownHosts::AcceptNew {
        // ssh records new keys in the first file only.
        let file = value("userknownhostsfile").and_then(|v| v.split_whitespace().next());
        let problem = match file {
            None => Some("no file at all".to_string()),
            Some(file) => known_hosts_file_problem(Path::new(file)),
        };
        if let Some(why) = problem {
            return Err(format!(
                "known_hosts = \"accept-new\" needs a known_hosts file that keeps the keys it \
                 accepts, but for {host} {source} sets UserKnownHostsFile {} ({why}): every key \
                 would be new, accepted and never checked. Point UserKnownHostsFile at a real \
                 file (such as ~/.ssh/known_hosts), or use known_hosts = \"strict\"",
                file.unwrap_or("none")
            ));
        }
    }
    Ok(())
}

/// Why `path` cannot keep the host keys ssh records in it, if it cannot:
/// it must be a regular file that can be written, or one that ssh can
/// create (its folder exists and can be written, or is ~/.ssh, which ssh
/// creates).
fn known_hosts_file_problem(path: &Path) -> Option<String> {
    if path == Path::new("none") {
        return Some("none: no file".into());
    }
    if path == Path::new("/dev/null") {
        return Some("/dev/null keeps nothing".into());
    }
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Some("not a regular file".into()),
        Ok(_) => match std::fs::OpenOptions::new().append(true).open(path) {
            Ok(_) => None,
            Err(e) => Some(format!("cannot be written: {e}")),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let folder = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let home_ssh = std::env::var_os("HOME").map(|h| Path::new(&h).join(".ssh"));
            let creatable = if folder.is_dir() {
                can_create_in(folder)
            } else {
                home_ssh.as_deref() == Some(folder)
                    && folder
                        .parent()
                        .is_some_and(|home| home.is_dir() && can_create_in(home))
            };
            (!creatable).then(|| {
                format!(
                    "cannot be created: {} is not a folder that can be written",
                    folder.display()
                )
            })
        }
        Err(e) => Some(format!("cannot be read: {e}")),
    }
}

/// Whether a file can be created in `folder` (tried, and removed at once).
fn can_create_in(folder: &Path) -> bool {
    let probe = folder.join(format!(".homectl-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
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

/// Ends an SSH connection once nothing else holds it.
pub async fn close(session: Arc<Session>) {
    if let Ok(session) = Arc::try_unwrap(session) {
        let _ = session.close().await;
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

    fn settings(config: &Path, known_hosts: KnownHosts) -> SshSettings {
        SshSettings {
            user: None,
            config: Some(config.to_path_buf()),
            known_hosts,
            connect_timeout: Duration::from_secs(5),
        }
    }

    fn node(host: &str) -> Node {
        Node {
            name: "n".into(),
            host: host.into(),
            groups: vec![],
            stacks: vec![],
            scale: None,
            env: Default::default(),
            state_dir: None,
        }
    }

    /// The verdict on an ssh config (written to `dir`) for `node.example`,
    /// from what the real `ssh -G` says (local, no network).
    fn verdict(dir: &Path, config: &str, known_hosts: KnownHosts) -> Result<(), String> {
        let path = dir.join("ssh_config");
        std::fs::write(&path, config).unwrap();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(host_keys_checked(
                &settings(&path, known_hosts),
                &node("node.example"),
            ))
    }

    #[test]
    fn accept_new_refuses_a_known_hosts_file_that_cannot_hold_keys() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("a-folder")).unwrap();
        for (file, why) in [
            ("/dev/null", "/dev/null"),
            ("none", "none"),
            (d.join("a-folder").to_str().unwrap(), "not a regular file"),
            (
                d.join("no-such-folder/known_hosts").to_str().unwrap(),
                "cannot be created",
            ),
        ] {
            let config = format!("Host *\n  UserKnownHostsFile {file}\n");
            let err = verdict(d, &config, KnownHosts::AcceptNew).unwrap_err();
            assert!(
                err.contains("UserKnownHostsFile")
                    && err.contains("accept-new")
                    && err.contains(why),
                "{file}: {err}"
            );
        }
        // A symlink to /dev/null is /dev/null.
        std::os::unix::fs::symlink("/dev/null", d.join("link")).unwrap();
        let config = format!(
            "Host *\n  UserKnownHostsFile {}\n",
            d.join("link").display()
        );
        assert!(verdict(d, &config, KnownHosts::AcceptNew).is_err());
    }

    #[test]
    fn accept_new_takes_a_known_hosts_file_that_exists_or_can_be_created() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("known_hosts"), "").unwrap();
        for file in [d.join("known_hosts"), d.join("new_known_hosts")] {
            let config = format!("Host *\n  UserKnownHostsFile {}\n", file.display());
            assert_eq!(verdict(d, &config, KnownHosts::AcceptNew), Ok(()));
        }
        assert!(!d.join("new_known_hosts").exists(), "nothing is created");
        // Only the first file takes new keys: the first is what counts.
        let config = format!(
            "Host *\n  UserKnownHostsFile /dev/null {}\n",
            d.join("known_hosts").display()
        );
        assert!(verdict(d, &config, KnownHosts::AcceptNew).is_err());
    }

    #[test]
    fn strict_keeps_working_with_dev_null_which_then_knows_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let config = "Host *\n  UserKnownHostsFile /dev/null\n";
        assert_eq!(verdict(dir.path(), config, KnownHosts::Strict), Ok(()));
    }

    /// `StrictHostKeyChecking no` in the user's config does not win over
    /// homectl's own option (ssh takes the first value, the command line's).
    #[test]
    fn strict_host_key_checking_no_in_the_config_is_overridden() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("known_hosts"), "").unwrap();
        let config = format!(
            "Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile {}\n",
            d.join("known_hosts").display()
        );
        for policy in [KnownHosts::Strict, KnownHosts::AcceptNew] {
            assert_eq!(verdict(d, &config, policy), Ok(()), "{policy:?}");
        }
    }

    #[test]
    fn the_effective_setting_is_judged_as_ssh_prints_it() {
        let g = "user root\nstricthostkeychecking false\nuserknownhostsfile /x\n";
        let err = judge(g, KnownHosts::Strict, "h", None).unwrap_err();
        assert!(err.contains("StrictHostKeyChecking"), "{err}");
        let g = "stricthostkeychecking true\nuserknownhostsfile /dev/null\n";
        assert_eq!(judge(g, KnownHosts::Strict, "h", None), Ok(()));
        let g = "stricthostkeychecking accept-new\nuserknownhostsfile /dev/null\n";
        let err = judge(g, KnownHosts::AcceptNew, "h", Some(Path::new("/c"))).unwrap_err();
        assert!(err.contains("/dev/null") && err.contains("/c"), "{err}");
        let g = "stricthostkeychecking accept-new\n";
        assert!(judge(g, KnownHosts::AcceptNew, "h", None).is_err());
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

//! Where a node's remote shell runs (docs/architecture.md, "The transport"):
//! over the node's SSH connection, or in a local `sh` inside a folder that
//! stands for the node, for the flow tests. Either way the same holder.sh,
//! the same steps and the same frames go through a pipe; only the process
//! at its far end differs.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openssh::Session;
use tokio::io::{AsyncRead, AsyncWrite};

use super::operator::state_dir_candidates;
use super::ssh;
use super::ssh::close;
use crate::inventory::{Node, SshSettings};

/// How a command reaches its nodes.
#[derive(Debug, Clone)]
pub enum Transport {
    /// One SSH connection per node (`ssh.rs`).
    Ssh,
    /// Each node is the folder `ROOT/NODE`: its shell is a local `sh` run
    /// there, with `ROOT/NODE/bin` first on PATH (stand-ins for `docker`),
    /// `ROOT/NODE/home` as HOME and `ROOT/NODE/state` as its state folder.
    Local(PathBuf),
}

impl Transport {
    pub async fn connect(&self, settings: &SshSettings, node: &Node) -> Result<Connection, String> {
        match self {
            Transport::Ssh => ssh::connect(settings, node).await.map(Connection::Ssh),
            Transport::Local(root) => {
                let dir = root.join(&node.name);
                if !dir.is_dir() {
                    return Err(format!("no such node folder {}", dir.display()));
                }
                Ok(Connection::Local(Arc::new(dir)))
            }
        }
    }
}

/// One node's connection: what its remote processes are started through.
#[derive(Clone)]
pub enum Connection {
    Ssh(Arc<Session>),
    Local(Arc<PathBuf>),
}

/// A remote process's stdin and stdout.
pub struct Pipes {
    pub stdin: Pin<Box<dyn AsyncWrite + Send>>,
    pub stdout: Pin<Box<dyn AsyncRead + Send>>,
}

/// A remote process, to wait for.
pub struct RemoteProcess(Child);

enum Child {
    Ssh(openssh::Child<Arc<Session>>),
    Local(tokio::process::Child),
}

impl Connection {
    /// The state folders to try, in order (docs/inventory.md, "The state
    /// folder"); a local node has its own.
    pub fn state_dirs(&self, node: &Node) -> Vec<String> {
        match self {
            Connection::Ssh(_) => state_dir_candidates(node),
            Connection::Local(dir) => vec![dir.join("state").display().to_string()],
        }
    }

    /// Starts `sh -c SCRIPT ARGS...` with stdin and stdout piped (stderr
    /// dropped, as the remote shell sends everything on stdout).
    pub async fn spawn_sh(
        &self,
        script: &str,
        args: &[&str],
    ) -> Result<(Pipes, RemoteProcess), String> {
        match self {
            Connection::Ssh(session) => {
                let mut command = session.clone().arc_command("sh");
                command.arg("-c").arg(script).args(args);
                let mut child = command
                    .stdin(openssh::Stdio::piped())
                    .stdout(openssh::Stdio::piped())
                    .stderr(openssh::Stdio::null())
                    .spawn()
                    .await
                    .map_err(|e| e.to_string())?;
                let stdin = child.stdin().take().expect("piped stdin");
                let stdout = child.stdout().take().expect("piped stdout");
                let pipes = Pipes {
                    stdin: Box::pin(stdin),
                    stdout: Box::pin(stdout),
                };
                Ok((pipes, RemoteProcess(Child::Ssh(child))))
            }
            Connection::Local(dir) => {
                let mut child = local_command(dir, script, args)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| e.to_string())?;
                let stdin = child.stdin.take().expect("piped stdin");
                let stdout = child.stdout.take().expect("piped stdout");
                let pipes = Pipes {
                    stdin: Box::pin(stdin),
                    stdout: Box::pin(stdout),
                };
                Ok((pipes, RemoteProcess(Child::Local(child))))
            }
        }
    }

    /// Ends the connection once nothing else uses it.
    pub async fn close(self) {
        if let Connection::Ssh(session) = self {
            close(session).await;
        }
    }
}

impl RemoteProcess {
    /// Waits (at most `limit`) for the process to end.
    pub async fn wait(self, limit: Duration) {
        match self.0 {
            Child::Ssh(child) => {
                let _ = tokio::time::timeout(limit, child.wait()).await;
            }
            Child::Local(mut child) => {
                let _ = tokio::time::timeout(limit, child.wait()).await;
            }
        }
    }
}

/// `sh -c SCRIPT ARGS...` in a local node's folder.
fn local_command(dir: &Path, script: &str, args: &[&str]) -> tokio::process::Command {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        // The registry login's tmpfs folder (lib.sh): the node's own, if
        // its folder has one, so that nodes never sweep each other's.
        .env("XDG_RUNTIME_DIR", dir.join("run"));
    command
}

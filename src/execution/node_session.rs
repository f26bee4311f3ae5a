//! A node's connection and remote shell, for the commands that read or
//! change one thing (status, history, logs, down, unlock).

use std::sync::Arc;
use std::time::Duration;

use openssh::Session;

use super::operator::{operator, state_dir_candidates};
use super::ssh::{self, close};
use super::transport::Connection;
use super::{RemoteShell, StartError, StepError};
use crate::inventory::{Inventory, Node};
use crate::remote::Step;

pub struct NodeSession {
    pub session: Arc<Session>,
    pub shell: RemoteShell,
}

impl NodeSession {
    /// Connects and starts the remote shell; `lock` takes the node's lock.
    pub async fn open(
        inventory: &Inventory,
        node: &Node,
        lock: bool,
    ) -> Result<NodeSession, String> {
        let session = ssh::connect(&inventory.ssh, node)
            .await
            .map_err(|e| format!("ssh: {e}"))?;
        let timeout = inventory.ssh.connect_timeout * 3;
        match RemoteShell::start(
            &Connection::Ssh(session.clone()),
            lock,
            &operator(),
            &state_dir_candidates(node),
            timeout,
        )
        .await
        {
            Ok(shell) => Ok(NodeSession { session, shell }),
            Err(e) => {
                close(session).await;
                Err(match e {
                    StartError::Locked(holder) => format!(
                        "locked by {holder}; if that command is gone, run `homectl unlock {}`",
                        node.name
                    ),
                    StartError::NoStateDir(tried) => {
                        format!("no state folder can be created and written (tried {tried})")
                    }
                    StartError::Other(e) => e,
                })
            }
        }
    }

    /// Runs a step that must succeed; the error carries its output.
    pub async fn run(&mut self, step: &Step, timeout: Duration) -> Result<String, String> {
        match self.shell.run(step, timeout).await {
            Ok(out) if out.code == 0 => Ok(out.output),
            Ok(out) => Err(format!("{} failed: {}", step.name, out.output.trim())),
            Err(StepError::Timeout) => Err(format!(
                "{}: no answer within {}s",
                step.name,
                timeout.as_secs()
            )),
            Err(StepError::Lost(e)) => Err(format!("{}: connection lost: {e}", step.name)),
        }
    }

    pub async fn close(self) {
        self.shell.finish().await;
        close(self.session).await;
    }
}

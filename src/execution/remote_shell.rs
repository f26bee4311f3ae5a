//! Drives a node's remote shell (src/remote/holder.sh) over one channel of
//! its connection (`transport.rs`): starts it (state folder, lock), runs
//! steps one after another, each read up to its end marker
//! (`step_output.rs`).

use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::step_output::{read_line, read_step_output};
pub use super::step_output::{StepError, StepOutput};
use super::transport::{Connection, RemoteProcess};
use crate::remote::{Step, HOLDER_SCRIPT};

/// Reads the remote shell's code (a length line, then the code) from stdin
/// and runs it with the arguments homectl passed. Short (it is in the
/// node's process list) and without values. `dd bs=1` reads exactly `n`
/// bytes, never ahead (docs/architecture.md, "The remote shell").
pub const BOOTSTRAP: &str =
    "IFS= read -r n && s=$(dd bs=1 count=\"$n\" 2>/dev/null) && eval \"$s\"";

pub struct RemoteShell {
    process: RemoteProcess,
    stdin: Pin<Box<dyn AsyncWrite + Send>>,
    stdout: BufReader<Pin<Box<dyn AsyncRead + Send>>>,
    mark: String,
    /// The node's state folder, chosen by the remote shell.
    pub state_dir: String,
}

/// Why the remote shell did not start.
#[derive(Debug)]
pub enum StartError {
    /// Another command holds the node's lock: who, pid, since when.
    Locked(String),
    /// No state folder could be created and written: the folders tried.
    NoStateDir(String),
    Other(String),
}

impl RemoteShell {
    /// Starts the remote shell. `lock`: take the node's lock. `who`: the
    /// operator, shown to anyone who finds the node locked.
    pub async fn start(
        connection: &Connection,
        lock: bool,
        who: &str,
        state_dirs: &[String],
        timeout: Duration,
    ) -> Result<RemoteShell, StartError> {
        let nonce = nonce();
        // The remote shell's own code comes first on stdin, so the node's
        // process list shows a short command line, not the whole script.
        let mut args = vec!["homectl", &nonce, if lock { "lock" } else { "nolock" }, who];
        args.extend(state_dirs.iter().map(String::as_str));
        let (mut pipes, process) = connection
            .spawn_sh(BOOTSTRAP, &args)
            .await
            .map_err(|e| StartError::Other(format!("cannot start the remote shell: {e}")))?;
        if let Err(e) = pipes.stdin.write_all(boot_input().as_bytes()).await {
            return Err(StartError::Other(format!(
                "cannot start the remote shell: {e}"
            )));
        }
        let mark = format!("@@homectl-{nonce}");
        let mut shell = RemoteShell {
            process,
            stdin: pipes.stdin,
            stdout: BufReader::new(pipes.stdout),
            mark,
            state_dir: String::new(),
        };

        let line = match tokio::time::timeout(timeout, shell.read_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => {
                return Err(StartError::Other(
                    "the remote shell ended at once (is /bin/sh a POSIX shell, with dd?)".into(),
                ))
            }
            Ok(Err(e)) => return Err(StartError::Other(e)),
            Err(_) => return Err(StartError::Other("the remote shell did not answer".into())),
        };
        let rest = line.strip_prefix(&shell.mark).unwrap_or("");
        if let Some(dir) = rest.strip_prefix("-ready ") {
            shell.state_dir = dir.to_string();
            Ok(shell)
        } else if let Some(holder) = rest.strip_prefix("-locked ") {
            Err(StartError::Locked(holder.to_string()))
        } else if let Some(tried) = rest.strip_prefix("-nostate ") {
            Err(StartError::NoStateDir(tried.to_string()))
        } else if let Some(message) = rest.strip_prefix("-error ") {
            Err(StartError::Other(message.to_string()))
        } else {
            Err(StartError::Other(format!(
                "unexpected answer from the remote shell: {}",
                line.chars().take(200).collect::<String>()
            )))
        }
    }

    /// Runs one step and returns its output and exit code.
    pub async fn run(&mut self, step: &Step, timeout: Duration) -> Result<StepOutput, StepError> {
        let frames = step.frames();
        // What travels for this step: the script's frame and the data
        // frames' bytes (docs/stacks.md, "What travels"). Sizes only.
        tracing::debug!(
            step = %step.name,
            script_bytes = step.script.len(),
            data_frames = step.data.len(),
            data_bytes = step.data_bytes(),
            "step frames"
        );
        let work = async {
            self.stdin
                .write_all(&frames)
                .await
                .map_err(|e| StepError::Lost(e.to_string()))?;
            self.stdin
                .flush()
                .await
                .map_err(|e| StepError::Lost(e.to_string()))?;
            let end = format!("{}-rc ", self.mark);
            read_step_output(&mut self.stdout, &end).await
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(StepError::Timeout),
        }
    }

    /// Closes stdin: the remote shell ends, and with it the lock.
    pub async fn finish(mut self) {
        let _ = self.stdin.shutdown().await;
        drop(self.stdin);
        self.process.wait(Duration::from_secs(10)).await;
    }

    async fn read_line(&mut self) -> Result<Option<String>, String> {
        read_line(&mut self.stdout).await
    }
}

/// What BOOTSTRAP reads first on stdin: holder.sh's length, then its code.
pub(super) fn boot_input() -> String {
    format!("{}\n{HOLDER_SCRIPT}", HOLDER_SCRIPT.len())
}

/// A random marker, so no step output can fake the end of a step.
fn nonce() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    format!(
        "{:016x}{:016x}",
        h.finish(),
        RandomState::new().build_hasher().finish()
    )
}

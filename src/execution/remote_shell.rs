//! Drives a node's remote shell (src/remote/holder.sh) over one SSH
//! channel: starts it (state folder, lock), runs steps one after another,
//! and reads each step's output up to its end marker.

use std::sync::Arc;
use std::time::Duration;

use openssh::{Child, Session, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::remote::{Step, HOLDER_SCRIPT};

/// Reads the remote shell's code (a length line, then the code) from stdin
/// and runs it with the arguments homectl passed.
pub const BOOTSTRAP: &str = "IFS= read -r n && s=$(head -c \"$n\") && eval \"$s\"";

pub struct RemoteShell {
    child: Child<Arc<Session>>,
    stdin: openssh::ChildStdin,
    stdout: BufReader<openssh::ChildStdout>,
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

/// What a step printed (stdout and stderr together) and its exit code.
#[derive(Debug)]
pub struct StepOutput {
    pub code: i32,
    pub output: String,
}

#[derive(Debug)]
pub enum StepError {
    /// No end marker within the step's time limit.
    Timeout,
    /// The connection or the remote shell went away.
    Lost(String),
}

impl RemoteShell {
    /// Starts the remote shell. `lock`: take the node's lock. `who`: the
    /// operator, shown to anyone who finds the node locked.
    pub async fn start(
        session: Arc<Session>,
        lock: bool,
        who: &str,
        state_dirs: &[String],
        timeout: Duration,
    ) -> Result<RemoteShell, StartError> {
        let nonce = nonce();
        let mut command = session.arc_command("sh");
        // The remote shell's own code comes first on stdin, so the node's
        // process list shows a short command line, not the whole script.
        command
            .arg("-c")
            .arg(BOOTSTRAP)
            .arg("homectl")
            .arg(&nonce)
            .arg(if lock { "lock" } else { "nolock" })
            .arg(who);
        for dir in state_dirs {
            command.arg(dir);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .await
            .map_err(|e| StartError::Other(format!("cannot start the remote shell: {e}")))?;
        let mut stdin = child.stdin().take().expect("piped stdin");
        let boot = format!("{}\n{HOLDER_SCRIPT}", HOLDER_SCRIPT.len());
        if let Err(e) = stdin.write_all(boot.as_bytes()).await {
            return Err(StartError::Other(format!(
                "cannot start the remote shell: {e}"
            )));
        }
        let stdout = BufReader::new(child.stdout().take().expect("piped stdout"));
        let mark = format!("@@homectl-{nonce}");
        let mut shell = RemoteShell {
            child,
            stdin,
            stdout,
            mark,
            state_dir: String::new(),
        };

        let line = match tokio::time::timeout(timeout, shell.read_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => {
                return Err(StartError::Other(
                    "the remote shell ended at once (is /bin/sh a POSIX shell?)".into(),
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
            let mut output = String::new();
            loop {
                match self.read_line().await.map_err(StepError::Lost)? {
                    None => return Err(StepError::Lost("the connection closed".into())),
                    Some(line) => match line.strip_prefix(&end) {
                        Some(code) => {
                            // holder.sh prints a newline before the marker.
                            if output.ends_with('\n') {
                                output.pop();
                            }
                            return Ok(StepOutput {
                                code: code.trim().parse().unwrap_or(255),
                                output,
                            });
                        }
                        None => {
                            output.push_str(&line);
                            output.push('\n');
                        }
                    },
                }
            }
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
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    async fn read_line(&mut self) -> Result<Option<String>, String> {
        let mut buf = Vec::new();
        let n = self
            .stdout
            .read_until(b'\n', &mut buf)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(None);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    }
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

//! A one-off command on a node (`homectl exec`, `run`): its own SSH channel
//! over the node's connection, its stdout and stderr streamed as they come
//! (masked, or exactly with `run --raw`), its exit code passed through.
//!
//! Without a terminal the channel starts like the holder (`sh -c
//! BOOTSTRAP`): the code, then the data frames (secrets) on stdin, never in
//! an argv. Ctrl-C closes stdin, which ends the command on the node
//! (scripts/one_off.sh). With a terminal (`exec -it`), the system's `ssh
//! -tt` runs through the same ControlMaster socket, so it opens no new
//! connection and asks for a pty for that session only.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use openssh::{Session, Stdio};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::remote::steps::one_off::channel_code;
use crate::remote::Step;
use crate::report::Printer;
use crate::secrets::{Masker, StreamMasker};

/// How the command's output is shown.
pub enum Shown {
    /// Secret values replaced by `***`, every other byte as it came.
    Masked(Masker, Masker),
    /// Exactly as it came (`run --raw`).
    Raw,
}

/// One output stream: masked or not.
struct Sink {
    masker: Option<StreamMasker>,
    stderr: bool,
}

impl Sink {
    fn show(&mut self, printer: &Printer, bytes: &[u8]) {
        let shown = match &mut self.masker {
            Some(m) => m.push(bytes),
            None => bytes.to_vec(),
        };
        self.write(printer, &shown);
    }

    fn finish(&mut self, printer: &Printer) {
        if let Some(m) = &mut self.masker {
            let rest = m.finish();
            self.write(printer, &rest);
        }
    }

    fn write(&self, printer: &Printer, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.stderr {
            printer.err_bytes(bytes)
        } else {
            printer.out_bytes(bytes)
        }
    }
}

fn sinks(shown: Shown) -> (Sink, Sink) {
    match shown {
        Shown::Masked(out, err) => (
            Sink {
                masker: Some(out.into_stream()),
                stderr: false,
            },
            Sink {
                masker: Some(err.into_stream()),
                stderr: true,
            },
        ),
        Shown::Raw => (
            Sink {
                masker: None,
                stderr: false,
            },
            Sink {
                masker: None,
                stderr: true,
            },
        ),
    }
}

/// Runs `step` in a channel of its own; returns the command's exit code.
pub async fn run_in_channel(
    session: Arc<Session>,
    node: &str,
    step: &Step,
    shown: Shown,
    printer: &Printer,
) -> Result<i32> {
    let mut child = session
        .arc_command("sh")
        .arg("-c")
        .arg(super::ONE_OFF_BOOTSTRAP)
        .arg("homectl-one-off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .await
        .map_err(|e| Error::runtime(format!("{node}: cannot start {}: {e}", step.name)))?;
    let mut stdin = child.stdin().take();
    if let Some(s) = stdin.as_mut() {
        let mut input = channel_code(step).into_bytes();
        input.extend(step.data_frames());
        s.write_all(&input)
            .await
            .map_err(|e| Error::runtime(format!("{node}: cannot start {}: {e}", step.name)))?;
        let _ = s.flush().await;
    }
    let mut out = child.stdout().take().expect("piped");
    let mut err = child.stderr().take().expect("piped");
    let (mut out_sink, mut err_sink) = sinks(shown);
    let (mut out_buf, mut err_buf) = (vec![0u8; 64 * 1024], vec![0u8; 16 * 1024]);
    let (mut out_done, mut err_done, mut interrupted) = (false, false, false);
    while !(out_done && err_done) {
        tokio::select! {
            n = read(&mut out, &mut out_buf), if !out_done => match n {
                Some(n) => out_sink.show(printer, &out_buf[..n]),
                None => out_done = true,
            },
            n = read(&mut err, &mut err_buf), if !err_done => match n {
                Some(n) => err_sink.show(printer, &err_buf[..n]),
                None => err_done = true,
            },
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                // Closing stdin ends the command on the node (one_off.sh).
                interrupted = true;
                if let Some(mut s) = stdin.take() { let _ = s.shutdown().await; }
            }
        }
    }
    out_sink.finish(printer);
    err_sink.finish(printer);
    // The command ended: stdin closes, the node's watcher ends too.
    if let Some(mut s) = stdin.take() {
        let _ = s.shutdown().await;
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    if interrupted {
        return Err(Error::Interrupted);
    }
    match status {
        Ok(Ok(s)) => s.code().ok_or_else(|| {
            Error::runtime(format!("{node}: {} ended without an exit code", step.name))
        }),
        Ok(Err(e)) => Err(Error::runtime(format!("{node}: {}: {e}", step.name))),
        Err(_) => Err(Error::runtime(format!("{node}: {} did not end", step.name))),
    }
}

/// Runs `remote_command` under a pseudo-terminal: the system's `ssh -tt`
/// through the session's control socket (stdin and the terminal are
/// ssh's; its output comes through here to be masked).
pub async fn run_in_terminal(
    session: &Session,
    ssh_config: Option<&Path>,
    host: &str,
    remote_command: &str,
    masker: Masker,
    printer: &Printer,
) -> Result<i32> {
    let mut command = tokio::process::Command::new("ssh");
    if let Some(config) = ssh_config {
        command.arg("-F").arg(config);
    }
    command
        .arg("-S")
        .arg(session.control_socket())
        .args([
            "-o",
            "ControlMaster=no",
            "-o",
            "LogLevel=ERROR",
            "-tt",
            "--",
            host,
            remote_command,
        ])
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    let mut child = command
        .spawn()
        .map_err(|e| Error::runtime(format!("cannot run ssh: {e}")))?;
    let mut out = child.stdout.take().expect("piped");
    let mut sink = Sink {
        masker: Some(masker.into_stream()),
        stderr: false,
    };
    let mut buf = vec![0u8; 16 * 1024];
    while let Some(n) = read(&mut out, &mut buf).await {
        sink.show(printer, &buf[..n]);
    }
    sink.finish(printer);
    let status = child
        .wait()
        .await
        .map_err(|e| Error::runtime(format!("ssh: {e}")))?;
    status
        .code()
        .ok_or_else(|| Error::runtime("ssh ended without an exit code"))
}

/// The next chunk of a stream; None at its end or on a read error.
async fn read<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> Option<usize> {
    match reader.read(buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(n),
    }
}

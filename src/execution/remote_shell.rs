//! Drives a node's remote shell (src/remote/holder.sh) over one SSH
//! channel: starts it (state folder, lock), runs steps one after another,
//! and reads each step's output up to its end marker.

use std::sync::Arc;
use std::time::Duration;

use openssh::{Child, Session, Stdio};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::remote::{Step, HOLDER_SCRIPT};

/// Reads the remote shell's code (a length line, then the code) from stdin
/// and runs it with the arguments homectl passed. Short (it is in the
/// node's process list) and without values. `dd bs=1` reads exactly `n`
/// bytes, never ahead (docs/architecture.md, "The remote shell").
pub(crate) const BOOTSTRAP: &str =
    "IFS= read -r n && s=$(dd bs=1 count=\"$n\" 2>/dev/null) && eval \"$s\"";

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
        if let Err(e) = stdin.write_all(boot_input().as_bytes()).await {
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
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    async fn read_line(&mut self) -> Result<Option<String>, String> {
        read_line(&mut self.stdout).await
    }
}

/// One line of `reader`, without its newline; None at the end.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<String>, String> {
    let mut buf = Vec::new();
    let n = reader
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

/// A step's output (stdout and stderr together) as holder.sh relays it,
/// up to the line `END CODE`.
async fn read_step_output<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    end: &str,
) -> Result<StepOutput, StepError> {
    let mut output = String::new();
    loop {
        match read_line(reader).await.map_err(StepError::Lost)? {
            None => return Err(StepError::Lost("the connection closed".into())),
            Some(line) => match line.strip_prefix(end) {
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
}

/// What BOOTSTRAP reads first on stdin: holder.sh's length, then its code.
fn boot_input() -> String {
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;
    use std::process::{Command, Stdio};

    use super::*;
    use crate::remote::{quote, Payload};
    use crate::secrets::SecretValue;

    /// The shells a node may have; each runs with BusyBox `head` first on
    /// PATH, whose `head -c` reads ahead of what it prints (BusyBox sh
    /// with BusyBox's `dd` and `wc` as well).
    const SHELLS: [&[&str]; 4] = [
        &["dash"],
        &["bash"],
        &["bash", "--posix"],
        &["/bin/busybox", "sh"],
    ];

    /// Starts the remote shell as `RemoteShell::start` does (BOOTSTRAP,
    /// holder.sh on stdin, then the frames once it answers ready), feeds it
    /// `steps` and then `tail` through a pipe, and returns what it printed
    /// once stdin is closed.
    fn run_holder(shell: &[&str], dir: &Path, steps: &[Step], tail: &[u8]) -> String {
        use std::io::{BufRead, Read};
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // BusyBox sh gets BusyBox's dd and wc too: a BusyBox userland.
        let tools: &[&str] = if shell[0].ends_with("busybox") {
            &["head", "dd", "wc"]
        } else {
            &["head"]
        };
        for tool in tools {
            let link = bin.join(tool);
            if !link.exists() {
                std::os::unix::fs::symlink("/bin/busybox", &link).unwrap();
            }
        }
        let mut frames = Vec::new();
        for step in steps {
            frames.extend(step.frames());
        }
        frames.extend_from_slice(tail);
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut child = Command::new(shell[0])
            .args(&shell[1..])
            .arg("-c")
            .arg(BOOTSTRAP)
            .args(["homectl", "N0NCE", "nolock", "tester"])
            .arg(dir.join("state"))
            .current_dir(dir)
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{shell:?}: {e} (apt-get install dash bash busybox-static)")
            });
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(boot_input().as_bytes()).unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut out = String::new();
        stdout.read_line(&mut out).unwrap();
        let writer = std::thread::spawn(move || {
            if out.contains("-ready ") {
                let _ = stdin.write_all(&frames);
            }
            out
        });
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        child.wait().unwrap();
        let out = writer.join().unwrap();
        format!("{out}{}", String::from_utf8_lossy(&rest))
    }

    /// A step that writes its one data frame to `file`, byte for byte.
    fn echo_step(file: &Path, payload: Payload) -> Step {
        Step::new(
            "echo",
            format!(
                "hc_data V; printf %s \"$V\" >{}",
                quote(&file.display().to_string())
            ),
        )
        .with_data("V", payload)
    }

    /// Data frames that look like frames and commands: nothing in them
    /// runs, every one comes back byte-exact, whatever the shell, even with
    /// a `head` that reads ahead.
    #[test]
    fn data_frames_are_never_run_and_come_back_byte_exact_in_every_shell() {
        for shell in SHELLS {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let canary = d.join("PWNED");
            let touch = format!("touch {}", quote(&canary.display().to_string()));
            // The reproduction: frame headers and commands inside data.
            let mut lure = "zzzzzz\n".to_string();
            for _ in 0..300 {
                lure.push_str(&format!("step {}\n{touch}\n", touch.len() + 1));
            }
            let json: String = std::iter::once("{\n".to_string())
                .chain((0..200).map(|i| format!("  \"part{i}\": \"Sekr3tPart{i}\",\n")))
                .chain(std::iter::once("  \"end\": true\n}".to_string()))
                .collect();
            let values = [
                lure.clone(),
                json.clone(),
                "no trailing newline".to_string(),
                "back\\slash\\n \\\\ end\\".to_string(),
                format!("$({touch}) `{touch}`"),
                "   leading spaces\n\ttab\n".to_string(),
                "\n\n\ntrailing newlines\n\n\n".to_string(),
                String::new(),
                "é ü 日本".to_string(),
            ];
            let mut steps = vec![Step::new("lure", "hc_data A; echo got")
                .with_data("A", Payload::Plain(lure.clone()))];
            for (i, value) in values.iter().enumerate() {
                let payload = if i == 1 {
                    Payload::Secret(SecretValue::new(value.clone()))
                } else {
                    Payload::Plain(value.clone())
                };
                steps.push(echo_step(&d.join(format!("out{i}")), payload));
            }
            steps.push(Step::new("last", "echo last-step-ran"));
            let out = run_holder(shell, d, &steps, b"");

            assert!(
                !canary.exists(),
                "{shell:?} ran a command from a data frame:\n{out}"
            );
            assert!(out.contains("\ngot\n"), "{shell:?}:\n{out}");
            assert!(out.contains("last-step-ran"), "{shell:?}:\n{out}");
            assert_eq!(
                out.matches("@@homectl-N0NCE-rc 0\n").count(),
                steps.len(),
                "{shell:?}: every step ran and succeeded:\n{out}"
            );
            for (i, value) in values.iter().enumerate() {
                let back = std::fs::read(d.join(format!("out{i}"))).unwrap();
                assert!(
                    back == value.as_bytes(),
                    "{shell:?}: value {i} changed in transit"
                );
            }
        }
    }

    /// A step frame cut short by the end of stdin (the connection lost
    /// mid-frame) is not run: never half a step.
    #[test]
    fn a_step_frame_cut_short_is_not_run() {
        for shell in SHELLS {
            let dir = tempfile::tempdir().unwrap();
            let canary = dir.path().join("HALF");
            let cut = format!(
                "step 1000\ntouch {}\n",
                quote(&canary.display().to_string())
            );
            let out = run_holder(shell, dir.path(), &[], cut.as_bytes());
            assert!(out.contains("@@homectl-N0NCE-ready"), "{shell:?}:\n{out}");
            assert!(!canary.exists(), "{shell:?} ran half a step:\n{out}");
        }
    }

    /// A 20 KB step and a 1 MB data frame, under dash: measured, and
    /// byte-exact (the time is printed, `--nocapture` to see it).
    #[test]
    #[allow(clippy::print_stderr)] // the measurement, for docs/architecture.md
    fn a_megabyte_frame_is_read_whole_and_in_reasonable_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        let line = "0123456789abcdef\\$(x) 0123456789abcdef 0123456789abcdef 0123456789abc\n";
        let big: String = line.repeat((1 << 20) / line.len() + 1)[..1 << 20].to_string();
        let mut step = echo_step(&file, Payload::Plain(big.clone()));
        step.script = format!("{}{}", "# padding to 20 KB\n".repeat(1100), step.script);
        assert!(step.script.len() > 20_000);
        let start = std::time::Instant::now();
        let out = run_holder(&["dash"], dir.path(), &[step], b"");
        let took = start.elapsed();
        eprintln!("a 1 MiB data frame and a 20 KB step under dash: {took:?}");
        assert!(out.contains("@@homectl-N0NCE-rc 0"), "{out}");
        assert!(std::fs::read(&file).unwrap() == big.as_bytes());
        assert!(took < Duration::from_secs(20), "{took:?}");
    }
}

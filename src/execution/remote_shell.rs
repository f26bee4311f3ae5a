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
pub const BOOTSTRAP: &str =
    "IFS= read -r n && s=$(dd bs=1 count=\"$n\" 2>/dev/null) && eval \"$s\"";

/// The most of a step's output that is kept: its last 1 MiB, in whole
/// lines (docs/architecture.md, "The remote shell").
pub const STEP_OUTPUT_LIMIT: usize = 1 << 20;

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
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    async fn read_line(&mut self) -> Result<Option<String>, String> {
        read_line(&mut self.stdout).await
    }
}

/// One line of `reader`, without its newline; None at the end. For the
/// remote shell's first answer: a line of more than 64 KiB is not read
/// into memory, only described.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<String>, String> {
    match read_bounded_line(reader, 64 << 10)
        .await
        .map_err(|e| e.to_string())?
    {
        None => Ok(None),
        Some(Line::Text(line)) => Ok(Some(String::from_utf8_lossy(&line).into_owned())),
        Some(Line::TooLong(bytes)) => Ok(Some(format!("<a line of {bytes} bytes>"))),
    }
}

/// A step's output (stdout and stderr together) as holder.sh relays it,
/// up to the line `END CODE`. Keeps at most [`STEP_OUTPUT_LIMIT`] bytes:
/// the last whole lines, after a line saying how many bytes were dropped.
async fn read_step_output<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    end: &str,
) -> Result<StepOutput, StepError> {
    let mut tail = Tail::new(STEP_OUTPUT_LIMIT);
    loop {
        let line = read_bounded_line(reader, STEP_OUTPUT_LIMIT - 1)
            .await
            .map_err(|e| StepError::Lost(e.to_string()))?;
        match line {
            None => return Err(StepError::Lost("the connection closed".into())),
            // A line longer than the limit is not the end marker.
            Some(Line::TooLong(bytes)) => tail.dropped += bytes,
            Some(Line::Text(line)) => match line.strip_prefix(end.as_bytes()) {
                Some(code) => {
                    let code = String::from_utf8_lossy(code).trim().parse().unwrap_or(255);
                    return Ok(StepOutput {
                        code,
                        output: tail.into_output(),
                    });
                }
                None => tail.push_line(&line),
            },
        }
    }
}

/// A line read by [`read_bounded_line`].
enum Line {
    /// Without its newline.
    Text(Vec<u8>),
    /// Longer than the limit: not kept, only its length (with its newline).
    TooLong(u64),
}

/// The next line of `reader`, holding at most `limit` bytes of it in
/// memory (`read_until` would hold a line without end whole). None at the
/// end; a last line without newline is a line.
async fn read_bounded_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long: u64 = 0;
    let mut any = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => None,
                (true, 0) => Some(Line::Text(line)),
                (true, n) => Some(Line::TooLong(n)),
            });
        }
        any = true;
        let (piece, newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        if too_long == 0 && line.len() + piece.len() <= limit {
            line.extend_from_slice(piece);
        } else {
            too_long += (line.len() + piece.len()) as u64;
            line = Vec::new();
        }
        let used = piece.len() + usize::from(newline);
        reader.consume(used);
        if newline {
            return Ok(Some(if too_long == 0 {
                Line::Text(line)
            } else {
                Line::TooLong(too_long + 1)
            }));
        }
    }
}

/// The last whole lines of a step's output, at most `limit` bytes, and how
/// many bytes before them were dropped. Whole lines only, so that a secret
/// value is never cut in two, which would keep its second half from being
/// masked.
struct Tail {
    buf: Vec<u8>,
    /// Where the kept lines start in `buf` (dropped lines are removed from
    /// `buf` in batches).
    start: usize,
    limit: usize,
    dropped: u64,
}

impl Tail {
    fn new(limit: usize) -> Tail {
        Tail {
            buf: Vec::new(),
            start: 0,
            limit,
            dropped: 0,
        }
    }

    fn push_line(&mut self, line: &[u8]) {
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        while self.buf.len() - self.start > self.limit {
            let kept = &self.buf[self.start..];
            let first = kept
                .iter()
                .position(|&b| b == b'\n')
                .map_or(kept.len(), |i| i + 1);
            self.start += first;
            self.dropped += first as u64;
        }
        if self.start > self.limit {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    fn into_output(self) -> String {
        let mut kept = &self.buf[self.start..];
        // holder.sh prints a newline before the marker.
        if let Some(rest) = kept.strip_suffix(b"\n") {
            kept = rest;
        }
        let text = String::from_utf8_lossy(kept);
        if self.dropped == 0 {
            text.into_owned()
        } else {
            format!(
                "[homectl: {} earlier bytes of this step's output not kept]\n{text}",
                self.dropped
            )
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

    fn read_output(stream: &[u8]) -> Result<StepOutput, StepError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // Small reads, as from a network: lines arrive in pieces.
        let mut reader = tokio::io::BufReader::with_capacity(4096, stream);
        rt.block_on(read_step_output(&mut reader, "@@homectl-N0NCE-rc "))
    }

    #[test]
    fn a_short_output_is_kept_as_it_is() {
        let out = read_output(b"a\n  b\n\n@@homectl-N0NCE-rc 3\n").unwrap();
        assert_eq!((out.code, out.output.as_str()), (3, "a\n  b\n"));
    }

    /// A step that prints without end keeps at most the limit in memory:
    /// its last lines (the error comes last), and how much was dropped.
    #[test]
    fn a_huge_output_keeps_its_last_mebibyte_and_says_how_much_was_dropped() {
        let mut stream = Vec::new();
        let mut i = 0;
        while stream.len() < 3 * STEP_OUTPUT_LIMIT {
            stream.extend_from_slice(format!("progress line {i}\n").as_bytes());
            i += 1;
        }
        stream.extend_from_slice(b"error: the real reason\n\n@@homectl-N0NCE-rc 1\n");
        let out = read_output(&stream).unwrap();
        assert_eq!(out.code, 1);
        assert!(
            out.output.len() <= STEP_OUTPUT_LIMIT + 100,
            "{} bytes kept",
            out.output.len()
        );
        let last = format!("progress line {}\nerror: the real reason\n", i - 1);
        assert!(out.output.ends_with(&last));
        let (notice, kept) = out.output.split_once('\n').unwrap();
        assert!(kept.len() <= STEP_OUTPUT_LIMIT, "{} bytes kept", kept.len());
        assert!(
            kept.len() > STEP_OUTPUT_LIMIT - 100,
            "{} bytes kept",
            kept.len()
        );
        // Whole lines only: a value cut in two would escape masking.
        assert!(kept.starts_with("progress line "), "{}", &kept[..40]);
        let dropped = stream.len() - "\n@@homectl-N0NCE-rc 1\n".len() - kept.len();
        assert_eq!(
            notice,
            format!("[homectl: {dropped} earlier bytes of this step's output not kept]")
        );
    }

    /// One line without end (no newline for 5 MiB) is not kept whole either.
    #[test]
    fn an_endless_line_is_dropped_and_the_lines_after_it_are_kept() {
        let mut stream = vec![b'y'; 5 * STEP_OUTPUT_LIMIT];
        stream.extend_from_slice(b"\nlast words\n\n@@homectl-N0NCE-rc 2\n");
        let out = read_output(&stream).unwrap();
        assert_eq!(out.code, 2);
        assert!(out.output.len() < 100, "{} bytes kept", out.output.len());
        assert_eq!(
            out.output,
            format!(
                "[homectl: {} earlier bytes of this step's output not kept]\nlast words\n",
                5 * STEP_OUTPUT_LIMIT + 1
            )
        );
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

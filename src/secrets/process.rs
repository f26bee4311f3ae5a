//! Running a provider's program: found on PATH, started without a shell,
//! stdin and stdout piped. Its stdout (where values are) is kept in memory
//! that is wiped on drop and is never printed; its stderr may go into an
//! error message.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use secrecy::zeroize::Zeroizing;

/// Where provider programs are looked up. `Inherit` is the real thing;
/// tests pass their own PATH (which the child then gets as well), so that
/// they never touch the process environment.
#[derive(Debug, Clone, Default)]
pub(crate) enum SearchPath {
    #[default]
    Inherit,
    #[cfg_attr(not(test), allow(dead_code))]
    Explicit(OsString),
}

impl SearchPath {
    /// The full path of `program`, or `None` if it is not on PATH (a name
    /// with a `/` is taken relative to the current folder, as a shell does).
    pub(crate) fn find(&self, program: &OsStr) -> Option<PathBuf> {
        let path = match self {
            SearchPath::Inherit => std::env::var_os("PATH"),
            SearchPath::Explicit(p) => Some(p.clone()),
        };
        let cwd = std::env::current_dir().ok()?;
        which::which_in(program, path, cwd).ok()
    }
}

pub(crate) struct Finished {
    pub status: ExitStatus,
    /// Values are here: never print it.
    pub stdout: Zeroizing<Vec<u8>>,
    pub stderr: Vec<u8>,
}

impl Finished {
    /// "exited with status 1", "was killed by signal 9".
    pub fn status_text(&self) -> String {
        describe_status(self.status)
    }

    /// The first few lines of stderr, for an error message.
    pub fn stderr_excerpt(&self) -> String {
        excerpt(&self.stderr)
    }
}

/// Runs `program args...` (no shell) with `stdin` written to its standard
/// input and waits for it. Only references and options go into `args`,
/// never a value.
pub(crate) fn run(
    program: &std::path::Path,
    args: &[OsString],
    stdin: &[u8],
    search: &SearchPath,
) -> std::io::Result<Finished> {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let SearchPath::Explicit(path) = search {
        command.env("PATH", path);
    }
    let mut child = command.spawn()?;
    let mut input = child.stdin.take();
    let output = std::thread::scope(|scope| {
        // Write stdin beside the read of stdout, so neither pipe can fill up
        // and block the other. A program that exits without reading its
        // input is not an error here: its exit status says what happened.
        scope.spawn(move || {
            if let Some(mut pipe) = input.take() {
                let _ = pipe.write_all(stdin);
            }
        });
        child.wait_with_output()
    })?;
    Ok(Finished {
        status: output.status,
        stdout: Zeroizing::new(output.stdout),
        stderr: output.stderr,
    })
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    "failed".to_string()
}

const EXCERPT_LINES: usize = 5;
const EXCERPT_LINE_CHARS: usize = 300;

/// Up to a few non-empty lines of a program's stderr, each cut to a sane
/// length, joined with " / " so that an error stays readable.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut shown: Vec<String> = lines
        .iter()
        .take(EXCERPT_LINES)
        .map(|line| {
            let clean: String = line
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if clean.chars().count() > EXCERPT_LINE_CHARS {
                let cut: String = clean.chars().take(EXCERPT_LINE_CHARS).collect();
                format!("{cut}…")
            } else {
                clean
            }
        })
        .collect();
    if lines.len() > EXCERPT_LINES {
        shown.push(format!("({} more lines)", lines.len() - EXCERPT_LINES));
    }
    shown.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_keeps_a_few_short_lines() {
        assert_eq!(excerpt(b""), "");
        assert_eq!(excerpt(b"\n  error: no\n\nsecond\n"), "error: no / second");
        let many = (1..=8).map(|i| format!("line {i}\n")).collect::<String>();
        assert_eq!(
            excerpt(many.as_bytes()),
            "line 1 / line 2 / line 3 / line 4 / line 5 / (3 more lines)"
        );
        let long = "x".repeat(1000);
        assert_eq!(
            excerpt(long.as_bytes()).chars().count(),
            EXCERPT_LINE_CHARS + 1
        );
        assert_eq!(excerpt(b"a\x1b[31mred"), "a [31mred");
    }
}

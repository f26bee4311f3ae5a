//! A stack's folder travels as it is on the operator's machine
//! (docs/stacks.md, "What travels"). A file of it that git does not track,
//! or ignores, travels too, but a checkout of the repository (CI's) would
//! not have it: a warning names it. Only when the stack folder is in a git
//! work tree, asked of the git CLI (no git, or no work tree: no warning).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

use super::config_error::ConfigError;
use super::model::Stack;

pub(super) fn check(stacks: &BTreeMap<String, Stack>, warnings: &mut Vec<ConfigError>) {
    for stack in stacks.values() {
        // Untracked files, ignored ones included: one git call per stack.
        let Some(untracked) = git_paths(&stack.dir, &["ls-files", "-z", "--others"], &[]) else {
            continue;
        };
        let shipped: Vec<&str> = stack
            .folder
            .files
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| untracked.contains(*p))
            .collect();
        if shipped.is_empty() {
            continue;
        }
        // Which of them git ignores (asked only when some are untracked).
        let ignored =
            git_paths(&stack.dir, &["check-ignore", "-z", "--stdin"], &shipped).unwrap_or_default();
        for path in shipped {
            let why = if ignored.contains(path) {
                "git ignores it (.gitignore)"
            } else {
                "git does not track it"
            };
            warnings.push(ConfigError::whole_file(
                &stack.dir.join(path).display().to_string(),
                format!(
                    "stack {}: {path} is shipped to the node, but {why}: a checkout of the repository (CI's) would not have it",
                    stack.name
                ),
                Some(format!(
                    "commit it (git add {path}), or list it in {}/.homectlignore if it must not travel",
                    stack.dir.display()
                )),
            ));
        }
    }
}

/// The NUL-separated paths git prints, run in `dir` with `input` on stdin
/// (NUL-separated); `None` if git fails (not a work tree) or is missing.
/// `check-ignore` exits 1 when it matches nothing: that is an empty answer.
fn git_paths(dir: &Path, args: &[&str], input: &[&str]) -> Option<BTreeSet<String>> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let text: Vec<u8> = input
        .iter()
        .flat_map(|p| [p.as_bytes(), b"\0"].concat())
        .collect();
    // Small lists: written before the output is read.
    let _ = std::io::Write::write_all(&mut stdin, &text);
    drop(stdin);
    let out = child.wait_with_output().ok()?;
    let empty_check_ignore = args[0] == "check-ignore" && out.status.code() == Some(1);
    if !out.status.success() && !empty_check_ignore {
        return None;
    }
    Some(
        out.stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
    )
}

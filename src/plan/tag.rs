//! The image tag of a command (docs/operations.md, "Tags"): `--tag`, else git HEAD
//! of the current folder, cut to `tag_length` hex digits.

use std::path::Path;
use std::process::Command;

use crate::error::{Error, Result};
use crate::inventory::names::check_tag;

/// The tag, and a warning to show if the work tree has uncommitted changes.
pub fn resolve_tag(
    option: Option<&str>,
    tag_length: usize,
    dir: &Path,
) -> Result<(String, Option<String>)> {
    if let Some(tag) = option {
        check_tag(tag).map_err(|m| Error::usage(format!("--tag: {m}")))?;
        return Ok((tag.to_string(), None));
    }
    let head = git(dir, &["rev-parse", "--verify", "HEAD"]).ok_or_else(|| {
        Error::usage(format!(
            "no --tag given and {} is not in a git work tree with a commit: pass --tag T",
            dir.display()
        ))
    })?;
    let head = head.trim();
    let tag = head[..tag_length.min(head.len())].to_string();
    let dirty = git(dir, &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.trim().is_empty());
    let warning = dirty.then(|| format!("the work tree has uncommitted changes; the tag is git HEAD ({tag}), which does not include them"));
    Ok((tag, warning))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

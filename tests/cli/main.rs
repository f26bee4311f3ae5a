//! homectl's commands that reach no node (`check`, `config`, `deploy
//! --dry-run`, refusals of bad usage), run as the built binary the way an
//! operator runs it, mostly on the corpus of inputs in tests/corpus/:
//!
//! - `broken/NN-name/`: an inventory.toml (and stacks/ when the case is
//!   about a stack) with one mistake, and expected.txt (see the README
//!   there). Exit code 2, the location and message in stderr, and the whole
//!   rendered diagnostic pinned by an insta snapshot (broken.rs).
//! - `valid/`: inputs that must load (valid.rs).
//!
//! One concept a file in this folder; this file holds the helpers they share.

mod broken;
mod config;
mod dry_run;
mod limits;
mod usage;
mod valid;
mod warnings;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs the binary from the package root, so paths in messages are the
/// relative ones given here and snapshots are the same on every machine.
/// Output is made deterministic: no colour, no hyperlinks, and no terminal
/// (miette takes the width from stdout, stderr or stdin: all are pipes or
/// null here, so it wraps at 80 columns).
fn homectl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_HYPERLINK")
        .env_remove("NO_GRAPHICS")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("HOMECTL_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl")
}

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

/// A copy of `tests/corpus/broken/47-image-not-in-compose` (one node, one
/// stack `app`) in a temp folder, with `file` (relative to the case) set
/// to `text`; returns the folder and `check`'s output on it.
fn check_case_with(file: &str, text: &[u8]) -> (tempfile::TempDir, Output) {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken/47-image-not-in-compose");
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::create_dir_all(dir.path().join("stacks/app")).unwrap();
    for name in [
        "inventory.toml",
        "stacks/app/stack.toml",
        "stacks/app/compose.yml",
    ] {
        fs::copy(case.join(name), dir.path().join(name)).unwrap();
    }
    fs::write(dir.path().join(file), text).unwrap();
    let inventory = dir.path().join("inventory.toml");
    let output = homectl(&["-i", inventory.to_str().unwrap(), "check"]);
    (dir, output)
}

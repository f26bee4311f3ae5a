//! `homectl init`, `completions` and `man`, run as the built binary: the
//! scaffold passes `check`, is never written over, and the generated
//! completions and man page know the commands. Also what the scaffold's
//! commands print before any node is reached: `logs` refusing without its
//! secrets, control characters escaped. No network, no lab.
//!
//! One concept a file in this folder; this file holds the helpers they share.

mod ci_workflow;
mod completions;
mod man_and_help;
mod scaffold;
mod scaffold_output;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FILES: [&str; 5] = [
    "inventory/homelab.toml",
    "stacks/core/stack.toml",
    "stacks/core/compose.yml",
    "stacks/workers/stack.toml",
    "stacks/workers/compose.yml",
];

fn homectl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("HOMECTL_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

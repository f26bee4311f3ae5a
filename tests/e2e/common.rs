//! Helpers for the end-to-end tests: run homectl against the lab, talk to
//! the lab's nodes directly to check their real state. One kind of helper
//! a file in common/, all of them re-exported here (`use crate::common::*`).

#![allow(dead_code)]

mod homectl;
mod lab_lock;
mod nodes;
mod registry;
mod running;
mod secrets;
mod variants;

pub use homectl::*;
pub use lab_lock::*;
pub use nodes::*;
pub use registry::*;
pub use running::*;
pub use secrets::*;
pub use variants::*;

use std::path::PathBuf;

pub const LAB: &str = "/var/lib/homectl-lab";
pub const SSH_CONFIG: &str = "/var/lib/homectl-lab/ssh/ssh_config";
pub const NODES: [(&str, &str); 3] = [
    ("node-a", "core.lab.home.arpa"),
    ("node-b", "workers-b.lab.home.arpa"),
    ("node-c", "workers-c.lab.home.arpa"),
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A value from the lab's tags.env (LAB_TAG_OLD, LAB_TAG_NEW, ...).
pub fn lab_var(name: &str) -> String {
    let text =
        std::fs::read_to_string(format!("{LAB}/tags.env")).expect("the lab is up (scripts/lab up)");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} not in tags.env"))
        .trim_matches('"')
        .to_string()
}

/// The node name → host of the lab.
pub fn host_of(node: &str) -> &'static str {
    NODES
        .iter()
        .find(|(n, _)| *n == node)
        .map(|(_, h)| *h)
        .unwrap_or_else(|| panic!("no lab node {node}"))
}

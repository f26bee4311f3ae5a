//! status, history, logs, down, unlock and rollback against the lab, on
//! Compose v2 (node-a, node-b) and v1 (node-c) nodes: one command a file
//! in operate/ (strays, which status and down both show, have their own).

mod down;
mod logs;
mod rollback;
mod state;
mod status;
mod strays;
mod unlock;

use crate::common::*;

fn rows(status: &serde_json::Value, node: &str) -> Vec<serde_json::Value> {
    status["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["node"] == node)
        .cloned()
        .collect()
}

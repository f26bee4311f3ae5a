//! `homectl check`: the inventory and stacks, validated locally.

use crate::cli::GlobalOptions;
use crate::error::Result;
use crate::inventory;

pub fn run(global: &GlobalOptions) -> Result<i32> {
    // A failure with --json is reported by the caller, as for every command
    // (docs/operations.md, "JSON output").
    let project = inventory::load(&global.inventory)?;
    if global.json {
        let summary = serde_json::json!({
            "inventory": global.inventory.display().to_string(),
            "ok": true,
            "nodes": project.inventory.nodes.keys().collect::<Vec<_>>(),
            "stacks": project.stacks.keys().collect::<Vec<_>>(),
        });
        global.printer().out(&summary.to_string());
    } else if !global.quiet {
        global.printer().out(&format!(
            "{}: ok ({}, {}: {})",
            global.inventory.display(),
            plural(project.inventory.nodes.len(), "node"),
            plural(project.stacks.len(), "stack"),
            project
                .stacks
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(0)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

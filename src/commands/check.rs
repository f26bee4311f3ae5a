//! `homectl check`: the inventory and stacks, validated locally.

use crate::cli::GlobalOptions;
use crate::error::Result;
use crate::inventory;

pub fn run(global: &GlobalOptions) -> Result<i32> {
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
            "{}: ok ({} nodes, {} stacks: {})",
            global.inventory.display(),
            project.inventory.nodes.len(),
            project.stacks.len(),
            project.stacks.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(0)
}

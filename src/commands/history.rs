//! `homectl history`: the nodes' deploy records, newest first, merged.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::execution::fanout::run_on_nodes;
use crate::inventory;
use crate::remote::steps::history;
use crate::report::status_table::render_history;
use crate::settings::{GlobalSettings, HistorySettings};

pub fn run(global: &GlobalSettings, settings: &HistorySettings) -> Result<i32> {
    let limit = settings.limit;
    let project = inventory::load(&global.inventory)?;
    let selection = settings.select.select(&project)?;
    let inv = Arc::new(project.inventory.clone());
    let steps = selection
        .nodes
        .iter()
        .map(|n| (n.node.clone(), history::step(limit)))
        .collect();
    let results =
        crate::commands::runtime()?.block_on(run_on_nodes(inv, steps, Duration::from_secs(60)));
    let mut records = Vec::new();
    let mut failed = Vec::new();
    for (node, result) in results {
        match result {
            Ok(out) => records.extend(history::parse(&out)),
            Err(e) => failed.push((node, e)),
        }
    }
    // RFC 3339 UTC times sort as text; newest first.
    records.sort_by(|a, b| b.time.cmp(&a.time).then(b.node.cmp(&a.node)));
    records.truncate(limit);
    let printer = global.printer();
    if global.json {
        printer.out(&serde_json::to_string_pretty(&records).expect("serializes"));
    } else {
        printer.out_rendered(&render_history(&records));
    }
    for (node, e) in &failed {
        printer.warn(&format!("✗ {node}: {e}"));
    }
    if failed.is_empty() {
        return Ok(0);
    }
    let nodes: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    Err(Error::on_nodes(
        format!("history: no answer from {}", nodes.join(", ")),
        &nodes,
    ))
}

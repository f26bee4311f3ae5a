//! Do the deployed stacks still run elsewhere as homectl strays
//! (docs/operations.md, "Moving a stack to another node")? A deploy's own
//! nodes answer in their session after the apply (`strays_here`); the
//! inventory's other nodes are asked while the nodes apply, one read-only
//! connection each, no lock (`strays_elsewhere`). A node that does not
//! answer is skipped: this only warns.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::fanout::run_on_nodes;
use super::RemoteShell;
use crate::inventory::Inventory;
use crate::plan::moved_stacks::{nodes_to_ask, stacks_elsewhere};
use crate::plan::strays::Stray;
use crate::remote::strays_step::{parse_strays_of, strays_of_step};

const STRAYS_TIMEOUT: Duration = Duration::from_secs(30);

/// The homectl strays on the deploy's nodes outside `selected`, of `stacks`.
pub async fn strays_elsewhere(
    inventory: Arc<Inventory>,
    stacks: BTreeSet<String>,
    selected: BTreeSet<String>,
) -> Vec<Stray> {
    let steps = nodes_to_ask(&inventory, &stacks, &selected)
        .into_iter()
        .map(|(node, list)| {
            let step = strays_of_step(&inventory, &list);
            (node, step)
        })
        .collect();
    let results = run_on_nodes(inventory.clone(), steps, STRAYS_TIMEOUT).await;
    let mut found = Vec::new();
    for (node, result) in results {
        match result {
            Ok(output) => found.extend(parse_strays_of(&inventory, &node, &output)),
            Err(e) => tracing::debug!("{node}: not asked about moved stacks: {e}"),
        }
    }
    found
}

/// The strays on the node of `shell` of the stacks the inventory puts elsewhere.
pub async fn strays_here(shell: &mut RemoteShell, inventory: &Inventory, node: &str) -> Vec<Stray> {
    let stacks = stacks_elsewhere(inventory, node);
    if stacks.is_empty() {
        return Vec::new();
    }
    match shell
        .run(&strays_of_step(inventory, &stacks), STRAYS_TIMEOUT)
        .await
    {
        Ok(out) if out.code == 0 => parse_strays_of(inventory, node, &out.output),
        _ => Vec::new(),
    }
}

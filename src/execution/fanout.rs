//! Runs one read-only step on many nodes in parallel (status, history):
//! each node's result comes back on its own, so a node that is down does
//! not hide the others.

use std::sync::Arc;
use std::time::Duration;

use super::node_session::NodeSession;
use crate::inventory::Inventory;
use crate::remote::Step;

pub async fn run_on_nodes(
    inventory: Arc<Inventory>,
    steps: Vec<(String, Step)>,
    timeout: Duration,
) -> Vec<(String, Result<String, String>)> {
    let tasks: Vec<_> = steps
        .into_iter()
        .map(|(node, step)| {
            let inventory = inventory.clone();
            tokio::spawn(async move {
                let result = async {
                    let mut session =
                        NodeSession::open(&inventory, &inventory.nodes[&node], false).await?;
                    let out = session.run(&step, timeout).await;
                    session.close().await;
                    out
                }
                .await;
                (node, result)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        if let Ok(r) = task.await {
            results.push(r);
        }
    }
    results
}

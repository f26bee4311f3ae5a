//! `homectl unlock NODE`: ends a lock whose holder lingers (a deploy whose
//! network vanished before sshd noticed). Names the holder first.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::inventory;
use crate::remote::Step;
use crate::settings::GlobalSettings;

const UNLOCK: &str = include_str!("../remote/scripts/unlock.sh");

pub fn run(global: &GlobalSettings, node_name: &str) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let inv = &project.inventory;
    let Some(node) = inv.nodes.get(node_name) else {
        let names: Vec<&str> = inv.nodes.keys().map(String::as_str).collect();
        return Err(Error::usage(format!(
            "no node named `{node_name}` (nodes: {})",
            names.join(", ")
        )));
    };
    let printer = global.printer();
    let runtime = crate::commands::runtime()?;
    runtime.block_on(async {
        let mut session = NodeSession::open(inv, node, false)
            .await
            .map_err(|e| Error::runtime(format!("{node_name}: {e}")))?;
        let result = session
            .run(&Step::new("unlock", UNLOCK), Duration::from_secs(30))
            .await;
        session.close().await;
        let output = result.map_err(|e| Error::runtime(format!("{node_name}: {e}")))?;
        let holder = output
            .lines()
            .find_map(|l| l.strip_prefix("HOLDER "))
            .unwrap_or("")
            .to_string();
        if output.lines().any(|l| l == "FREE") {
            printer.out(&format!("{node_name} is not locked"));
        } else {
            printer.out(&format!(
                "{node_name} was locked by {holder}; ended it, the lock is released"
            ));
        }
        Ok(0)
    })
}

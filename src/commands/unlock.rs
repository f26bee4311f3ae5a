//! `homectl unlock NODE`: ends a lock whose holder lingers (a deploy whose
//! network vanished before sshd noticed). Names the holder first.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::inventory;
use crate::remote::steps::unlock::{self, Unlocked};
use crate::settings::GlobalSettings;

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
        let result = session.run(&unlock::step(), Duration::from_secs(30)).await;
        session.close().await;
        let output = result.map_err(|e| Error::runtime(format!("{node_name}: {e}")))?;
        match unlock::parse(&output) {
            Unlocked::Free => printer.out(&format!("{node_name} is not locked")),
            Unlocked::Ended { holder } => printer.out(&format!(
                "{node_name} was locked by {holder}; ended it, the lock is released"
            )),
        }
        Ok(0)
    })
}

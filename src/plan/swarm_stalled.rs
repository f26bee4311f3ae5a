//! An update that waits for a node gone from the Swarm (docs/swarm.md,
//! "Faults"): the manager's `NODE HOSTNAME STATUS` lines of
//! scripts/swarm_state.sh, and the services still short of the wanted state.

use std::collections::BTreeMap;

use super::swarm_state::{verdict, SwarmService, Verdict};

/// Hostnames of the Swarm's nodes that the manager does not see `Ready`.
pub fn nodes_not_ready(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("NODE "))
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, status)| status.trim() != "Ready")
        .map(|(host, _)| host.to_string())
        .collect()
}

/// The services of `wanted` that have not converged yet.
pub fn unsettled(
    state: &BTreeMap<String, SwarmService>,
    wanted: &BTreeMap<String, String>,
) -> Vec<String> {
    wanted
        .iter()
        .filter(|(name, image)| {
            let one = BTreeMap::from([((*name).clone(), (*image).clone())]);
            verdict(state, &one) != Verdict::Converged
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::swarm_state::parse_state;

    #[test]
    fn nodes_down_or_unknown_are_not_ready() {
        let out = "SVC p_w - 1 i\nNODE node-a Ready\nNODE node-b Down\nNODE node-c Unknown\n";
        assert_eq!(nodes_not_ready(out), ["node-b", "node-c"]);
        assert!(nodes_not_ready("NODE node-a Ready\n").is_empty());
    }

    #[test]
    fn unsettled_services_are_the_ones_not_converged() {
        let out = "SVC p_w updating 1 r/w@new\n\
TASK p_w p_w.1 node-a r/w@new Running 3 seconds ago\n\
SVC p_db completed 1 r/db@1\n\
TASK p_db p_db.1 node-a r/db@1 Running 1 minute ago\n";
        let state = parse_state(out, "p");
        let wanted = BTreeMap::from([
            ("w".to_string(), "r/w@new".to_string()),
            ("db".to_string(), "r/db@1".to_string()),
        ]);
        assert_eq!(unsettled(&state, &wanted), ["w"]);
    }
}

//! An update that waits for a node gone from the Swarm (docs/swarm.md,
//! "Faults"): the manager's `NODE HOSTNAME STATUS` lines of
//! scripts/swarm_state.sh, and the services still short of the wanted state.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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

/// How long an update may wait without a change while a node of the
/// Swarm is not Ready: Swarm does not move on from a task it gave to a
/// node that went away until that node is back.
pub const STALLED: Duration = Duration::from_secs(30);

/// Since when no task changed while a node was away.
#[derive(Default)]
pub struct Stall {
    since: Option<(Instant, Vec<String>)>,
}

impl Stall {
    /// The nodes not Ready, once no task of `wanted`'s services changed
    /// for STALLED with them away (`out`: the state step's output).
    pub fn check(
        &mut self,
        now: Instant,
        out: &str,
        state: &BTreeMap<String, SwarmService>,
        wanted: &BTreeMap<String, String>,
    ) -> Option<Vec<String>> {
        let away = nodes_not_ready(out);
        if away.is_empty() {
            self.since = None;
            return None;
        }
        let mut tasks: Vec<String> = state
            .iter()
            .filter(|(name, _)| wanted.contains_key(*name))
            .flat_map(|(_, s)| s.tasks.iter())
            .map(|t| format!("{} {} {}", t.name, t.image, t.state))
            .collect();
        tasks.sort();
        match &self.since {
            Some((since, before)) if *before == tasks => {
                (now.duration_since(*since) >= STALLED).then_some(away)
            }
            _ => {
                self.since = Some((now, tasks));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::steps::swarm_state::parse as parse_state;

    #[test]
    fn nodes_down_or_unknown_are_not_ready() {
        let out = "SVC p_w - 1 i\nNODE node-a Ready\nNODE node-b Down\nNODE node-c Unknown\n";
        assert_eq!(nodes_not_ready(out), ["node-b", "node-c"]);
        assert!(nodes_not_ready("NODE node-a Ready\n").is_empty());
    }

    #[test]
    fn a_stall_is_no_task_changed_for_a_while_with_a_node_away() {
        let wanted = BTreeMap::from([("w".to_string(), "r/w@new".to_string())]);
        let out = |task_state: &str, b: &str| {
            format!("NODE node-a Ready\nNODE node-b {b}\nSVC p_w updating 1 r/w@new\nTASK p_w p_w.1 node-a r/w@new {task_state} 1 second ago\n")
        };
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut stall = Stall::default();
        let check = |stall: &mut Stall, s: u64, text: String| {
            stall.check(at(s), &text, &parse_state(&text, "p"), &wanted)
        };
        assert_eq!(check(&mut stall, 0, out("Starting", "Down")), None);
        assert_eq!(check(&mut stall, 29, out("Starting", "Down")), None);
        // A task changed: the clock starts again.
        assert_eq!(check(&mut stall, 30, out("Running", "Down")), None);
        assert_eq!(check(&mut stall, 59, out("Running", "Down")), None);
        assert_eq!(
            check(&mut stall, 60, out("Running", "Down")),
            Some(vec!["node-b".to_string()])
        );
        // Every node Ready: no stall, however long nothing changes.
        let mut stall = Stall::default();
        assert_eq!(check(&mut stall, 0, out("Starting", "Ready")), None);
        assert_eq!(check(&mut stall, 100, out("Starting", "Ready")), None);
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

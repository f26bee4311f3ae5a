//! A rolling update's order (docs/stacks.md, "Rolling updates"): the
//! replicas of a service group (`NAME-1`, `NAME-2`, ... of the scale-N
//! profiles) are recreated one at a time. Round k recreates replica k of
//! every group at once (so no group has two replicas down), after round
//! k-1 is healthy; a service that is no replica goes in the first round.

use std::collections::BTreeMap;

use super::deploy_plan::StackDeploy;

/// The `up` of a rolling update as one plan a round: round k's services
/// alone (`--no-deps`), nothing removed; then, if replicas above the scale
/// go, a last plan that only removes them (after the rest are updated).
/// Each is run with an `up` step and waited for with a `health` step
/// before the next.
pub fn round_plans(deploy: &StackDeploy) -> Vec<StackDeploy> {
    let mut plans: Vec<StackDeploy> = rounds(&deploy.services)
        .into_iter()
        .map(|services| StackDeploy {
            up_args: std::iter::once("--no-deps".to_string())
                .chain(services.iter().cloned())
                .collect(),
            // A round recreates only its own replicas, also for a changed file.
            recreate: deploy
                .recreate
                .iter()
                .filter(|s| services.contains(s))
                .cloned()
                .collect(),
            services,
            remove: Vec::new(),
            hooks: Vec::new(),
            ..deploy.clone()
        })
        .collect();
    if !deploy.remove.is_empty() {
        plans.push(StackDeploy {
            services: Vec::new(),
            recreate: Vec::new(),
            up_args: vec!["--no-deps".to_string()],
            remove: deploy.remove.clone(),
            hooks: Vec::new(),
            ..deploy.clone()
        });
    }
    plans
}

/// The services of a deploy, in rounds: round k holds every group's
/// replica k; empty rounds are left out.
pub fn rounds(services: &[String]) -> Vec<Vec<String>> {
    let mut by_index: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for service in services {
        by_index
            .entry(replica_index(service))
            .or_default()
            .push(service.clone());
    }
    by_index.into_values().collect()
}

/// `backtest-worker-3` → 3; a name without a numbered suffix → 1.
fn replica_index(service: &str) -> u32 {
    service
        .rsplit_once('-')
        .and_then(|(group, n)| {
            let index: u32 = n.parse().ok()?;
            (!group.is_empty() && index.to_string() == n && index > 0).then_some(index)
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn replica_k_of_every_group_goes_in_round_k() {
        assert_eq!(
            rounds(&names(&[
                "backtest-worker-1",
                "backtest-worker-2",
                "backtest-worker-3",
                "training-worker-1",
                "training-worker-2",
                "training-worker-3",
            ])),
            [
                names(&["backtest-worker-1", "training-worker-1"]),
                names(&["backtest-worker-2", "training-worker-2"]),
                names(&["backtest-worker-3", "training-worker-3"]),
            ]
        );
    }

    #[test]
    fn a_service_that_is_no_replica_goes_first_and_a_selection_keeps_its_order() {
        assert_eq!(
            rounds(&names(&["backend", "db", "web-2", "web-01", "cache-0"])),
            [
                names(&["backend", "db", "web-01", "cache-0"]),
                names(&["web-2"])
            ]
        );
        // One replica (scale 1): a single round, the service replaced.
        assert_eq!(rounds(&names(&["w-1"])), [names(&["w-1"])]);
        assert_eq!(rounds(&[]), Vec::<Vec<String>>::new());
    }
}

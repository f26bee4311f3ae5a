//! The steps of one round of a deploy's plan (`plan::node_plan::Round`):
//! its `up` and, if the round waits, its `health`; named by the round's
//! place in a rolling update ("up workers 2/3"). Used by the deploy and by
//! `--dry-run`, so both show the same steps.

use super::{health, up};
use crate::plan::node_plan::Round;
use crate::remote::step::Step;
use crate::secrets::Secrets;

pub fn steps(
    round: &Round,
    secrets: &Secrets,
    url: Option<&str>,
    timeout_secs: u64,
) -> (Step, Option<Step>) {
    let placed = |step: Step| match round.place {
        Some((k, n)) => up::round_step(step, k, n),
        None => step,
    };
    let up = placed(up::step(&round.deploy, secrets));
    let health = round
        .health
        .then(|| placed(health::step(&round.deploy, url, timeout_secs.max(1))));
    (up, health)
}

//! `scripts/unlock.sh`: ends the process that holds the node's lock, if
//! any (`homectl unlock`).

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const UNLOCK: &str = include_str!("../scripts/unlock.sh");

pub fn step() -> Step {
    StepInput::new("unlock").step(UNLOCK)
}

/// What the unlock step did.
#[derive(Debug, PartialEq, Eq)]
pub enum Unlocked {
    /// The lock was free.
    Free,
    /// Its holder (as `lock.holder` names it) was ended.
    Ended { holder: String },
}

pub fn parse(output: &str) -> Unlocked {
    if output.lines().any(|l| l == "FREE") {
        return Unlocked::Free;
    }
    Unlocked::Ended {
        holder: lines_of(output, "HOLDER").next().unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_or_the_holder_ended() {
        assert_eq!(parse("FREE\n"), Unlocked::Free);
        assert_eq!(
            parse("HOLDER ci@runner (pid 7 on core) since 2026-01-01T00:00:00Z\nENDED\n"),
            Unlocked::Ended {
                holder: "ci@runner (pid 7 on core) since 2026-01-01T00:00:00Z".into()
            }
        );
    }
}

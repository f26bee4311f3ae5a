//! `scripts/swarm_pull.sh`: the registry login on a tmpfs and the pull of
//! a swarm stack's images on one node (by tag on the manager, by digest on
//! the others: docs/swarm.md, "A deploy"), and the digest each reference
//! resolved to.

use std::collections::BTreeMap;

use super::lib::{Login, LIB};
use super::{lines_of, StepInput};
use crate::remote::step::Step;

const PULL: &str = include_str!("../scripts/swarm_pull.sh");

/// Login on a tmpfs and pull of `refs` (by tag or by digest).
pub fn step(stack: &str, refs: &[String], login: &Login) -> Step {
    StepInput::new(format!("pull {stack}"))
        .code(LIB)
        .login(login)
        .list("HC_REFS", refs)
        .step(PULL)
}

/// The `DIGEST ref repo@digest` lines: ref → pinned reference.
pub fn parse(output: &str) -> BTreeMap<String, String> {
    lines_of(output, "DIGEST")
        .filter_map(|l| l.split_once(' '))
        .map(|(r, d)| (r.to_string(), d.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_per_reference() {
        let out = "noise\nDIGEST r:5000/a:t r:5000/a@sha256:1\nDIGEST r/b@sha256:2 r/b@sha256:2\nDIGESTS x y\n";
        let d = parse(out);
        assert_eq!(d["r:5000/a:t"], "r:5000/a@sha256:1");
        assert_eq!(d["r/b@sha256:2"], "r/b@sha256:2");
        assert_eq!(d.len(), 2);
    }
}

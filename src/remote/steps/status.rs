//! `scripts/status.sh`: every compose container of the node (its stacks'
//! and the strays), the images' digests, and the history, for `homectl
//! status`.

use std::collections::BTreeMap;

use super::{history, lines_of, StepInput};
use crate::plan::history::HistoryRecord;
use crate::remote::step::Step;

const STATUS: &str = include_str!("../scripts/status.sh");

pub fn step() -> Step {
    StepInput::new("status").step(STATUS)
}

/// A `CONTAINER project service image_ref image_id state health` line.
#[derive(Debug, PartialEq, Eq)]
pub struct Listed<'a> {
    pub project: &'a str,
    pub service: &'a str,
    pub image_ref: &'a str,
    pub image_id: &'a str,
    pub state: &'a str,
    /// The health check's status, `-` for a container without one.
    pub health: &'a str,
}

/// What the status step found on a node.
#[derive(Debug, PartialEq)]
pub struct NodeStatus<'a> {
    /// Every compose container (malformed lines skipped).
    pub containers: Vec<Listed<'a>>,
    /// Image id → its repository digests (`DIGESTS id d1,d2,` lines).
    pub digests: BTreeMap<&'a str, Vec<&'a str>>,
    pub history: Vec<HistoryRecord>,
}

pub fn parse(output: &str) -> NodeStatus<'_> {
    NodeStatus {
        containers: lines_of(output, "CONTAINER")
            .filter_map(|line| {
                let f: Vec<&str> = line.split(' ').collect();
                let [project, service, image_ref, image_id, state, health] = f.as_slice() else {
                    return None;
                };
                Some(Listed {
                    project,
                    service,
                    image_ref,
                    image_id,
                    state,
                    health,
                })
            })
            .collect(),
        digests: lines_of(output, "DIGESTS")
            .map(|l| match l.split_once(' ') {
                Some((id, d)) => (id, d.split(',').filter(|x| !x.is_empty()).collect()),
                None => (l, Vec::new()),
            })
            .collect(),
        history: history::parse(output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_lines_are_parsed_and_malformed_ones_skipped() {
        let output = "CONTAINER ktrdr-core backend reg/lab/app:abc sha256:1 running healthy\n\
                      CONTAINER handmade web busybox:latest sha256:2 exited -\n\
                      CONTAINER too few fields\n\
                      DIGESTS sha256:1 reg/lab/app@sha256:ff,\n\
                      DIGESTS sha256:2\n\
                      HISTORY {}\n";
        let status = parse(output);
        assert_eq!(status.containers.len(), 2);
        assert_eq!(
            status.containers[1],
            Listed {
                project: "handmade",
                service: "web",
                image_ref: "busybox:latest",
                image_id: "sha256:2",
                state: "exited",
                health: "-",
            }
        );
        assert_eq!(status.containers[0].project, "ktrdr-core");
        insta::assert_debug_snapshot!(status);
    }
}

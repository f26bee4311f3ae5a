//! `scripts/swarm_info.sh`: a node's place in its Swarm, and on a manager
//! the members of that Swarm (docs/swarm.md, "Finding the manager").

use super::{lines_of, StepInput};
use crate::plan::swarm_members::SwarmInfo;
use crate::remote::step::Step;

const INFO: &str = include_str!("../scripts/swarm_info.sh");

/// `SWARM state control node_id`, and on a manager its `MEMBER` lines.
pub fn step() -> Step {
    StepInput::new("swarm info").step(INFO)
}

/// The `SWARM` line and the `MEMBER id host status...` lines.
pub fn parse(output: &str) -> SwarmInfo {
    let mut info = SwarmInfo::default();
    if let Some(line) = lines_of(output, "SWARM").next() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [state, control, rest @ ..] = words.as_slice() {
            info.state = state.to_string();
            info.manager = *control == "true";
            info.node_id = rest.first().unwrap_or(&"").to_string();
        }
    }
    for line in lines_of(output, "MEMBER") {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [id, host, status @ ..] = words.as_slice() {
            info.members
                .push((id.to_string(), host.to_string(), status.join(" ")));
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swarm_and_member_lines_become_the_nodes_info() {
        let info = parse(
            "noise\nSWARM active true idA\nMEMBER idA node-a Ready\nMEMBER idB node-b Down\n",
        );
        assert_eq!(
            (info.state.as_str(), info.manager, info.node_id.as_str()),
            ("active", true, "idA")
        );
        assert_eq!(
            info.members[1],
            ("idB".to_string(), "node-b".to_string(), "Down".to_string())
        );
        // A node outside any Swarm has no id.
        let info = parse("SWARM inactive false \n");
        assert_eq!(
            (info.state.as_str(), info.manager, info.node_id.as_str()),
            ("inactive", false, "")
        );
        assert!(info.members.is_empty());
        assert_eq!(parse("docker info failed"), SwarmInfo::default());
    }
}

//! `scripts/swarm_state.sh`: a swarm stack's services and their tasks as
//! the manager sees them (the `SVC`, `TASK` and `ERR` lines), read by
//! deploy, restart and status (docs/swarm.md, "A deploy").

use std::collections::BTreeMap;

use super::{lines_of, StepInput};
use crate::plan::swarm_state::{SwarmService, SwarmTask};
use crate::remote::step::Step;

const STATE: &str = include_str!("../scripts/swarm_state.sh");

/// The stack's services and tasks.
pub fn step(project: &str) -> Step {
    StepInput::new(format!("swarm state {project}"))
        .var("HC_PROJECT", project)
        .step(STATE)
}

/// Services by name within the stack (`backtest-worker`, not
/// `ktrdr-workers_backtest-worker`).
pub fn parse(output: &str, project: &str) -> BTreeMap<String, SwarmService> {
    let prefix = format!("{project}_");
    let short = |name: &str| name.strip_prefix(&prefix).unwrap_or(name).to_string();
    let mut out: BTreeMap<String, SwarmService> = BTreeMap::new();
    for line in lines_of(output, "SVC") {
        let words: Vec<&str> = line.split(' ').collect();
        let [name, state, replicas, image, ..] = words.as_slice() else {
            continue;
        };
        let s = out.entry(short(name)).or_default();
        s.update_state = if *state == "-" {
            String::new()
        } else {
            state.to_string()
        };
        s.replicas = replicas.parse().unwrap_or(0);
        s.image = image.trim().into();
    }
    for line in lines_of(output, "TASK") {
        let words: Vec<&str> = line.splitn(5, ' ').collect();
        let [service, name, node, image, state] = words.as_slice() else {
            continue;
        };
        out.entry(short(service))
            .or_default()
            .tasks
            .push(SwarmTask {
                name: name.to_string(),
                node: node.to_string(),
                image: image.to_string(),
                state: state.split(' ').next().unwrap_or("").into(),
            });
    }
    for line in lines_of(output, "ERR") {
        let Some((service, rest)) = line.split_once(' ') else {
            continue;
        };
        out.entry(short(service))
            .or_default()
            .errors
            .push(rest.trim().into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "SVC p_w updating 3 r/w@sha256:new\n\
TASK p_w p_w.1 node-a r/w@sha256:new Running 3 seconds ago\n\
TASK p_w p_w.2 node-b r/w@sha256:old Running 1 minute ago\n\
TASK p_w p_w.3 node-c r/w@sha256:old Running 1 minute ago\n\
ERR p_w p_w.2 task: non-zero exit (1)\n\
SVC p_db - 1 r/db@sha256:1\n\
TASK p_db p_db.1 node-a r/db@sha256:1 Starting 1 second ago\n\
TASK p_db short\n";

    #[test]
    fn parses_services_tasks_and_errors() {
        let state = parse(OUT, "p");
        assert_eq!(state.len(), 2);
        let w = &state["w"];
        assert_eq!(
            (w.update_state.as_str(), w.replicas, w.tasks.len()),
            ("updating", 3, 3)
        );
        assert_eq!(w.tasks[1].node, "node-b");
        assert_eq!(w.tasks[0].state, "Running");
        assert_eq!(w.errors, ["p_w.2 task: non-zero exit (1)"]);
        assert_eq!(w.running(), 1);
        assert_eq!(state["db"].update_state, "");
        assert_eq!(state["db"].tasks.len(), 1);
        assert_eq!(state["db"].running(), 0);
    }
}

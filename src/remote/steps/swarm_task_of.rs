//! `scripts/swarm_task_of.sh`: the container of a task of a swarm stack's
//! service on one node (`homectl exec`, docs/swarm.md), or, from a
//! manager, the nodes where its tasks run.

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const SWARM_TASK_OF: &str = include_str!("../scripts/swarm_task_of.sh");

/// `name` is Swarm's service name (`PROJECT_SERVICE`); `slot` the task's
/// slot (`None`: any task); `local`: look for the container on this node
/// (else only ask, if it is a manager, where the tasks run).
pub fn step(name: &str, slot: Option<u32>, local: bool) -> Step {
    StepInput::new(format!("find {name}"))
        .var("HC_NAME", name)
        .var("HC_SLOT", &slot.unwrap_or(0).to_string())
        .var("HC_LOCAL", if local { "1" } else { "0" })
        .step(SWARM_TASK_OF)
}

/// What the step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOf {
    /// A running task's container on the node (letters and digits only,
    /// since it reaches a command line).
    Container(String),
    /// None here; from a manager, the running tasks (slot, node).
    Elsewhere {
        manager: bool,
        tasks: Vec<(String, String)>,
    },
}

pub fn parse(output: &str) -> TaskOf {
    let container = lines_of(output, "CONTAINER")
        .map(str::trim)
        .find(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    if let Some(id) = container {
        return TaskOf::Container(id.to_string());
    }
    TaskOf::Elsewhere {
        manager: output.lines().any(|l| l.trim() == "MANAGER"),
        tasks: lines_of(output, "TASKNODE")
            .filter_map(|l| l.trim().split_once(' '))
            .map(|(slot, node)| (slot.to_string(), node.trim().to_string()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_here_or_the_nodes_of_the_tasks() {
        assert_eq!(
            parse("CONTAINER 3f2c1d0abc\n"),
            TaskOf::Container("3f2c1d0abc".into())
        );
        assert_eq!(
            parse("CONTAINER $(rm -rf /)\n"),
            TaskOf::Elsewhere {
                manager: false,
                tasks: vec![]
            }
        );
        assert_eq!(
            parse("MANAGER\nTASKNODE 1 node-b\nTASKNODE 2 node-c\n"),
            TaskOf::Elsewhere {
                manager: true,
                tasks: vec![("1".into(), "node-b".into()), ("2".into(), "node-c".into())]
            }
        );
    }

    #[test]
    fn the_name_and_slot_reach_the_script_whole() {
        let text = step("p_w'x $(id)", Some(3), true).to_string();
        let vars = &text[..text.find("# Finds").expect("the script's body")];
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("{vars}printf '%s|%s|%s' \"$HC_NAME\" $HC_SLOT $HC_LOCAL"),
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "p_w'x $(id)|3|1");
        assert!(step("p_w", None, false).to_string().contains("HC_SLOT=0"));
    }
}

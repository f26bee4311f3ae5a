//! Where `homectl exec NODE SERVICE` runs for a swarm stack (docs/swarm.md,
//! "exec"): in the container of a task of the service on that node; if no
//! task runs there, the error names the node and the nodes where the
//! service's tasks run, as a manager says.

use std::collections::BTreeMap;
use std::time::Duration;

use super::node_session::NodeSession;
use crate::inventory::{Node, Project};
use crate::plan::swarm_plan::nodes_of;
use crate::remote::steps::swarm_task_of::{parse, step, TaskOf};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The container id of a running task of `stack`'s `service` on `node`
/// (of the task at `slot`, if given), looked up through `opened`.
pub async fn task_container(
    project: &Project,
    stack: &str,
    service: &str,
    node: &Node,
    opened: &mut NodeSession,
    slot: Option<u32>,
) -> Result<String, String> {
    let name = format!("{}_{service}", project.inventory.project_name(stack));
    let out = opened.run(&step(&name, slot, true), TIMEOUT).await?;
    let answer = match parse(&out) {
        TaskOf::Container(id) => return Ok(id),
        TaskOf::Elsewhere {
            manager: true,
            tasks,
        } => Some((node.name.clone(), tasks)),
        TaskOf::Elsewhere { .. } => ask_a_manager(project, stack, &name, &node.name).await,
    };
    let task = match slot {
        Some(n) => format!("task {n} of {stack}/{service}"),
        None => format!("task of {stack}/{service}"),
    };
    Err(match answer {
        None => format!(
            "no running {task} on this node, and no manager among {} answered to say where its \
             tasks run",
            nodes_of(project, stack).join(", ")
        ),
        Some((manager, tasks)) if tasks.is_empty() => format!(
            "no running {task} on this node, nor anywhere in the Swarm (manager {manager}): is the \
             stack deployed? (`homectl status`)"
        ),
        Some((_, tasks)) => format!(
            "no running {task} on this node; the service's tasks run on {}: exec on one of \
             those nodes (--replica N for the task of slot N)",
            where_they_run(&tasks)
        ),
    })
}

/// The first of the stack's other nodes that is a manager: its name and
/// the service's running tasks (slot, node).
async fn ask_a_manager(
    project: &Project,
    stack: &str,
    name: &str,
    asked: &str,
) -> Option<(String, Vec<(String, String)>)> {
    let inv = &project.inventory;
    for other in nodes_of(project, stack).iter().filter(|n| *n != asked) {
        let Ok(mut session) = NodeSession::open(inv, &inv.nodes[other], false).await else {
            continue;
        };
        let out = session.run(&step(name, None, false), TIMEOUT).await;
        session.close().await;
        if let Ok(TaskOf::Elsewhere {
            manager: true,
            tasks,
        }) = out.map(|o| parse(&o))
        {
            return Some((other.clone(), tasks));
        }
    }
    None
}

/// `node-a (slot 1), node-c (slots 2, 3)`.
fn where_they_run(tasks: &[(String, String)]) -> String {
    let mut by_node: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (slot, node) in tasks {
        by_node.entry(node).or_default().push(slot);
    }
    by_node
        .iter()
        .map(|(node, slots)| {
            let word = if slots.len() == 1 { "slot" } else { "slots" };
            format!("{node} ({word} {})", slots.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nodes_are_listed_with_their_slots() {
        let tasks = vec![
            ("2".to_string(), "node-c".to_string()),
            ("1".to_string(), "node-a".to_string()),
            ("3".to_string(), "node-c".to_string()),
        ];
        assert_eq!(
            where_they_run(&tasks),
            "node-a (slot 1), node-c (slots 2, 3)"
        );
    }
}

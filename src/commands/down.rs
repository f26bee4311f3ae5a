//! `homectl down`: stop and remove the selected stacks' or services'
//! containers (volumes are kept), under each node's lock, with a history
//! record. Asks first unless `--yes`. `down NODE stack:S` also removes a
//! stray homectl stack S from NODE (docs/operations.md, "Strays").

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::execution::fanout::run_on_nodes;
use crate::execution::node_session::NodeSession;
use crate::execution::operator::operator;
use crate::inventory::{self, names::check_name};
use crate::plan::history::{now_rfc3339, HistoryRecord, RecordKind, RecordResult};
use crate::plan::strays::homectl_stack;
use crate::plan::{SelectedNode, SelectedStack, Selection};
use crate::remote::steps::{down, record, stray};
use crate::settings::{DownSettings, GlobalSettings};

pub fn run(global: &GlobalSettings, args: &DownSettings) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let selection = match args.select.select(&project) {
        Ok(selection) => selection,
        // Not in the inventory for that node: perhaps a stray of homectl's.
        Err(e) => match stray_request(&project, &args.select.target, &args.select.names) {
            Some((node, stack)) => stray_selection(global, args, &project, node, stack)?,
            None => return Err(e),
        },
    };
    let what: Vec<String> = selection
        .nodes
        .iter()
        .flat_map(|n| {
            n.stacks.iter().map(move |s| match &s.services {
                None => format!("{}: stack {}", n.node, s.stack),
                Some(list) => format!("{}: {} of stack {}", n.node, list.join(", "), s.stack),
            })
        })
        .collect();
    let printer = global.printer();
    if !args.yes {
        confirm(&what)?;
    }
    // Swarm stacks go once each, through a manager (docs/swarm.md).
    let (selection, swarm) = crate::plan::swarm_plan::split_swarm(&project, selection);
    if !swarm.is_empty() {
        crate::commands::swarm_deploy::down(&project, &swarm, printer)?;
        if selection.nodes.is_empty() {
            return Ok(0);
        }
    }
    let inv = Arc::new(project.inventory.clone());
    let who = operator();
    let results = crate::commands::runtime()?.block_on(async {
        let tasks: Vec<_> = selection
            .nodes
            .into_iter()
            .map(|n| tokio::spawn(down_node(inv.clone(), n, who.clone())))
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            if let Ok(r) = t.await {
                results.push(r);
            }
        }
        results
    });
    let mut failed = Vec::new();
    for (node, result) in results {
        match result {
            Ok(lines) => lines
                .iter()
                .for_each(|l| printer.out(&format!("{node}: {l}"))),
            Err(e) => {
                printer.warn(&format!("✗ {node}: {e}"));
                failed.push(node);
            }
        }
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        Err(Error::runtime(format!(
            "down failed on {}",
            failed.join(", ")
        )))
    }
}

/// Off a terminal, `--yes` is required (exit 2); on one, asks.
fn confirm_possible(args: &DownSettings) -> Result<()> {
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "down stops containers: pass --yes when not on a terminal",
        ));
    }
    Ok(())
}

fn confirm(what: &[String]) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "down stops containers: pass --yes when not on a terminal",
        ));
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "This stops and removes the containers of:\n  {}\n(volumes are kept)",
        what.join("\n  ")
    );
    let _ = write!(err, "Continue? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        return Err(Error::runtime("nothing done: not confirmed"));
    }
    Ok(())
}

/// `down NODE stack:S` where the inventory does not give S to NODE: the
/// node and the stack, if the command line has exactly that form (TARGET a
/// node, one NAME `stack:S`, S a valid name). Anything else keeps the
/// selection's own error.
fn stray_request<'a>(
    project: &inventory::Project,
    target: &'a str,
    names: &'a [String],
) -> Option<(&'a str, &'a str)> {
    let [name] = names else { return None };
    let stack = name.strip_prefix("stack:")?;
    let node = project.inventory.nodes.get(target)?;
    let is_group = project
        .inventory
        .nodes
        .values()
        .any(|n| n.groups.iter().any(|g| g == target));
    (!is_group && !node.stacks.iter().any(|s| s == stack) && check_name(stack).is_ok())
        .then_some((target, stack))
}

/// Asks NODE whether the stray project of S runs there and is homectl's
/// (its history has S); the selection of it, or exit 2 if it is not.
fn stray_selection(
    global: &GlobalSettings,
    args: &DownSettings,
    project: &inventory::Project,
    node: &str,
    stack: &str,
) -> Result<Selection> {
    confirm_possible(args)?;
    let inv = Arc::new(project.inventory.clone());
    let compose_project = inv.project_name(stack);
    let step = stray::step(stack, &compose_project);
    let mut results = crate::commands::runtime()?.block_on(run_on_nodes(
        inv.clone(),
        vec![(node.to_string(), step)],
        Duration::from_secs(60),
    ));
    let output = match results.pop() {
        Some((_, Ok(output))) => output,
        Some((_, Err(e))) => {
            return Err(Error::on_nodes(format!("down: {node}: {e}"), &[node]));
        }
        None => return Err(Error::runtime(format!("down: no answer from {node}"))),
    };
    let stray::Stray {
        containers,
        history,
    } = stray::parse(&output);
    if homectl_stack(&inv, &compose_project, &history).is_none() {
        return Err(Error::usage(if containers > 0 {
            format!(
                "`{compose_project}` on {node} is not homectl's: {node}'s history has no stack \
                 `{stack}`, and the inventory does not assign it to {node}; homectl leaves it alone"
            )
        } else {
            format!(
                "no stack `{stack}` on {node}: the inventory does not assign it to {node} \
                 and {node}'s history has no record of it"
            )
        }));
    }
    global.printer().warn(&format!(
        "{node}: stack {stack} is a stray of homectl's ({containers} containers of \
         {compose_project}; the inventory does not assign it to {node})"
    ));
    Ok(Selection {
        nodes: vec![SelectedNode {
            node: node.to_string(),
            stacks: vec![SelectedStack {
                stack: stack.to_string(),
                services: None,
            }],
        }],
    })
}

async fn down_node(
    inv: Arc<inventory::Inventory>,
    selected: SelectedNode,
    who: String,
) -> (String, std::result::Result<Vec<String>, String>) {
    let node = selected.node.clone();
    let result = async {
        let mut session = NodeSession::open(&inv, &inv.nodes[&node], true).await?;
        let mut lines = Vec::new();
        for s in &selected.stacks {
            let t = Instant::now();
            let project = inv.project_name(&s.stack);
            let services = s.services.clone().unwrap_or_default();
            let step = down::step(&s.stack, &project, &services);
            let out = match session.run(&step, Duration::from_secs(300)).await {
                Ok(o) => o,
                Err(e) => {
                    session.close().await;
                    return Err(e);
                }
            };
            let removed = down::parse(&out);
            let record = HistoryRecord {
                values: Default::default(),
                time: now_rfc3339(),
                operator: who.clone(),
                node: node.clone(),
                stack: s.stack.clone(),
                kind: RecordKind::Down,
                services: services.clone(),
                tag: "-".into(),
                scale: 0,
                result: RecordResult::Ok,
                detail: format!("{removed} containers removed"),
                images: Default::default(),
                duration_ms: t.elapsed().as_millis() as u64,
                inputs: String::new(),
                files: String::new(),
            };
            let _ = session
                .run(
                    &record::step(&serde_json::to_string(&record).expect("serializes")),
                    Duration::from_secs(30),
                )
                .await;
            lines.push(format!(
                "{} down: {removed} containers removed",
                if services.is_empty() {
                    format!("stack {}", s.stack)
                } else {
                    services.join(", ")
                }
            ));
        }
        session.close().await;
        Ok(lines)
    }
    .await;
    (node, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> inventory::Project {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml");
        inventory::load(&path).expect("the lab inventory loads")
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_node_and_one_stack_name_not_assigned_there_is_a_stray_request() {
        let p = lab();
        let n = names(&["stack:workers"]);
        assert_eq!(stray_request(&p, "node-a", &n), Some(("node-a", "workers")));
        let n = names(&["stack:gone"]);
        assert_eq!(stray_request(&p, "node-b", &n), Some(("node-b", "gone")));
        // Assigned there: the normal selection's business.
        let n = names(&["stack:workers"]);
        assert_eq!(stray_request(&p, "node-b", &n), None);
        // A group, `all`, an unknown node, a bare name, several names, a bad name.
        assert_eq!(stray_request(&p, "workers", &names(&["stack:core"])), None);
        assert_eq!(stray_request(&p, "all", &names(&["stack:gone"])), None);
        assert_eq!(stray_request(&p, "node-z", &names(&["stack:gone"])), None);
        assert_eq!(stray_request(&p, "node-a", &names(&["workers"])), None);
        assert_eq!(
            stray_request(&p, "node-a", &names(&["stack:workers", "stack:x"])),
            None
        );
        assert_eq!(stray_request(&p, "node-a", &names(&["stack:../x"])), None);
        assert_eq!(stray_request(&p, "node-a", &names(&["stack:"])), None);
    }
}

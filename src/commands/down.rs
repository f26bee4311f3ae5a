//! `homectl down`: stop and remove the selected stacks' or services'
//! containers (volumes are kept), under each node's lock, with a history
//! record. Asks first unless `--yes`.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::{DownArgs, GlobalOptions};
use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::execution::operator::operator;
use crate::inventory;
use crate::plan::history::{now_rfc3339, HistoryRecord};
use crate::plan::{self, SelectedNode};
use crate::remote::deploy_steps::record_step;
use crate::remote::{quote, Step};

const DOWN: &str = include_str!("../remote/scripts/down.sh");

pub fn run(global: &GlobalOptions, args: &DownArgs) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let selection = plan::select(&project, Some(&args.target.target), &args.target.names)?;
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
            let step = Step::new(
                format!("down {}", s.stack),
                format!(
                    "HC_PROJECT={} HC_SERVICES={}\n{DOWN}",
                    quote(&project),
                    quote(&services.join(" "))
                ),
            );
            let out = match session.run(&step, Duration::from_secs(300)).await {
                Ok(o) => o,
                Err(e) => {
                    session.close().await;
                    return Err(e);
                }
            };
            let removed = out
                .lines()
                .find_map(|l| l.strip_prefix("REMOVED "))
                .unwrap_or("0")
                .to_string();
            let record = HistoryRecord {
                time: now_rfc3339(),
                operator: who.clone(),
                node: node.clone(),
                stack: s.stack.clone(),
                kind: "down".into(),
                services: services.clone(),
                tag: "-".into(),
                scale: 0,
                result: "ok".into(),
                detail: format!("{removed} containers removed"),
                images: Default::default(),
                duration_ms: t.elapsed().as_millis() as u64,
                inputs: String::new(),
                files: String::new(),
            };
            let _ = session
                .run(
                    &record_step(&serde_json::to_string(&record).expect("serializes")),
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

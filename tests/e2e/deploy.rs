//! `homectl deploy` against the lab. Every assertion is about what the
//! nodes' Docker engines really run (over plain ssh), not about what
//! homectl says. Each test brings the nodes it uses to a known state first.
//!
//! One concept a file in deploy/; this file holds what they share: the
//! lab's tags, `deploy` itself, the core stack at a tag, the history.

mod core_stack;
mod interrupt;
mod locked;
mod records;
mod rollback;
mod scale;
mod unchanged;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;

const CORE: &str = "core.lab.home.arpa";
const CORE_PROJECT: &str = "ktrdr-core";
const WORKERS_PROJECT: &str = "ktrdr-workers";

fn old() -> String {
    lab_var("LAB_TAG_OLD")
}

fn new() -> String {
    lab_var("LAB_TAG_NEW")
}

/// `homectl deploy ARGS...` against the lab inventory.
fn deploy(args: &[&str]) -> Run {
    deploy_in(None, args)
}

/// `homectl -i INVENTORY deploy ARGS...`. The lab is shared with other
/// people's demos and benchmarks: a deploy that finds a node locked by
/// someone else is tried again for a while (the lock test itself does not
/// come through here).
fn deploy_in(inventory: Option<&std::path::Path>, args: &[&str]) -> Run {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let command = match inventory {
            Some(path) => Homectl::with_inventory(path),
            None => Homectl::new(),
        };
        let run = command.args(["deploy"]).args(args).run();
        if run.code == 1
            && run.all().contains(": FAILED lock: locked by")
            && Instant::now() < deadline
        {
            eprintln!(
                "a node is locked by someone else, trying again: {}",
                run.all()
                    .lines()
                    .find(|l| l.contains("locked by"))
                    .unwrap_or("")
            );
            std::thread::sleep(Duration::from_secs(3));
            continue;
        }
        return run;
    }
}

/// The core stack at `tag`, both services running and the backend healthy.
#[track_caller]
fn core_at(tag: &str) -> (Container, Container) {
    deploy(&["core", "--tag", tag]).success();
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    let db = container_of(CORE, CORE_PROJECT, "db");
    assert_eq!(backend.tag(), tag, "{backend:?}");
    assert_eq!(
        (backend.state.as_str(), backend.health.as_str()),
        ("running", "healthy"),
        "{backend:?}"
    );
    assert_eq!(db.state, "running", "{db:?}");
    (backend, db)
}

/// The services that have a container on the node, each checked to run
/// `tag` and be running.
#[track_caller]
fn running_services(host: &str, project: &str, tag: &str) -> BTreeSet<String> {
    let list = containers(host, project);
    for c in &list {
        assert_eq!(c.state, "running", "{host}: {c:?}");
        assert_eq!(c.tag(), tag, "{host}: {c:?}");
    }
    let services: BTreeSet<String> = list.iter().map(|c| c.service.clone()).collect();
    assert_eq!(
        services.len(),
        list.len(),
        "{host}: one container per service: {list:?}"
    );
    services
}

fn workers_at(scale: u32) -> BTreeSet<String> {
    (1..=scale)
        .flat_map(|n| {
            [
                format!("backtest-worker-{n}"),
                format!("training-worker-{n}"),
            ]
        })
        .collect()
}

/// The JSON events homectl printed so far (`--json`).
fn events(output: &str) -> Vec<serde_json::Value> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect()
}

/// The node's history (history.jsonl), oldest first.
fn history(host: &str) -> Vec<serde_json::Value> {
    on_node_ok(
        host,
        "cat /var/lib/homectl/history.jsonl 2>/dev/null || true",
    )
    .lines()
    .map(|l| {
        serde_json::from_str(l).unwrap_or_else(|e| panic!("a history line is not JSON ({e}): {l}"))
    })
    .collect()
}

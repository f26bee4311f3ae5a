//! What the swarm e2e tests share (docs/swarm.md): the lab's Swarm for as
//! long as a guard lives, the swarm inventory's homectl, and what the
//! manager says of the stack's tasks and of a tag's digest.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::*;

pub const CORE: &str = "core.lab.home.arpa";
pub const PROJECT: &str = "ktrdr-swarm-workers";
pub const SERVICES: [&str; 2] = ["backtest-worker", "training-worker"];

pub fn lab_swarm(verb: &str) {
    let out = Command::new(repo().join("scripts/lab"))
        .args(["swarm", verb])
        .output()
        .expect("scripts/lab runs");
    assert!(
        out.status.success(),
        "scripts/lab swarm {verb}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The lab's Swarm, for as long as the guard lives (the e2e lock must be
/// held: other tests' Compose deploys must never see it).
pub struct SwarmUp;

impl SwarmUp {
    pub fn new() -> SwarmUp {
        // The guard first: a half-formed Swarm is taken down too.
        let guard = SwarmUp;
        lab_swarm("up");
        guard
    }
}

impl Drop for SwarmUp {
    fn drop(&mut self) {
        // Also after a failed assertion: the next test needs the plain lab.
        // No panic here (it may run while unwinding).
        let out = Command::new(repo().join("scripts/lab"))
            .args(["swarm", "down"])
            .output();
        if !out.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("scripts/lab swarm down failed: {out:?}");
        }
    }
}

pub fn swarm_homectl() -> Homectl {
    Homectl::with_inventory(&repo().join("inventory/lab-swarm.toml"))
}

/// `deploy swarm stack:swarm-workers --tag TAG --scale N`, which must succeed.
pub fn deploy_at(tag: &str, n: &str) -> Run {
    let run = swarm_homectl()
        .args([
            "deploy",
            "swarm",
            "stack:swarm-workers",
            "--tag",
            tag,
            "--scale",
            n,
        ])
        .run();
    run.success();
    run
}

/// The image digest a tag has in the lab registry, as the manager pulled it.
pub fn digest_of(tag: &str) -> String {
    let image = lab_var("LAB_IMAGE");
    on_node_ok(
        CORE,
        &format!("docker image inspect --format '{{{{range .RepoDigests}}}}{{{{println .}}}}{{{{end}}}}' {image}:{tag} | grep -F {image}@ | head -n1"),
    )
    .trim()
    .to_string()
}

/// (task name, node, image, state) of the service's tasks meant to run.
pub fn tasks(service: &str) -> Vec<(String, String, String, String)> {
    on_node_ok(
        CORE,
        &format!("docker service ps {PROJECT}_{service} --no-trunc --filter desired-state=running --format '{{{{.Name}}}} {{{{.Node}}}} {{{{.Image}}}} {{{{.CurrentState}}}}'"),
    )
    .lines()
    .map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w[0].into(), w[1].into(), w[2].into(), w.get(3).unwrap_or(&"").to_string())
    })
    .collect()
}

/// Every task of `service` runs `image`, `n` of them; the nodes they run on.
#[track_caller]
pub fn assert_tasks(service: &str, n: usize, image: &str) -> BTreeSet<String> {
    let tasks = tasks(service);
    assert_eq!(tasks.len(), n, "{service}: {tasks:?}");
    for (name, _, img, state) in &tasks {
        assert_eq!(img, image, "{name}");
        assert_eq!(state, "Running", "{name}");
    }
    tasks.into_iter().map(|t| t.1).collect()
}

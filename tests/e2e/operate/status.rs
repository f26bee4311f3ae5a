//! `homectl status`: tags and digests of every node, a node that is down.

use std::process::Command;
use std::time::Duration;

use super::*;

/// Image digests the node itself reports for a container's image.
fn node_digests(host: &str, container_filter: &str) -> String {
    on_node_ok(host, &format!("for c in $(docker ps -q --filter {container_filter}); do docker image inspect --format '{{{{range .RepoDigests}}}}{{{{.}}}} {{{{end}}}}' $(docker inspect --format '{{{{.Image}}}}' $c); done"))
}

#[test]
fn status_shows_tags_and_digests_of_every_node() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    Homectl::new()
        .args(["deploy", "workers", "--tag", &new, "--scale", "1"])
        .run()
        .success();

    let run = Homectl::new().args(["--json", "status"]).run();
    run.success();
    let status = run.json();
    let core = rows(&status, "node-a");
    let backend = core
        .iter()
        .find(|r| r["service"] == "backend")
        .expect("backend row");
    assert_eq!(backend["tag"], old.as_str());
    assert_eq!(backend["state"], "running");
    assert_eq!(backend["health"], "healthy");
    let digest = backend["digest"].as_str().unwrap();
    assert!(digest.starts_with("sha256:"), "{backend}");
    assert!(
        node_digests(
            "core.lab.home.arpa",
            "label=com.docker.compose.service=backend"
        )
        .contains(digest),
        "the digest is the node's own"
    );
    for (node, host) in [
        ("node-b", "workers-b.lab.home.arpa"),
        ("node-c", "workers-c.lab.home.arpa"),
    ] {
        let workers = rows(&status, node);
        let names: Vec<&str> = workers
            .iter()
            .map(|r| r["service"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["backtest-worker-1", "training-worker-1"],
            "{node}: {status}"
        );
        for r in &workers {
            assert_eq!(r["tag"], new.as_str());
            assert_eq!(r["scale"], 1);
            let d = r["digest"].as_str().unwrap();
            assert!(
                node_digests(host, "label=com.docker.compose.project=ktrdr-workers").contains(d),
                "{node}: {d}"
            );
        }
    }
    // The table has the same facts.
    let table = Homectl::new().args(["status", "workers"]).run();
    table.success();
    assert!(
        table.stdout.contains(&new[..12]) && table.stdout.contains("node-c"),
        "{}",
        table.stdout
    );
}

#[test]
fn status_shows_a_node_that_is_down_as_unreachable() {
    let _lab = lab_lock();
    let pid = std::fs::read_to_string(format!("{LAB}/nodes/node-c/run/sshd.pid"))
        .unwrap()
        .trim()
        .to_string();
    assert!(Command::new("kill").arg(&pid).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    let run = Homectl::new().args(["--json", "status"]).run();
    let repaired = Command::new(repo().join("scripts/lab"))
        .arg("up")
        .output()
        .unwrap();
    assert!(repaired.status.success(), "lab up did not repair node-c");
    run.code(1);
    let status = run.json();
    assert_eq!(status["unreachable"][0]["node"], "node-c", "{status}");
    assert!(!rows(&status, "node-a").is_empty());
    assert!(!rows(&status, "node-b").is_empty());
}

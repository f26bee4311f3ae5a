//! Strays (docs/operations.md): projects a node runs that the inventory
//! does not assign to it, started by hand or left by a stack moved away.

use super::*;

/// The image of the hand-made projects: not pulled, so never homectl's.
const HAND_IMAGE: &str = "handmade/sleeper:local";

/// Compose projects started by hand on a node (not by homectl): removed
/// with their networks when dropped, also when the test fails.
struct HandProjects {
    host: &'static str,
    projects: Vec<&'static str>,
}

impl HandProjects {
    /// Starts each project (one `web` service that sleeps) with the node's
    /// `docker compose`. Its image is imported on the node from the lab's
    /// busybox, so it does not depend on what earlier tests left there
    /// (a prune or a `down` may have removed every pulled image).
    fn start(host: &'static str, projects: &[&'static str]) -> HandProjects {
        let guard = HandProjects {
            host,
            projects: projects.to_vec(),
        };
        on_node_ok(
            host,
            &format!("tar -C / -cf - bin/busybox | docker import - {HAND_IMAGE} >/dev/null"),
        );
        for project in projects {
            on_node_ok(
                host,
                &format!(
                    "set -e; d=$(mktemp -d); trap 'rm -rf $d' EXIT; \
                     printf 'services:\\n  web:\\n    image: {HAND_IMAGE}\\n    init: true\\n    command: [\"/bin/busybox\", \"sleep\", \"600\"]\\n' > $d/compose.yml; \
                     docker compose -p {project} -f $d/compose.yml up -d >/dev/null"
                ),
            );
        }
        guard
    }

    fn ids(&self, project: &str) -> String {
        on_node_ok(
            self.host,
            &format!("docker ps -q --no-trunc --filter label=com.docker.compose.project={project}"),
        )
        .trim()
        .to_string()
    }
}

impl Drop for HandProjects {
    fn drop(&mut self) {
        for project in &self.projects {
            on_node(
                self.host,
                &format!(
                    "docker ps -aq --filter label=com.docker.compose.project={project} | xargs -r docker rm -f >/dev/null; \
                     docker network ls -q --filter label=com.docker.compose.project={project} | xargs -r docker network rm >/dev/null"
                ),
            );
        }
    }
}

fn strays_of(status: &serde_json::Value, node: &str) -> Vec<serde_json::Value> {
    status["strays"]
        .as_array()
        .unwrap_or_else(|| panic!("no strays in {status}"))
        .iter()
        .filter(|s| s["node"] == node)
        .cloned()
        .collect()
}

#[test]
fn a_project_started_by_hand_is_a_stray_that_is_not_homectls() {
    let _lab = lab_lock();
    // `ktrdr-handmade` has the inventory's name pattern, but node-b's
    // history has no stack `handmade`: not homectl's either.
    let hand = HandProjects::start("workers-b.lab.home.arpa", &["handmade", "ktrdr-handmade"]);
    let before = hand.ids("handmade");
    assert!(!before.is_empty(), "the hand-made project runs");

    let run = Homectl::new().args(["--json", "status", "node-b"]).run();
    run.success();
    let status = run.json();
    let strays = strays_of(&status, "node-b");
    for project in ["handmade", "ktrdr-handmade"] {
        let s = strays
            .iter()
            .find(|s| s["project"] == project)
            .unwrap_or_else(|| panic!("{project} is not a stray: {status}"));
        assert_eq!(s["homectl"], false, "{s}");
        assert!(s["stack"].is_null(), "{s}");
        assert_eq!(s["services"], serde_json::json!(["web"]), "{s}");
        assert_eq!(s["containers"], 1, "{s}");
    }
    // The node's own stack is not a stray, and its rows are still there.
    assert!(
        !strays.iter().any(|s| s["project"] == "ktrdr-workers"),
        "{status}"
    );
    assert!(!rows(&status, "node-b").is_empty(), "{status}");
    let table = Homectl::new().args(["status", "node-b"]).run();
    table.success();
    assert!(
        table.stdout.contains("strays") && table.stdout.contains("not homectl's"),
        "{}",
        table.stdout
    );
    assert_eq!(hand.ids("handmade"), before, "status touched it");

    // down refuses a project homectl did not deploy, and touches nothing.
    let handmade = hand.ids("ktrdr-handmade");
    let run = Homectl::new()
        .args(["down", "node-b", "stack:handmade", "--yes"])
        .run();
    run.code(2);
    assert!(run.stderr.contains("not homectl's"), "{}", run.all());
    let run = Homectl::new()
        .args(["down", "node-b", "stack:nothing-here", "--yes"])
        .run();
    run.code(2);
    assert!(
        run.stderr.contains("no stack `nothing-here`"),
        "{}",
        run.all()
    );
    assert_eq!(hand.ids("ktrdr-handmade"), handmade, "down touched it");
    assert_eq!(hand.ids("handmade"), before, "down touched it");
}

/// Deploys workers on node-c with the lab inventory when dropped: the lab
/// as the tests expect it, also when a test fails.
struct WorkersBackOnNodeC(String);

impl Drop for WorkersBackOnNodeC {
    fn drop(&mut self) {
        let run = Homectl::new()
            .args([
                "deploy", "workers", "node-c", "--tag", &self.0, "--scale", "1",
            ])
            .run();
        if run.code != 0 {
            eprintln!("could not put workers back on node-c:\n{}", run.all());
        }
    }
}

#[test]
fn a_stack_moved_off_a_node_is_a_homectl_stray_there_until_down_removes_it() {
    let _lab = lab_lock();
    let tag = lab_var("LAB_TAG_OLD");
    Homectl::new()
        .args(["deploy", "workers", "--tag", &tag, "--scale", "1"])
        .run()
        .success();
    let _back = WorkersBackOnNodeC(tag.clone());
    let node_b_before = containers("workers-b.lab.home.arpa", "ktrdr-workers");
    // The inventory now gives node-c the core stack instead of workers.
    let dir = tempfile::tempdir().unwrap();
    let moved = inventory_variant(
        dir.path(),
        &[(
            "stacks = [\"workers\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c",
            "stacks = [\"core\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c",
        )],
    );

    let run = Homectl::with_inventory(&moved)
        .args(["--json", "status", "node-c"])
        .run();
    run.success();
    let status = run.json();
    let strays = strays_of(&status, "node-c");
    let workers = strays
        .iter()
        .find(|s| s["project"] == "ktrdr-workers")
        .unwrap_or_else(|| panic!("workers is no stray on node-c: {status}"));
    assert_eq!(workers["homectl"], true, "{workers}");
    assert_eq!(workers["stack"], "workers", "{workers}");
    assert_eq!(
        workers["services"],
        serde_json::json!(["backtest-worker-1", "training-worker-1"]),
        "{workers}"
    );
    assert_eq!(workers["containers"], 2, "{workers}");
    assert_eq!(
        rows(&status, "node-c")[0]["state"],
        "not deployed",
        "{status}"
    );
    let table = Homectl::with_inventory(&moved)
        .args(["status", "node-c"])
        .run();
    assert!(
        table
            .stdout
            .contains("homectl down node-c stack:workers --yes"),
        "{}",
        table.stdout
    );

    // Off a terminal, --yes is required, before any node is touched.
    Homectl::with_inventory(&moved)
        .args(["down", "node-c", "stack:workers"])
        .run()
        .code(2);
    assert_eq!(
        containers("workers-c.lab.home.arpa", "ktrdr-workers").len(),
        2
    );
    // The normal selection still refuses what is not there.
    Homectl::with_inventory(&moved)
        .args(["down", "node-c", "workers", "--yes"])
        .run()
        .code(2);

    let run = Homectl::with_inventory(&moved)
        .args(["down", "node-c", "stack:workers", "--yes"])
        .run();
    run.success();
    assert!(run.stdout.contains("stack workers down"), "{}", run.all());
    assert!(
        containers("workers-c.lab.home.arpa", "ktrdr-workers").is_empty(),
        "the stray is still there"
    );
    assert_eq!(
        containers("workers-b.lab.home.arpa", "ktrdr-workers"),
        node_b_before,
        "node-b's workers were touched"
    );
    let history = Homectl::new()
        .args(["--json", "history", "node-c", "-n", "1"])
        .run()
        .json();
    assert_eq!(history[0]["kind"], "down");
    assert_eq!(history[0]["stack"], "workers");
    let after = Homectl::with_inventory(&moved)
        .args(["--json", "status", "node-c"])
        .run()
        .json();
    assert!(strays_of(&after, "node-c").is_empty(), "{after}");
}

//! Operating a swarm stack on the lab's Swarm (docs/swarm.md): `rollback
//! --to T` recorded as a rollback with its digests, `exec` in a task on the
//! node that hosts it (and the error naming where its tasks run), `prune`
//! of the images pulled for it on every node. The Swarm is formed and taken
//! down again by the guard, as in tests/e2e/swarm.rs.

use std::collections::BTreeMap;

use crate::common::*;
use crate::swarm_common::{
    assert_tasks, deploy_at, digest_of, swarm_homectl, tasks, SwarmUp, CORE, PROJECT, SERVICES,
};

fn last_record() -> serde_json::Value {
    let line = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    serde_json::from_str(line.trim()).expect("a history record")
}

/// The image id `digest` has on `host`, if it is there.
fn image_on(host: &str, digest: &str) -> Option<String> {
    let out = on_node(
        host,
        &format!("docker image inspect --format '{{{{.Id}}}}' {digest}"),
    );
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn exec(node: &str, extra: &[&str], command: &[&str]) -> Run {
    let mut args = vec!["exec", node, "backtest-worker"];
    args.extend(extra);
    args.push("--");
    args.extend(command);
    swarm_homectl().args(args).run()
}

/// Of one node: the images to remove (or removed), and for swarm-workers
/// the images spared and why.
type Pruned = (Vec<String>, Vec<(String, String)>);

/// `prune --json`'s node entries: node → what it pruned.
fn pruned(run: &Run) -> BTreeMap<String, Pruned> {
    let doc = run.json();
    let mut out = BTreeMap::new();
    for node in doc["nodes"].as_array().expect("nodes") {
        let name = node["node"].as_str().unwrap().to_string();
        let removed: Vec<String> = node["removed_images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect();
        let stack = node["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stack"] == "swarm-workers")
            .expect("swarm-workers pruned");
        let spared = stack["spared"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        out.insert(name, (removed, spared));
    }
    out
}

#[test]
fn swarm_rollback_to_a_tag_exec_in_a_task_and_prune_of_its_images() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let third = lab_var("LAB_TAG_DB");
    deploy_at(&old, "1");
    deploy_at(&new, "1");
    let old_digest = digest_of(&old);
    let new_digest = digest_of(&new);

    // rollback --to: the tag's images, recorded as a rollback with digests.
    let run = swarm_homectl()
        .args(["rollback", "swarm", "stack:swarm-workers", "--to", &old])
        .run();
    run.success();
    for service in SERVICES {
        assert_tasks(service, 1, &old_digest);
    }
    let record = last_record();
    assert_eq!(record["kind"], "rollback", "{record}");
    assert_eq!(record["result"], "ok", "{record}");
    assert_eq!(record["tag"], old.as_str(), "{record}");
    for service in SERVICES {
        assert_eq!(
            record["images"][service]["digests"][0],
            old_digest.as_str(),
            "{record}"
        );
    }

    // exec: in the task on the node that hosts it.
    let (_, host_node, _, _) = tasks("backtest-worker").remove(0);
    let run = exec(&host_node, &[], &["cat", "/app/version"]);
    run.success();
    assert_eq!(run.stdout.trim(), old, "{}", run.all());
    exec(&host_node, &["--replica", "1"], &["true"]).success();
    exec(&host_node, &[], &["sh", "-c", "echo out; exit 7"]).code(7);
    let api_key = lab_secrets()
        .into_iter()
        .find(|(k, _)| k == "homelab/ktrdr-api/key")
        .map(|(_, v)| v)
        .expect("the api key");
    let run = exec(
        &host_node,
        &[],
        &["sh", "-c", "echo \"key=$KTRDR_API_KEY\""],
    );
    run.success();
    assert_eq!(run.stdout, "key=***\n", "{}", run.all());
    assert!(!run.all().contains(&api_key));
    // No task of slot 2 there; no task at all on the other nodes: the
    // error names the node and where the tasks run.
    let run = exec(&host_node, &["--replica", "2"], &["true"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("no running task 2 of swarm-workers/backtest-worker"),
        "{}",
        run.all()
    );
    for (node, _) in NODES.iter().filter(|(n, _)| *n != host_node) {
        let run = exec(node, &[], &["true"]);
        run.code(1);
        assert!(
            run.stderr.contains(node)
                && run
                    .stderr
                    .contains(&format!("tasks run on {host_node} (slot 1)")),
            "{node}: {}",
            run.all()
        );
    }

    // `run` is for compose stacks: refused before anything is contacted.
    let run = swarm_homectl()
        .args(["run", &host_node, "backtest-worker", "--", "true"])
        .run();
    run.code(2);
    assert!(run.stderr.contains("is a swarm stack"), "{}", run.all());

    // prune --keep 1 after a third tag: the spec's (third) and the
    // previous spec's (old) images stay on every node; new goes wherever
    // no other stack keeps it. The dry run says what the prune does.
    deploy_at(&third, "1");
    let third_digest = digest_of(&third);
    let before: BTreeMap<&str, Option<String>> = NODES
        .iter()
        .map(|(n, host)| (*n, image_on(host, &new_digest)))
        .collect();
    let dry = swarm_homectl()
        .args([
            "--json",
            "prune",
            "swarm",
            "stack:swarm-workers",
            "--keep",
            "1",
            "--dry-run",
        ])
        .run();
    dry.success();
    let run = swarm_homectl()
        .args([
            "--json",
            "prune",
            "swarm",
            "stack:swarm-workers",
            "--keep",
            "1",
        ])
        .run();
    run.success();
    let (dry, done) = (pruned(&dry), pruned(&run));
    let mut removed_somewhere = false;
    for (node, host) in NODES {
        let (removed, spared) = &done[node];
        assert_eq!(removed, &dry[node].0, "{node}: dry run and prune differ");
        let new_id = before[node].clone().expect("new was pulled on every node");
        if removed.contains(&new_id) {
            removed_somewhere = true;
            assert_eq!(image_on(host, &new_digest), None, "{node}");
        } else {
            // Only another stack may keep it: its records, or its
            // containers (none of the swarm stack's tasks, ended ones gone).
            let why = spared.iter().find(|(id, _)| *id == new_id);
            let holders = on_node_ok(
                host,
                &format!("docker ps -a --filter ancestor={new_id} --format '{{{{.Names}}}}'"),
            );
            let by_other = match why {
                Some((_, w)) if w.starts_with("stack ") => true,
                Some((_, w)) if w == "a container uses it" => {
                    !holders.trim().is_empty() && !holders.contains(PROJECT)
                }
                _ => false,
            };
            assert!(by_other, "{node}: new kept: {why:?}; held by: {holders}");
        }
        let ended = on_node_ok(
            host,
            &format!("docker ps -aq --filter label=com.docker.swarm.stack.namespace={PROJECT} --filter status=exited"),
        );
        assert_eq!(ended.trim(), "", "{node}: ended tasks' containers left");
        assert!(image_on(host, &old_digest).is_some(), "{node}: old gone");
        assert!(
            image_on(host, &third_digest).is_some(),
            "{node}: third gone"
        );
    }
    assert!(removed_somewhere, "new removed on no node: {}", run.all());
    for service in SERVICES {
        assert_tasks(service, 1, &third_digest);
    }
}

//! Swarm stacks on the lab's Swarm (docs/swarm.md): `scripts/lab swarm up`
//! under the e2e lock, taken down again by a guard whatever the test's
//! outcome, so the Compose tests find the lab as always.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use crate::secrets::{node_files, registry_auth, ArgvWatcher};
use crate::swarm_common::*;

/// Through the tasks themselves, not the routing mesh (docs/lab.md): on
/// each node, every container of the service answers /version and is
/// healthy. Returns how many answered.
fn tasks_answer(service: &str, version: &str) -> usize {
    let port = if service == "backtest-worker" {
        5003
    } else {
        5005
    };
    let mut answered = 0;
    for (node, host) in NODES {
        let out = on_node_ok(
            host,
            &format!("for c in $(docker ps -q --filter label=com.docker.swarm.service.name={PROJECT}_{service}); do echo \"$(docker inspect --format '{{{{.State.Health.Status}}}}' $c) $(docker exec $c wget -qO- http://127.0.0.1:{port}/version)\"; done"),
        );
        for line in out.lines() {
            assert_eq!(
                line.trim(),
                format!("healthy {version}"),
                "{node}: {service}: {out}"
            );
            answered += 1;
        }
    }
    answered
}

#[test]
fn swarm_stack_scales_rolls_over_and_swarm_rolls_back_a_failed_update() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let needles = secret_needles();
    let watcher = ArgvWatcher::start();

    // At --scale 5: five tasks of each service, spread over the nodes.
    let first = deploy_at(&old, "5");
    eprintln!("deploy at --scale 5: {:?}", first.elapsed);
    let old_digest = digest_of(&old);
    for service in SERVICES {
        let nodes = assert_tasks(service, 5, &old_digest);
        assert!(nodes.len() >= 2, "{service}: all tasks on {nodes:?}");
        assert_eq!(tasks_answer(service, &old), 5);
    }
    // logs: on the manager every task's (service logs), on a worker its own tasks'.
    let logs = swarm_homectl()
        .args(["logs", "node-a", "backtest-worker", "--tail", "5"])
        .run();
    logs.success();
    assert_eq!(
        logs.stdout
            .matches(&format!("serving {old} on :5003"))
            .count(),
        5,
        "{}",
        logs.all()
    );
    if let Some((_, worker, _, _)) = tasks("backtest-worker")
        .into_iter()
        .find(|t| t.1 != "node-a")
    {
        let logs = swarm_homectl()
            .args(["logs", &worker, "backtest-worker"])
            .run();
        logs.success();
        assert!(
            logs.stdout.contains(&format!("serving {old} on :5003")),
            "{}",
            logs.all()
        );
    }

    // A config from the stack's folder reached the tasks.
    let (_, node, _, _) = tasks("backtest-worker").remove(0);
    let conf = on_node_ok(
        host_of(&node),
        &format!("docker exec $(docker ps -q --filter label=com.docker.swarm.service.name={PROJECT}_backtest-worker | head -n1) cat /etc/worker.conf"),
    );
    assert_eq!(
        conf,
        std::fs::read_to_string(repo().join("stacks/swarm-workers/worker.conf")).unwrap()
    );

    // The secret reached the tasks' environment byte for byte.
    let api_key = lab_secrets()
        .into_iter()
        .find(|(k, _)| k == "homelab/ktrdr-api/key")
        .map(|(_, v)| v)
        .expect("the api key");
    let (_, node, _, _) = tasks("backtest-worker").remove(0);
    let env = Command::new("ssh")
        .args(["-F", SSH_CONFIG, host_of(&node)])
        .arg(format!("docker exec $(docker ps -q --filter label=com.docker.swarm.service.name={PROJECT}_backtest-worker | head -n1) /bin/sh -c 'printf %s \"$KTRDR_API_KEY\"'"))
        .output()
        .expect("ssh");
    assert!(
        env.stdout == api_key.as_bytes(),
        "KTRDR_API_KEY in the task on {node} differs ({} bytes, want {}): {}",
        env.stdout.len(),
        api_key.len(),
        String::from_utf8_lossy(&env.stderr)
    );

    // A new tag, no --scale: the 5 replicas stay, every task healthy at the new digest.
    let second = swarm_homectl()
        .args(["deploy", "swarm", "swarm-workers", "--tag", &new])
        .run();
    second.success();
    eprintln!("new tag, 10 tasks: {:?}", second.elapsed);
    let new_digest = digest_of(&new);
    assert_ne!(old_digest, new_digest);
    for service in SERVICES {
        assert_tasks(service, 5, &new_digest);
        assert_eq!(tasks_answer(service, &new), 5);
    }

    // The unhealthy tag: Swarm rolls back, homectl waits for it and exits 1
    // naming the services; the previous digest runs.
    let bad = swarm_homectl()
        .args(["deploy", "swarm", "swarm-workers", "--tag", "unhealthy"])
        .run();
    bad.code(1);
    eprintln!("unhealthy tag, rolled back: {:?}", bad.elapsed);
    assert!(bad.all().contains("rolled it back"), "{}", bad.all());
    for service in SERVICES {
        assert!(bad.all().contains(service), "{}", bad.all());
        assert_tasks(service, 5, &new_digest);
    }
    let sampled = watcher.finish();

    // status: per service running/desired, the digest, the nodes.
    let status = swarm_homectl().args(["status", "swarm"]).run();
    status.success();
    for service in SERVICES {
        assert!(
            status
                .stdout
                .contains(&format!("{service}  5/5  {new_digest}  on node-")),
            "{}",
            status.all()
        );
    }

    // status --json: the same, in the document beside the compose stacks'.
    let json = swarm_homectl().args(["status", "all", "--json"]).run();
    json.success();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert!(
        doc["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["stack"] == "core"),
        "{doc}"
    );
    let swarm = &doc["swarm"][0];
    assert_eq!(
        (&swarm["stack"], &swarm["manager"]),
        (&"swarm-workers".into(), &"node-a".into()),
        "{doc}"
    );
    for (i, service) in SERVICES.iter().enumerate() {
        let s = &swarm["services"][i];
        assert_eq!(s["service"], *service, "{doc}");
        assert_eq!(
            (s["running"].as_u64(), s["desired"].as_u64()),
            (Some(5), Some(5)),
            "{doc}"
        );
        assert_eq!(s["image"], new_digest.as_str(), "{doc}");
        assert_eq!(s["digest"], new_digest.split_once('@').unwrap().1, "{doc}");
        // The update to the unhealthy tag was rolled back.
        assert_eq!(s["update_state"], "rollback_completed", "{doc}");
        let nodes: BTreeSet<&str> = s["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        let tasks: BTreeSet<String> = tasks(service).into_iter().map(|t| t.1).collect();
        assert_eq!(nodes, tasks.iter().map(String::as_str).collect(), "{doc}");
    }

    // No registry credentials in the Swarm: not in the services' specs, not in their tasks.
    let inspect = on_node_ok(
        CORE,
        &format!("docker service inspect {PROJECT}_backtest-worker {PROJECT}_training-worker; docker inspect $(docker service ps -q {PROJECT}_backtest-worker)"),
    );
    assert!(inspect.contains("ContainerSpec"), "{inspect}");
    assert!(
        !inspect.contains("RegistryAuth"),
        "registry auth stored in the Swarm"
    );
    assert_eq!(find_secret(inspect.as_bytes(), &[registry_auth()]), None);

    // The manager's history has the three deploys with their digests.
    let history = on_node_ok(CORE, "cat /var/lib/homectl/history.jsonl");
    let records: Vec<serde_json::Value> = history
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|r: &serde_json::Value| r["stack"] == "swarm-workers")
        .collect();
    let last: Vec<&str> = records
        .iter()
        .rev()
        .take(3)
        .map(|r| r["result"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(last, ["rolled-back", "ok", "ok"], "{history}");
    let ok = &records[records.len() - 2];
    assert_eq!(
        ok["images"]["backtest-worker"]["digests"][0],
        new_digest.as_str()
    );

    // rollback: the digests of the deploy before the last successful one.
    swarm_homectl()
        .args(["rollback", "swarm", "stack:swarm-workers"])
        .run()
        .success();
    for service in SERVICES {
        assert_tasks(service, 5, &old_digest);
    }
    let history = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    assert!(
        history.contains(r#""kind":"rollback""#) && history.contains(&old),
        "{history}"
    );

    // --scale 2 scales down; the digest stays.
    swarm_homectl()
        .args([
            "deploy",
            "swarm",
            "swarm-workers",
            "--tag",
            &new,
            "--scale",
            "2",
        ])
        .run()
        .success();
    for service in SERVICES {
        assert_tasks(service, 2, &new_digest);
    }

    // restart: every task replaced (new task ids), same digest, all running.
    let task_ids = || {
        on_node_ok(
            CORE,
            &format!("docker service ps -q --filter desired-state=running {PROJECT}_backtest-worker {PROJECT}_training-worker | sort"),
        )
    };
    let before = task_ids();
    swarm_homectl()
        .args(["restart", "swarm", "stack:swarm-workers"])
        .run()
        .success();
    let after = task_ids();
    assert_eq!(after.lines().count(), 4, "{after}");
    assert!(
        before.lines().all(|id| !after.lines().any(|a| a == id)),
        "tasks not replaced: {before} / {after}"
    );
    for service in SERVICES {
        assert_tasks(service, 2, &new_digest);
    }

    // down removes the stack and waits until no task is left on any node.
    swarm_homectl()
        .args(["down", "swarm", "stack:swarm-workers", "--yes"])
        .run()
        .success();
    for (node, host) in NODES {
        let left = on_node_ok(
            host,
            &format!("docker ps -aq --filter label=com.docker.stack.namespace={PROJECT}"),
        );
        assert_eq!(left.trim(), "", "{node}: containers of the stack left");
    }
    assert_eq!(on_node_ok(CORE, "docker service ls -q").trim(), "");
    let history = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    assert!(
        history.contains(r#""kind":"down""#) && history.contains(r#""result":"ok""#),
        "{history}"
    );

    // Secrets: never in an argv during the deploys, nor in homectl's
    // output, nor in a file on a node (outside Docker's own data).
    for run in [&first, &second, &bad] {
        assert_eq!(
            find_secret(run.all().as_bytes(), &needles),
            None,
            "a secret in the output"
        );
    }
    assert!(
        sampled.leaks.is_empty(),
        "secrets in argv:\n{}",
        sampled.leaks.join("\n")
    );
    assert!(
        sampled
            .compose
            .iter()
            .any(|c| c.contains("docker stack deploy")),
        "the watcher did not see the stack deploy: {:?}",
        sampled.compose
    );
    let mut file_needles = needles.clone();
    file_needles.push(registry_auth());
    for (node, _) in NODES {
        let mut files = Vec::new();
        node_files(&Path::new(LAB).join("nodes").join(node), &mut files);
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            assert_eq!(
                find_secret(&bytes, &file_needles),
                None,
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn a_swarm_stack_whose_nodes_are_in_no_swarm_fails_naming_them() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let run = swarm_homectl()
        .args(["deploy", "swarm", "--tag", &old])
        .run();
    run.code(1);
    let all = run.all();
    assert!(all.contains("is a Swarm manager"), "{all}");
    for node in ["node-a", "node-b", "node-c"] {
        assert!(all.contains(node), "{all}");
    }
    assert!(all.contains("nothing changed"), "{all}");
}

#[test]
fn ctrl_c_during_the_wait_leaves_the_update_to_swarm_and_records_it() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    deploy_at(&old, "3");
    let mut running = swarm_homectl()
        .args(["deploy", "swarm", "stack:swarm-workers", "--tag", &new])
        .spawn();
    assert!(
        running.wait_for("stack deploy ok", std::time::Duration::from_secs(120)),
        "{}",
        running.output_so_far()
    );
    running.signal("INT");
    let run = running.wait(std::time::Duration::from_secs(60));
    run.code(130);
    assert!(
        run.all().contains("the update goes on in Swarm"),
        "{}",
        run.all()
    );
    let history = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    assert!(history.contains(r#""result":"interrupted""#), "{history}");
    // Swarm finishes the update by itself.
    let new_digest = digest_of(&new);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while tasks("backtest-worker")
        .iter()
        .any(|t| t.2 != new_digest || t.3 != "Running")
        || tasks("backtest-worker").len() != 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            tasks("backtest-worker")
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

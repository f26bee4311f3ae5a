//! Faults during a swarm stack's deploy (docs/swarm.md, "Faults"): a worker
//! node cut off while Swarm rolls the update, the manager unreachable
//! (sshd stopped, port 22 dropped); and a NAME narrowing to one service of
//! the stack. Each test forms the lab's Swarm and takes it down again, and
//! puts back what it broke even when it fails.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::swarm_common::{
    assert_tasks, deploy_at, digest_of, swarm_homectl, tasks, SwarmUp, CORE, PROJECT,
};

/// (spec version, spec image) of a service, from the manager.
fn spec(service: &str) -> (u64, String) {
    let out = on_node_ok(
        CORE,
        &format!("docker service inspect --format '{{{{.Version.Index}}}} {{{{.Spec.TaskTemplate.ContainerSpec.Image}}}}' {PROJECT}_{service}"),
    );
    let (version, image) = out.trim().split_once(' ').expect("version and image");
    (version.parse().expect("a version"), image.to_string())
}

/// The manager's view of a node: `Ready`, `Down`, `Unknown`.
fn node_status(node: &str) -> String {
    on_node_ok(
        CORE,
        &format!(
            "docker node ls --format '{{{{.Hostname}}}} {{{{.Status}}}}' | sed -n 's/^{node} //p'"
        ),
    )
    .trim()
    .to_string()
}

fn wait_node(node: &str, status: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if node_status(node) == status {
            return true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    false
}

/// A node's link to the bridge cut (the node is gone for Swarm and for
/// homectl alike); put back up, and the node Ready again, on drop.
struct LinkCut(&'static str);

impl LinkCut {
    fn new(node: &'static str) -> LinkCut {
        let guard = LinkCut(node);
        assert!(Command::new("ip")
            .args(["link", "set", &format!("hlv-{node}"), "down"])
            .status()
            .unwrap()
            .success());
        guard
    }
}

impl Drop for LinkCut {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "set", &format!("hlv-{}", self.0), "up"])
            .status();
        if !wait_node(self.0, "Ready", Duration::from_secs(60)) {
            eprintln!("{} not Ready again after its link came back", self.0);
        }
    }
}

/// The slots (`.1`, `.2`, ...) of a service that run a task now.
fn slots_running(service: &str) -> std::collections::BTreeSet<String> {
    tasks(service)
        .into_iter()
        .filter(|t| t.3 == "Running")
        .filter_map(|t| t.0.rsplit_once('.').map(|(_, slot)| slot.to_string()))
        .collect()
}

#[test]
fn a_worker_cut_off_during_the_update_is_named_and_nothing_is_lost() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    deploy_at(&old, "3");
    assert!(
        tasks("backtest-worker").iter().any(|t| t.1 == "node-b"),
        "no task on node-b to lose: {:?}",
        tasks("backtest-worker")
    );

    let mut running = swarm_homectl()
        .args(["deploy", "swarm", "stack:swarm-workers", "--tag", &new])
        .spawn();
    assert!(
        running.wait_for("stack deploy ok", Duration::from_secs(120)),
        "{}",
        running.output_so_far()
    );
    let cut = LinkCut::new("node-b");
    let run = running.wait(Duration::from_secs(300));
    eprintln!(
        "deploy with node-b cut off: {:?}\n{}",
        run.elapsed,
        run.all()
    );
    // Swarm does not move on from a task it gave to node-b until node-b is
    // back: homectl says so once nothing moved for a while, naming the
    // node and the services, instead of waiting out its deadline.
    run.code(1);
    let all = run.all();
    assert!(all.contains("Swarm node node-b not Ready"), "{all}");
    assert!(all.contains("once the node is back"), "{all}");
    assert!(all.contains("backtest-worker"), "{all}");
    assert!(
        run.elapsed < Duration::from_secs(120),
        "took {:?}",
        run.elapsed
    );
    let history = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    assert!(history.contains(r#""result":"failed""#), "{history}");
    // Nothing lost meanwhile: each service still wants 3 replicas, and
    // every slot runs a task (old or new) on the nodes left.
    assert!(
        node_status("node-b") != "Ready",
        "node-b: {}",
        node_status("node-b")
    );
    for service in ["backtest-worker", "training-worker"] {
        let replicas = on_node_ok(
            CORE,
            &format!("docker service inspect --format '{{{{.Spec.Mode.Replicated.Replicas}}}}' {PROJECT}_{service}"),
        );
        assert_eq!(replicas.trim(), "3", "{service}");
        let slots = slots_running(service);
        assert_eq!(slots.len(), 3, "{service}: {:?}", tasks(service));
    }

    // node-b back: no lock left on it, and a redeploy converges, every
    // task healthy at the new digest.
    drop(cut);
    assert!(
        wait_lock_free("workers-b.lab.home.arpa", Duration::from_secs(30)),
        "node-b stays locked"
    );
    // Swarm first finishes (or rolls back) the update that waited for node-b.
    let deadline = Instant::now() + Duration::from_secs(120);
    let settled = || {
        on_node_ok(
            CORE,
            &format!("docker service inspect --format '{{{{.UpdateStatus.State}}}}' {PROJECT}_backtest-worker {PROJECT}_training-worker"),
        )
    };
    while settled()
        .lines()
        .any(|l| l == "updating" || l == "rollback_started")
    {
        assert!(
            Instant::now() < deadline,
            "Swarm still updating: {}",
            settled()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    swarm_homectl()
        .args(["deploy", "swarm", "stack:swarm-workers", "--tag", &new])
        .run()
        .success();
    let new_digest = digest_of(&new);
    for service in ["backtest-worker", "training-worker"] {
        assert_tasks(service, 3, &new_digest);
    }
}

/// node-a's sshd stopped; `scripts/lab up` starts it again on drop.
struct SshdStopped;

impl SshdStopped {
    fn new() -> SshdStopped {
        let guard = SshdStopped;
        let pid = std::fs::read_to_string(format!("{LAB}/nodes/node-a/run/sshd.pid")).unwrap();
        assert!(Command::new("kill")
            .args(["-TERM", pid.trim()])
            .status()
            .unwrap()
            .success());
        guard
    }
}

impl Drop for SshdStopped {
    fn drop(&mut self) {
        let out = Command::new(repo().join("scripts/lab")).arg("up").output();
        if !out.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("scripts/lab up failed: {out:?}");
        }
    }
}

/// Port 22 of node-a dropped in its namespace (connections hang); the rule
/// goes on drop.
struct PortDropped;

const DROP_22: [&str; 6] = ["-p", "tcp", "--dport", "22", "-j", "DROP"];

impl PortDropped {
    fn new() -> PortDropped {
        let guard = PortDropped;
        assert!(Command::new("ip")
            .args(["netns", "exec", "node-a", "iptables", "-I", "INPUT"])
            .args(DROP_22)
            .status()
            .unwrap()
            .success());
        guard
    }
}

impl Drop for PortDropped {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "exec", "node-a", "iptables", "-D", "INPUT"])
            .args(DROP_22)
            .status();
    }
}

/// A deploy while the manager cannot be reached: exit 1 naming node-a,
/// nothing changed (same spec versions once it is back).
fn unreachable_manager_changes_nothing(new: &str, why: &str) {
    let run = swarm_homectl()
        .args(["deploy", "swarm", "stack:swarm-workers", "--tag", new])
        .run();
    eprintln!("deploy, manager {why}: {:?}\n{}", run.elapsed, run.all());
    run.code(1);
    let all = run.all();
    assert!(all.contains("node-a"), "the manager is not named: {all}");
    assert!(all.contains("nothing changed"), "{all}");
    assert!(
        run.elapsed < Duration::from_secs(40),
        "took {:?}",
        run.elapsed
    );
}

#[test]
fn a_manager_unreachable_fails_the_deploy_naming_it_and_nothing_changes() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    deploy_at(&old, "2");
    let services = ["backtest-worker", "training-worker"];
    let before: Vec<(u64, String)> = services.iter().map(|s| spec(s)).collect();
    let history = on_node_ok(CORE, "cat /var/lib/homectl/history.jsonl");

    {
        let _stopped = SshdStopped::new();
        unreachable_manager_changes_nothing(&new, "sshd stopped");
    }
    {
        let _dropped = PortDropped::new();
        unreachable_manager_changes_nothing(&new, "port 22 dropped");
    }

    let old_digest = digest_of(&old);
    for (service, spec_before) in services.iter().zip(&before) {
        assert_eq!(&spec(service), spec_before, "{service} changed");
        assert_tasks(service, 2, &old_digest);
    }
    assert_eq!(
        on_node_ok(CORE, "cat /var/lib/homectl/history.jsonl"),
        history,
        "a deploy was recorded"
    );
    // No lock left on the workers: the next deploy goes through.
    swarm_homectl()
        .args(["deploy", "swarm", "stack:swarm-workers", "--tag", &new])
        .run()
        .success();
    for service in services {
        assert_tasks(service, 2, &digest_of(&new));
    }
}

#[test]
fn a_name_narrowing_to_one_service_of_a_swarm_stack_updates_only_that_one() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    deploy_at(&old, "2");
    let training = spec("training-worker");
    let backtest = spec("backtest-worker");

    let run = swarm_homectl()
        .args(["deploy", "swarm", "backtest-worker", "--tag", &new])
        .run();
    run.success();
    let (old_digest, new_digest) = (digest_of(&old), digest_of(&new));
    assert_ne!(old_digest, new_digest);
    assert_eq!(spec("training-worker"), training, "training-worker changed");
    assert_tasks("training-worker", 2, &old_digest);
    let now = spec("backtest-worker");
    assert!(now.0 > backtest.0, "backtest-worker not updated: {now:?}");
    assert_eq!(now.1, new_digest);
    assert_tasks("backtest-worker", 2, &new_digest);
    // The record names what each service runs now.
    let last = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    let record: serde_json::Value = serde_json::from_str(last.trim()).expect("a record");
    assert_eq!(record["result"], "ok", "{last}");
    assert_eq!(
        record["images"]["backtest-worker"]["digests"][0],
        new_digest.as_str(),
        "{last}"
    );
}

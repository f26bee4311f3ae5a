//! Rolling updates (`rolling = true` in stack.toml; docs/stacks.md,
//! "Rolling updates") against the lab's workers on node-b at scale 3: a
//! probe asks every replica's port every 50 ms during the deploy.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::*;

const NODE_B: &str = "workers-b.lab.home.arpa";
const NODE_B_IP: &str = "10.77.0.12";
/// The published ports of each service group's replicas (stacks/workers/compose.yml).
const GROUPS: [(&str, [u16; 3]); 2] = [
    ("backtest-worker", [5003, 5004, 5007]),
    ("training-worker", [5005, 5006, 5008]),
];

/// Whether a replica answers `GET /version` with 200.
fn answers(port: u16) -> bool {
    let addr: SocketAddr = format!("{NODE_B_IP}:{port}").parse().unwrap();
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(150)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
    if stream.write_all(b"GET /version HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..12] == b"200"
}

#[derive(Debug, Default)]
struct Probed {
    samples: u64,
    /// Samples in which every replica of a group was down.
    all_down: u64,
    /// The longest time every replica of a group was down at once.
    longest_gap: Duration,
}

/// Asks every replica's port every 50 ms until stopped.
struct Probe {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Probed>,
}

impl Probe {
    fn start() -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut probed = Probed::default();
            let mut down_since: [Option<Instant>; 2] = [None, None];
            while !flag.load(Ordering::SeqCst) {
                let tick = Instant::now();
                for (g, (_, ports)) in GROUPS.iter().enumerate() {
                    let any_up = ports.iter().any(|p| answers(*p));
                    match (any_up, down_since[g]) {
                        (false, None) => down_since[g] = Some(tick),
                        (true, Some(since)) => {
                            probed.longest_gap = probed.longest_gap.max(tick - since);
                            down_since[g] = None;
                        }
                        _ => {}
                    }
                    if !any_up {
                        probed.all_down += 1;
                    }
                }
                probed.samples += 1;
                std::thread::sleep(Duration::from_millis(50).saturating_sub(tick.elapsed()));
            }
            for since in down_since.into_iter().flatten() {
                probed.longest_gap = probed.longest_gap.max(since.elapsed());
            }
            probed
        });
        Probe { stop, handle }
    }

    fn finish(self) -> Probed {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("the probe thread")
    }
}

/// A lab inventory whose workers stack rolls.
fn rolling_inventory(dir: &std::path::Path) -> std::path::PathBuf {
    stacks_variant(
        dir,
        "workers/stack.toml",
        &[("max_scale = 3", "rolling = true\nmax_scale = 3")],
    )
}

/// A deploy of node-b's workers. The lab is shared: a node locked by a
/// command outside the e2e lock (someone's demo) is waited for a while.
fn deploy(inventory: &std::path::Path, tag: &str, scale: &str) -> Run {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let run = Homectl::with_inventory(inventory)
            .args([
                "deploy", "workers", "node-b", "--tag", tag, "--scale", scale,
            ])
            .run();
        if !run.all().contains("FAILED lock: locked by") || Instant::now() > deadline {
            return run;
        }
        wait_lock_free(NODE_B, Duration::from_secs(60));
    }
}

fn every_replica_at(tag: &str) {
    let all = containers(NODE_B, "ktrdr-workers");
    assert_eq!(all.len(), 6, "{all:?}");
    for c in &all {
        assert_eq!(
            (c.tag(), c.state.as_str(), c.health.as_str()),
            (tag, "running", "healthy"),
            "{c:?}"
        );
    }
}

#[test]
fn a_rolling_deploy_never_has_a_whole_group_down_and_one_that_does_not_roll_does() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let plain = repo().join("inventory/lab.toml");
    let dir = tempfile::tempdir().unwrap();
    let rolling = rolling_inventory(dir.path());
    deploy(&plain, &old, "3").success();
    every_replica_at(&old);

    // Without `rolling`: every replica is recreated at once.
    let probe = Probe::start();
    let t = Instant::now();
    deploy(&plain, &new, "3").success();
    let plain_took = t.elapsed();
    let without = probe.finish();
    every_replica_at(&new);

    // With `rolling`: one replica of each group at a time.
    let probe = Probe::start();
    let t = Instant::now();
    let run = deploy(&rolling, &old, "3");
    let rolling_took = t.elapsed();
    let with = probe.finish();
    run.success();
    every_replica_at(&old);
    eprintln!(
        "bench: scale 3 on node-b: without rolling {:.1}s, {} of {} samples with a group all down, longest gap {} ms; \
         rolling {:.1}s, {} of {} samples, longest gap {} ms",
        plain_took.as_secs_f64(),
        without.all_down,
        without.samples,
        without.longest_gap.as_millis(),
        rolling_took.as_secs_f64(),
        with.all_down,
        with.samples,
        with.longest_gap.as_millis()
    );
    assert!(
        without.all_down > 0,
        "the probe saw no gap without rolling: it would not see one with it either ({without:?})"
    );
    assert_eq!(
        with.all_down, 0,
        "a whole group was down during the roll: {with:?}"
    );
    assert!(with.samples > 20, "the probe sampled too little: {with:?}");
    let text = run.all();
    assert!(
        text.contains("up workers 1/3") && text.contains("health workers 3/3"),
        "{text}"
    );

    // A lower scale: the replicas above it go after the rest are updated;
    // replica 1, unchanged, keeps its container.
    let first: Vec<String> = containers(NODE_B, "ktrdr-workers")
        .into_iter()
        .filter(|c| c.service.ends_with("-1"))
        .map(|c| c.id)
        .collect();
    deploy(&rolling, &old, "1").success();
    let left = containers(NODE_B, "ktrdr-workers");
    assert_eq!(
        left.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        first,
        "{left:?}"
    );
}

#[test]
fn an_unhealthy_tag_stops_the_roll_after_the_first_replica_and_restores_it() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let dir = tempfile::tempdir().unwrap();
    let rolling = rolling_inventory(dir.path());
    deploy(&rolling, &old, "3").success();
    every_replica_at(&old);
    let before = containers(NODE_B, "ktrdr-workers");

    let run = deploy(&rolling, &lab_var("LAB_TAG_UNHEALTHY"), "3");
    run.code(1);
    let text = run.all();
    assert!(text.contains("health workers 1/3"), "{text}");
    assert!(!text.contains("up workers 2/3"), "the roll went on: {text}");
    assert!(text.contains("rolled back to"), "{text}");

    every_replica_at(&old);
    let after = containers(NODE_B, "ktrdr-workers");
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.service, a.service);
        if b.service.ends_with("-1") {
            assert_ne!(b.id, a.id, "{}: updated, then restored", b.service);
        } else {
            assert_eq!(b.id, a.id, "{}: never touched", b.service);
        }
    }
    let last = on_node_ok(NODE_B, "tail -n 1 /var/lib/homectl/history.jsonl");
    let record: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(record["result"], "rolled-back", "{record}");
    deploy(&rolling, &old, "1").success();
}

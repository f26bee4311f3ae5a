//! What a deploy talks to goes away mid-deploy: the link to a node is cut,
//! a node's sshd is killed, the registry stops.

use super::*;

/// Every process under `root` (itself included), from /proc's parent links.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            if let Some(ppid) = after
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
            {
                parent.insert(pid, ppid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Puts a link back up even if the test fails half-way.
struct LinkGuard(&'static str);
impl Drop for LinkGuard {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "set", self.0, "up"])
            .status();
    }
}

#[test]
fn a_cut_link_during_apply_fails_that_node_only_and_a_rerun_converges() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    converge(&old);
    let live = Live::start(&lab_inventory(), &["deploy", "all", "--tag", &new]);
    live.wait_for("node-b", "up");
    let guard = LinkGuard("hlv-node-b");
    assert!(Command::new("ip")
        .args(["link", "set", "hlv-node-b", "down"])
        .status()
        .unwrap()
        .success());
    let (code, stderr, took) = live.finish(Duration::from_secs(90));
    drop(guard);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("node-b"), "{stderr}");
    assert!(
        stderr.contains("node-b (up")
            || stderr.contains("node-b (health")
            || stderr.contains("node-b (record"),
        "the step is named: {stderr}"
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(
        tags("core.lab.home.arpa").iter().all(|t| *t == new),
        "node-a finished"
    );
    assert!(
        tags("workers-c.lab.home.arpa").iter().all(|t| *t == new),
        "node-c finished"
    );

    // Link back: the lock ended with the dead connection (or unlock ends it), and a rerun converges.
    std::thread::sleep(Duration::from_secs(2));
    let _ = Homectl::new().args(["unlock", "node-b"]).run();
    converge(&new);
    assert!(tags("workers-b.lab.home.arpa").iter().all(|t| *t == new));
}

#[test]
fn sshd_killed_during_prepare_changes_nothing_anywhere() {
    let _lab = lab_lock();
    converge(&lab_var("LAB_TAG_OLD"));
    remove_slow_image();
    let before = all_containers();
    let listener: u32 = std::fs::read_to_string(format!("{LAB}/nodes/node-c/run/sshd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let live = Live::start(
        &lab_inventory(),
        &["deploy", "all", "--tag", &lab_var("LAB_TAG_SLOW")],
    );
    live.wait_for("node-c", "pull");
    // The listener and every session process of node-c's sshd.
    for pid in descendants(listener)
        .into_iter()
        .filter(|p| comm(*p) == "sshd")
    {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let (code, stderr, _) = live.finish(Duration::from_secs(120));
    repair_lab();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nothing changed"), "{stderr}");
    std::thread::sleep(Duration::from_secs(3)); // node-c's pull, cut off from us, finishes on its own
    assert_eq!(
        all_containers(),
        before,
        "a node changed although prepare failed"
    );
    for (_, host) in &NODES[..2] {
        assert_eq!(
            on_node_ok(
                host,
                "ls /var/lib/homectl/stacks/*/compose.yml.next 2>/dev/null || true"
            )
            .trim(),
            "",
            "{host} kept a staged file"
        );
    }
    converge(&lab_var("LAB_TAG_OLD"));
}

#[test]
fn the_registry_stopped_during_a_pull_fails_prepare_and_changes_nothing() {
    let _lab = lab_lock();
    converge(&lab_var("LAB_TAG_OLD"));
    remove_slow_image();
    let before = all_containers();
    let live = Live::start(
        &lab_inventory(),
        &["deploy", "all", "--tag", &lab_var("LAB_TAG_SLOW")],
    );
    live.wait_for("node-b", "pull");
    std::thread::sleep(Duration::from_millis(300));
    let pid = std::fs::read_to_string(format!("{LAB}/registry/registry.pid"))
        .unwrap()
        .trim()
        .to_string();
    assert!(Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap()
        .success());
    let (code, stderr, _) = live.finish(Duration::from_secs(120));
    repair_lab();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("prepare failed") && stderr.contains("nothing changed"),
        "{stderr}"
    );
    assert_eq!(all_containers(), before);
    converge(&lab_var("LAB_TAG_OLD"));
}

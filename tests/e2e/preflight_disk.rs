//! preflight's disk check against a node whose Docker data root is nearly
//! full (docs/lab.md, "A nearly full data root").
//!
//! Filling node-a's real data root would fill this machine's disk, and
//! mounting something over it would take it from under node-a's dockerd.
//! Instead a second sshd of node-a runs in a mount namespace of its own,
//! a child of node-a's, in which a tmpfs of 8 MiB lies over the data root:
//! sessions through it see node-a's engine, state and files as always, and
//! `df` of the data root sees the small filesystem. dockerd and every other
//! session never see it. When the test ends (or fails, or its thread dies:
//! the sshd has a parent-death signal) that sshd is killed, and its mount
//! namespace and the tmpfs vanish with it: nothing of the lab changed.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const NODE: &str = "node-a";
const ADDRESS: &str = "10.77.0.11";
/// The second sshd's port (the lab's own sshd listens on 22).
const PORT: u16 = 2222;

/// The second sshd of node-a, with the tmpfs over the data root; killed
/// on drop, its folder (config, pid file, log) removed.
struct NearlyFullNode {
    sshd: Child,
    dir: tempfile::TempDir,
    data_root: String,
}

impl NearlyFullNode {
    /// Starts it: the tmpfs holds a 7 MiB file, 1 MiB stays free.
    fn start() -> NearlyFullNode {
        assert!(
            TcpStream::connect((ADDRESS, PORT)).is_err(),
            "{ADDRESS}:{PORT} is taken: an sshd of an earlier run? (ss -ltnp)"
        );
        let data_root = on_node_ok(host_of(NODE), "docker info --format '{{.DockerRootDir}}'")
            .trim()
            .to_string();
        assert!(
            data_root.starts_with("/var/lib/homectl-lab/nodes/"),
            "{data_root}"
        );
        // Under the lab's folder: node-a has its own /tmp.
        let dir = tempfile::Builder::new()
            .prefix("e2e-disk.")
            .tempdir_in(LAB)
            .unwrap();
        let config = std::fs::read_to_string(format!("{LAB}/nodes/{NODE}/sshd_config")).unwrap();
        let config: String = config
            .lines()
            .map(|line| {
                if line.starts_with("ListenAddress ") {
                    format!("ListenAddress {ADDRESS}:{PORT}\n")
                } else if line.starts_with("PidFile ") {
                    format!("PidFile {}/sshd.pid\n", dir.path().display())
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        std::fs::write(dir.path().join("sshd_config"), config).unwrap();
        let d = dir.path().display();
        let script = format!(
            "mount -t tmpfs -o size=8m homectl-e2e-disk '{data_root}' \
             && dd if=/dev/zero of='{data_root}/fill' bs=1M count=7 2>/dev/null \
             && exec setpriv --pdeathsig KILL /usr/sbin/sshd -D -f {d}/sshd_config -E {d}/sshd.log"
        );
        let sshd = Command::new("nsenter")
            .arg(format!("--net=/var/run/netns/{NODE}"))
            .arg(format!("--mount=/run/homectl-lab/ns/{NODE}.mnt"))
            .arg(format!("--uts=/run/homectl-lab/ns/{NODE}.uts"))
            .args(["unshare", "-m", "--propagation", "private", "sh", "-c"])
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .expect("nsenter runs");
        let node = NearlyFullNode {
            sshd,
            dir,
            data_root,
        };
        let start = Instant::now();
        while TcpStream::connect((ADDRESS, PORT)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the second sshd does not listen: {}",
                std::fs::read_to_string(node.dir.path().join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    /// An ssh config that reaches node-a's DNS name through the second
    /// sshd (same host key, so the strict check passes).
    fn ssh_config(&self) -> String {
        let path = self.dir.path().join("ssh_config");
        let lab = std::fs::read_to_string(SSH_CONFIG).unwrap();
        let ours = format!(
            "Host {}\n    Port {PORT}\n    HostKeyAlias {}\n\n{lab}",
            host_of(NODE),
            host_of(NODE)
        );
        std::fs::write(&path, ours).unwrap();
        path.display().to_string()
    }

    /// Frees the space: the fill goes, the tmpfs grows to 4 GiB (a limit,
    /// not memory taken).
    fn free_space(&self) {
        let out = Command::new("nsenter")
            .arg(format!("--mount=/proc/{}/ns/mnt", self.sshd.id()))
            .args(["sh", "-c"])
            .arg(format!(
                "rm '{root}/fill' && mount -o remount,size=4g '{root}'",
                root = self.data_root
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

impl Drop for NearlyFullNode {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

#[test]
fn preflight_fails_the_disk_check_of_a_nearly_full_data_root_and_passes_once_freed() {
    let _lock = lab_lock();
    let node = NearlyFullNode::start();
    let dir = tempfile::tempdir().unwrap();
    let config = node.ssh_config();
    let inventory = inventory_variant(
        dir.path(),
        &[(
            "config = \"/var/lib/homectl-lab/ssh/ssh_config\"",
            &format!("config = {config:?}"),
        )],
    );
    let preflight = |json: bool| {
        let mut args = vec!["preflight", NODE, "--tag"];
        let tag = lab_var("LAB_TAG_OLD");
        args.push(&tag);
        if json {
            args.insert(0, "--json");
        }
        Homectl::with_inventory(&inventory).args(&args).run()
    };
    let check = |report: &serde_json::Value, name: &str| -> serde_json::Value {
        report["nodes"][0]["checks"][name].clone()
    };

    let run = preflight(true);
    run.code(1);
    let report = run.json();
    assert_eq!(report["nodes"][0]["node"], NODE, "{report}");
    let disk = check(&report, "disk");
    assert_eq!(disk["ok"], false, "{report}");
    let detail = disk["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!("1 MiB free on {}, needs ", node.data_root)),
        "{report}"
    );
    // Only the disk: the session is node-a's in every other respect.
    for name in ["ssh", "docker", "compose", "registry", "image", "stack"] {
        assert_eq!(check(&report, name)["ok"], true, "{name}: {report}");
    }
    let table = preflight(false);
    table.code(1);
    assert!(
        table.all().contains(&format!("{NODE} disk: 1 MiB free on")),
        "{}",
        table.all()
    );
    // node-a's own sessions and engine never saw the tmpfs.
    let df = on_node_ok(
        host_of(NODE),
        &format!("df -Pk '{}' | tail -n 1", node.data_root),
    );
    assert!(!df.starts_with("homectl-e2e-disk"), "{df}");

    node.free_space();
    let run = preflight(true);
    run.success();
    let report = run.json();
    let disk = check(&report, "disk");
    assert_eq!(disk["ok"], true, "{report}");
    let detail = disk["detail"].as_str().unwrap();
    let free: u64 = detail.split(' ').next().unwrap().parse().unwrap();
    assert!(
        free > 4000 && detail == format!("{free} MiB free on {}", node.data_root),
        "{report}"
    );

    drop(node);
    assert!(
        TcpStream::connect((ADDRESS, PORT)).is_err(),
        "the second sshd still listens"
    );
}

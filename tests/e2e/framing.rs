//! The remote shell's framing on a node whose `head -c` reads ahead
//! (BusyBox's): frames must stay in step, so a deploy works
//! (docs/architecture.md, "The remote shell").

use std::process::Command;

use crate::common::*;

const NODE: &str = "node-a";
const CORE: &str = "core.lab.home.arpa";

/// BusyBox bound over `/usr/bin/head` in one node's mount namespace (what
/// its sshd, and so every session, sees) until dropped, also when the test
/// fails.
struct BusyboxHead {
    mnt: String,
}

impl BusyboxHead {
    fn bind(node: &str) -> BusyboxHead {
        let mnt = format!("/run/homectl-lab/ns/{node}.mnt");
        let nsenter = |args: &[&str]| {
            Command::new("nsenter")
                .arg(format!("--mount={mnt}"))
                .arg("--")
                .args(args)
                .status()
                .expect("nsenter runs")
                .success()
        };
        assert!(
            !nsenter(&["mountpoint", "-q", "/usr/bin/head"]),
            "something is bound over {node}'s /usr/bin/head already"
        );
        assert!(
            nsenter(&["mount", "--bind", "/bin/busybox", "/usr/bin/head"]),
            "cannot bind busybox over {node}'s /usr/bin/head"
        );
        BusyboxHead { mnt }
    }
}

impl Drop for BusyboxHead {
    fn drop(&mut self) {
        // A `head` still running there (a remote shell that lost its
        // frames) keeps the file busy: then detach it lazily.
        let umount = |args: &[&str]| {
            Command::new("nsenter")
                .arg(format!("--mount={}", self.mnt))
                .args(["--", "umount"])
                .args(args)
                .arg("/usr/bin/head")
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        if !umount(&[]) && !umount(&["-l"]) {
            eprintln!("warning: could not unbind /usr/bin/head in {}", self.mnt);
        }
    }
}

#[test]
fn a_node_whose_head_reads_ahead_deploys() {
    let _lab = lab_lock();
    let _head = BusyboxHead::bind(NODE);
    // The node's head now reads ahead on a pipe: GNU's would leave "bcdef".
    assert_eq!(
        on_node_ok(CORE, "printf abcdef | { head -c 1 >/dev/null; cat; }"),
        "",
        "the node's head is not BusyBox's"
    );
    for tag in [lab_var("LAB_TAG_OLD"), lab_var("LAB_TAG_NEW")] {
        let run = Homectl::new().args(["deploy", "core", "--tag", &tag]).run();
        run.success();
        let backend = container_of(CORE, "ktrdr-core", "backend");
        assert_eq!(backend.tag(), tag);
        assert_eq!(
            (backend.state.as_str(), backend.health.as_str()),
            ("running", "healthy")
        );
        assert_eq!(
            on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
            tag
        );
    }
}

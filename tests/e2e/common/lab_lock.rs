//! The lock that serializes end-to-end tests across processes.

use std::time::Duration;

use super::{on_node, wait_lock_free, NODES};

/// Whether a process this one descends from holds a flock on `file`
/// (from /proc/locks: `N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE ...`).
fn held_by_an_ancestor(file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    let inode = file.metadata().map(|m| m.ino()).unwrap_or(0);
    let holders: Vec<u32> = std::fs::read_to_string("/proc/locks")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"FLOCK")
                && f.get(5).and_then(|d| d.rsplit(':').next()) == Some(inode.to_string().as_str()))
            .then(|| f.get(4)?.parse().ok())
            .flatten()
        })
        .collect();
    let mut pid = std::process::id();
    while pid > 1 {
        if holders.contains(&pid) {
            return true;
        }
        // The parent is the 4th field of /proc/PID/stat, after "(comm)".
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        pid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0);
    }
    false
}

/// Serializes end-to-end tests across processes (two `cargo test` runs
/// against the one lab): held until the returned file is dropped. Tests
/// that change the nodes take it first. It also waits (a while) until no
/// node is locked by a deploy that does not take it (someone's demo).
pub fn lab_lock() -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/lock/homectl-e2e.lock")
        .expect("the e2e lock file");
    // Run under `flock /run/lock/homectl-e2e.lock cargo test ...` (as the
    // benchmark and people do), an ancestor holds it already: waiting for
    // it would wait forever.
    if file.try_lock().is_err() && !held_by_an_ancestor(&file) {
        file.lock().expect("the e2e lock");
    }
    for (node, host) in NODES {
        if !wait_lock_free(host, Duration::from_secs(300)) {
            eprintln!(
                "warning: {node} stays locked by someone else: {}",
                on_node(host, "cat /var/lib/homectl/lock.holder")
                    .stdout
                    .escape_ascii()
            );
        }
    }
    file
}

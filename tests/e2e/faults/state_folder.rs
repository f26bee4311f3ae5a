//! No writable state folder on a node: a clear error naming the folders.

use super::*;

/// Remounts folders of node-c's mount namespace read-only, and back.
struct ReadOnly(Vec<&'static str>);
impl ReadOnly {
    fn mount(paths: Vec<&'static str>, mode: &str) {
        let pid = std::fs::read_to_string(format!("{LAB}/nodes/node-c/run/sshd.pid"))
            .unwrap()
            .trim()
            .to_string();
        for p in paths {
            let ok = Command::new("nsenter")
                .args([
                    &format!("--mount=/proc/{pid}/ns/mnt"),
                    "mount",
                    "-o",
                    &format!("remount,bind,{mode}"),
                    p,
                ])
                .status()
                .unwrap();
            assert!(ok.success(), "remount {p} {mode}");
        }
    }
}
impl Drop for ReadOnly {
    fn drop(&mut self) {
        ReadOnly::mount(self.0.clone(), "rw");
    }
}

#[test]
fn no_writable_state_folder_is_a_clear_error_naming_the_folders() {
    let _lab = lab_lock();
    converge(&lab_var("LAB_TAG_OLD"));
    let before = containers("workers-c.lab.home.arpa");
    ReadOnly::mount(vec!["/var/lib/homectl", "/root"], "ro");
    let guard = ReadOnly(vec!["/var/lib/homectl", "/root"]);
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(dir.path(), &[("stacks = [\"workers\"]\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c", "stacks = [\"workers\"]\nstate_dir = \"/proc/homectl-state\"\nscale = 1\nenv = { WORKER_PUBLIC_BASE_URL = \"http://workers-c")]);
    let run = Homectl::with_inventory(&inventory)
        .args([
            "deploy",
            "workers",
            "node-c",
            "--tag",
            &lab_var("LAB_TAG_NEW"),
        ])
        .run();
    drop(guard);
    run.code(1);
    for needle in [
        "node-c",
        "/proc/homectl-state",
        "/var/lib/homectl",
        ".local/state/homectl",
    ] {
        assert!(
            run.stderr.contains(needle),
            "`{needle}` not named: {}",
            run.stderr
        );
    }
    assert_eq!(containers("workers-c.lab.home.arpa"), before);
}

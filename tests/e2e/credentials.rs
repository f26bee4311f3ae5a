//! Registry credentials stay on the throw-away tmpfs folder
//! (docs/security.md): a credential helper on the node's PATH is never
//! handed the token, and a folder left behind by a killed step is swept
//! at the next login, while one in use is left alone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::*;

const NODE: &str = "node-b";
const HOST: &str = "workers-b.lab.home.arpa";

/// The pid of a node's sshd: its mount namespace is the node's.
fn sshd_pid(node: &str) -> String {
    std::fs::read_to_string(format!("{LAB}/nodes/{node}/run/sshd.pid"))
        .expect("the node's sshd pid file")
        .trim()
        .to_string()
}

fn in_node_ns(node: &str, args: &[&str]) -> bool {
    Command::new("nsenter")
        .arg(format!("--mount=/proc/{}/ns/mnt", sshd_pid(node)))
        .args(args)
        .status()
        .expect("nsenter runs")
        .success()
}

/// A folder bind-mounted over /usr/local/sbin (on the PATH of SSH sessions)
/// in the node's mount namespace only, unmounted on drop.
struct OnNodePath {
    node: &'static str,
}

impl OnNodePath {
    fn mount(node: &'static str, dir: &Path) -> OnNodePath {
        assert!(in_node_ns(
            node,
            &["mount", "--bind", dir.to_str().unwrap(), "/usr/local/sbin"]
        ));
        OnNodePath { node }
    }
}

impl Drop for OnNodePath {
    fn drop(&mut self) {
        in_node_ns(self.node, &["umount", "/usr/local/sbin"]);
    }
}

/// Stand-ins for the credential helpers the docker CLI looks for; each
/// records that it was called and what it was given.
fn credential_helper_stubs(dir: &Path, record: &Path) {
    for helper in ["secretservice", "pass", "desktop"] {
        let path = dir.join(format!("docker-credential-{helper}"));
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n{{ echo \"$0 $*\"; cat; echo; }} >> {}\nexit 1\n",
                record.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
}

#[test]
fn a_credential_helper_on_the_node_path_is_never_handed_the_registry_token() {
    let _lab = lab_lock();
    // Under the lab's folder: the node's mount namespace has a /tmp of its own.
    let dir = tempfile::tempdir_in(LAB).unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let record: PathBuf = dir.path().join("called");
    credential_helper_stubs(dir.path(), &record);
    let _mounted = OnNodePath::mount(NODE, dir.path());
    assert!(
        on_node_ok(HOST, "command -v docker-credential-pass").contains("/usr/local/sbin"),
        "the stub is on the node's PATH"
    );
    // A deploy (pull), a redeploy (verify) and preflight all log in.
    for args in [
        vec![
            "deploy",
            "workers",
            NODE,
            "--tag",
            &lab_var("LAB_TAG_NEW"),
            "--scale",
            "1",
        ],
        vec![
            "deploy",
            "workers",
            NODE,
            "--tag",
            &lab_var("LAB_TAG_NEW"),
            "--scale",
            "1",
        ],
        vec![
            "preflight",
            "workers",
            NODE,
            "--tag",
            &lab_var("LAB_TAG_NEW"),
        ],
    ] {
        Homectl::new().args(&args).run().success();
    }
    assert!(
        !record.exists(),
        "a credential helper was called: {}",
        std::fs::read_to_string(&record).unwrap_or_default().len()
    );
}

/// A process on the node holding an flock on FILE until dropped (ended
/// by its pid).
struct Holder {
    ssh: Child,
    pid: String,
}

impl Holder {
    fn start(file: &str) -> Holder {
        let mut ssh = Command::new("ssh")
            .args([
                "-F",
                &format!("{LAB}/ssh/ssh_config"),
                HOST,
                &format!("exec flock {file} sh -c 'echo $$; exec sleep 60'"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pid = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(ssh.stdout.take().unwrap()),
            &mut pid,
        )
        .unwrap();
        let pid = pid.trim().to_string();
        assert!(
            !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
            "{pid:?}"
        );
        Holder { ssh, pid }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        on_node(HOST, &format!("kill {}", self.pid));
        let _ = self.ssh.wait();
    }
}

#[test]
fn a_throw_away_docker_config_left_by_a_killed_step_is_swept_at_the_next_login() {
    let _lab = lab_lock();
    // Left behind: a step killed before its EXIT trap (its .lock is free).
    on_node_ok(
        HOST,
        "mkdir -p /dev/shm/homectl-docker.leftover && echo '{\"auths\":{}}' > /dev/shm/homectl-docker.leftover/config.json \
         && : > /dev/shm/homectl-docker.leftover/.lock",
    );
    // In use by another command right now (its .lock is held).
    on_node_ok(
        HOST,
        "mkdir -p /dev/shm/homectl-docker.inuse && : > /dev/shm/homectl-docker.inuse/.lock",
    );
    let holder = Holder::start("/dev/shm/homectl-docker.inuse/.lock");
    Homectl::new()
        .args([
            "preflight",
            "workers",
            NODE,
            "--tag",
            &lab_var("LAB_TAG_NEW"),
        ])
        .run()
        .success();
    let left = on_node_ok(HOST, "ls -d /dev/shm/homectl-docker.* 2>/dev/null; true");
    drop(holder);
    on_node(HOST, "rm -rf /dev/shm/homectl-docker.inuse");
    assert!(!left.contains("leftover"), "not swept: {left}");
    assert!(
        left.contains("inuse"),
        "a folder in use was removed: {left}"
    );
    // Nothing of this command's own login is left either.
    assert_eq!(left.trim(), "/dev/shm/homectl-docker.inuse", "{left}");
}

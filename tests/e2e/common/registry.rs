//! Commands on a lab node that need the lab's registry (a push, a pull or
//! a build of test images), logged in with the registry password on stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::{lab_secrets, lab_var, SSH_CONFIG};

/// The lab registry's password (from the lab's vault).
pub fn registry_password() -> String {
    lab_secrets()
        .into_iter()
        .find(|(k, _)| k == "homelab/registry/password")
        .unwrap()
        .1
}

/// Runs `script` on a lab node over plain ssh after a `docker login` to the
/// lab's registry, under `set -e` and with a DOCKER_CONFIG of its own in
/// /dev/shm, removed at the end. The password travels on ssh's stdin,
/// never in an argv. stdout and stderr are captured.
pub fn on_node_logged_in(host: &str, script: &str) -> Output {
    let script = format!(
        "set -e; export DOCKER_CONFIG=$(mktemp -d /dev/shm/e2e-registry.XXXXXX); trap 'rm -rf $DOCKER_CONFIG' EXIT; \
         IFS= read -r pw; printf '%s\\n' \"$pw\" | docker login -u {user} --password-stdin {registry} >/dev/null 2>&1; \
         {script}",
        user = lab_var("LAB_REGISTRY_USER"),
        registry = lab_var("LAB_REGISTRY"),
    );
    let mut child = Command::new("ssh")
        .args(["-F", SSH_CONFIG, host, &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", registry_password()).as_bytes())
        .unwrap();
    child.wait_with_output().expect("ssh runs")
}

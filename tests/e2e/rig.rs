//! The lab itself (`scripts/lab up`), checked from outside with plain `ssh`
//! and `docker`: if one of these fails, the other end-to-end tests measure
//! the rig, not homectl. Self-contained on purpose (std only): it tests the
//! lab the way an operator would look at it.
//!
//! Run one at a time against a lab that is up:
//! `cargo test --test e2e -- --test-threads=1 rig::`

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

const SSH_CONFIG: &str = "/var/lib/homectl-lab/ssh/ssh_config";
const TAGS_ENV: &str = "/var/lib/homectl-lab/tags.env";
const REGISTRY_PASSWORD: &str = "/var/lib/homectl-lab/registry/password";
/// (node name = its hostname, DNS name)
const NODES: [(&str, &str); 3] = [
    ("node-a", "core.lab.home.arpa"),
    ("node-b", "workers-b.lab.home.arpa"),
    ("node-c", "workers-c.lab.home.arpa"),
];
const NODE_A: &str = "core.lab.home.arpa";
const NODE_B: &str = "workers-b.lab.home.arpa";
const NODE_C: &str = "workers-c.lab.home.arpa";

/// `ssh -F <lab config> HOST SCRIPT`, with `stdin` fed to it.
fn ssh_with_input(host: &str, script: &str, stdin: &[u8]) -> Output {
    let mut child = Command::new("ssh")
        .args(["-F", SSH_CONFIG, host, script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin)
        .expect("write ssh stdin");
    child.wait_with_output().expect("ssh finishes")
}

fn ssh(host: &str, script: &str) -> Output {
    ssh_with_input(host, script, b"")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout of SCRIPT on HOST, which must succeed.
#[track_caller]
fn ssh_ok(host: &str, script: &str) -> String {
    let out = ssh(host, script);
    assert!(
        out.status.success(),
        "`{script}` on {host} failed ({}):\n{}{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A name no other run uses.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// A value from the lab's tags.env.
fn lab_var(name: &str) -> String {
    let env = std::fs::read_to_string(TAGS_ENV).expect("the lab is up: scripts/lab up");
    env.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} not in {TAGS_ENV}"))
        .to_string()
}

/// Runs its cleanup scripts (host, script) when dropped, pass or fail.
struct Cleanup(Vec<(&'static str, String)>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for (host, script) in self.0.iter().rev() {
            let _ = ssh(host, script);
        }
    }
}

/// Makes a tiny image on the node's own engine, from the host's busybox
/// (the nodes share the host's files), without any registry.
fn probe_image(host: &str, name: &str) {
    ssh_ok(
        host,
        &format!("tar -C / -cf - bin/busybox | docker import - {name} >/dev/null"),
    );
}

#[test]
fn every_node_answers_over_ssh_as_itself_with_its_own_engine() {
    for (node, host) in NODES {
        let out = ssh_ok(
            host,
            "hostname; docker info --format '{{.Name}}'; echo \"$DOCKER_HOST\"; cat /etc/resolv.conf",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.first(), Some(&node), "hostname of {host}: {out}");
        assert_eq!(
            lines.get(1),
            Some(&node),
            "the engine {host} reaches is not its own: {out}"
        );
        assert_eq!(
            lines.get(2).copied(),
            Some(format!("unix:///run/homectl-lab/{node}/docker.sock").as_str()),
            "DOCKER_HOST on {host}"
        );
        assert_eq!(
            lines.get(3),
            Some(&"nameserver 127.0.0.1"),
            "{host} has a private resolv.conf: {out}"
        );
    }
}

#[test]
fn an_image_on_node_b_is_absent_on_node_c() {
    let image = format!("homectl-rig-probe:{}", unique("engines"));
    let _cleanup = Cleanup(vec![(
        NODE_B,
        format!("docker rmi -f {image} >/dev/null 2>&1"),
    )]);
    probe_image(NODE_B, &image);
    ssh_ok(NODE_B, &format!("docker image inspect {image} >/dev/null"));
    for host in [NODE_C, NODE_A] {
        let out = ssh(host, &format!("docker image inspect {image}"));
        assert!(
            !out.status.success(),
            "{image}, made on node-b, shows on {host}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stderr).contains("No such image"),
            "{host}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn compose_v2_on_node_a_and_b_only_v1_on_node_c() {
    for host in [NODE_A, NODE_B] {
        let v2 = ssh_ok(host, "docker compose version");
        assert!(v2.contains("Docker Compose version v2."), "{host}: {v2}");
    }
    let out = ssh(NODE_C, "docker compose version");
    assert!(
        !out.status.success(),
        "node-c must not have Compose v2: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let v1 = ssh_ok(NODE_C, "docker-compose version --short");
    assert!(
        v1.trim().starts_with("1."),
        "docker-compose on node-c: {v1}"
    );
}

#[test]
fn the_registry_needs_a_login_and_serves_the_tags() {
    let tag = lab_var("LAB_TAG_OLD");
    let image = format!(
        "{}/{}/ktrdr-backend:{tag}",
        lab_var("LAB_REGISTRY"),
        lab_var("LAB_NAMESPACE")
    );
    // Remove the image afterwards only if this test brought it.
    let had_it = ssh(NODE_B, &format!("docker image inspect {image}"))
        .status
        .success();
    let _cleanup = Cleanup(if had_it {
        vec![]
    } else {
        vec![(NODE_B, format!("docker rmi {image} >/dev/null 2>&1"))]
    });

    // Without credentials (an empty client config): refused.
    let anonymous = ssh(
        NODE_B,
        &format!("d=$(mktemp -d /dev/shm/rig.XXXXXX); DOCKER_CONFIG=$d docker pull -q {image}; rc=$?; rm -rf \"$d\"; exit $rc"),
    );
    assert!(
        !anonymous.status.success(),
        "pulled without a login: {}",
        text(&anonymous.stdout)
    );
    let why = text(&anonymous.stderr);
    assert!(
        why.contains("no basic auth credentials") || why.contains("unauthorized"),
        "{why}"
    );

    // With the lab's credentials, password on stdin, in a throw-away config.
    let password = std::fs::read(REGISTRY_PASSWORD).expect("the registry password");
    let script = format!(
        "d=$(mktemp -d /dev/shm/rig.XXXXXX); trap 'rm -rf \"$d\"' EXIT; \
         DOCKER_CONFIG=$d docker login -u {user} --password-stdin {registry} >/dev/null 2>&1 || exit 3; \
         DOCKER_CONFIG=$d docker pull -q {image} >/dev/null || exit 4; \
         docker run --rm --entrypoint /app/entry {image} version",
        user = lab_var("LAB_REGISTRY_USER"),
        registry = lab_var("LAB_REGISTRY"),
    );
    let out = ssh_with_input(NODE_B, &script, &password);
    assert!(
        out.status.success(),
        "login and pull failed ({}): {}",
        out.status,
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout).trim(),
        tag,
        "the image's /app/version is its tag"
    );
    // The throw-away config is gone and nothing was written to ~/.docker.
    let leftovers = ssh_ok(NODE_B, "ls -d /dev/shm/rig.* 2>/dev/null; grep -l 10.77.0.1 ~/.docker/config.json 2>/dev/null; true");
    assert_eq!(leftovers.trim(), "", "credentials left on node-b");
}

#[test]
fn var_lib_homectl_is_private_to_each_node_and_seen_by_its_containers() {
    let file = unique("rig-state");
    let content = unique("written-on-node-b");
    let image = format!("homectl-rig-probe:{}", unique("state"));
    let _cleanup = Cleanup(vec![
        (NODE_B, format!("rm -f /var/lib/homectl/{file}")),
        (NODE_B, format!("docker rmi -f {image} >/dev/null 2>&1")),
    ]);
    ssh_ok(
        NODE_B,
        &format!("printf %s {content} > /var/lib/homectl/{file}"),
    );
    assert_eq!(
        ssh_ok(NODE_B, &format!("cat /var/lib/homectl/{file}")),
        content
    );

    for host in [NODE_C, NODE_A] {
        let seen = ssh_ok(
            host,
            &format!("test -e /var/lib/homectl/{file} && echo visible || echo absent"),
        );
        assert_eq!(
            seen.trim(),
            "absent",
            "node-b's /var/lib/homectl/{file} shows on {host}"
        );
    }
    assert!(
        !std::path::Path::new(&format!("/var/lib/homectl/{file}")).exists(),
        "node-b's file landed in the host's /var/lib/homectl"
    );

    // A container on node-b bind-mounts node-b's folder, not the host's.
    probe_image(NODE_B, &image);
    let inside = ssh_ok(
        NODE_B,
        &format!("docker run --rm -v /var/lib/homectl:/x {image} /bin/busybox cat /x/{file}"),
    );
    assert_eq!(
        inside, content,
        "what a container on node-b sees in /var/lib/homectl"
    );
}

#[test]
fn nodes_reach_each_other_and_the_registry_across_the_bridge() {
    // node-c to node-a's sshd, and to the registry (401: it wants a login).
    let out = ssh_ok(
        NODE_C,
        "timeout 3 bash -c 'exec 3<>/dev/tcp/10.77.0.11/22; head -c 8 <&3'; echo; \
         curl -s -o /dev/null -w '%{http_code}' http://10.77.0.1:5000/v2/",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"SSH-2.0-"),
        "node-a's sshd from node-c: {out}"
    );
    assert_eq!(
        lines.get(1),
        Some(&"401"),
        "the registry from node-c: {out}"
    );
}

//! Host keys: unknown under `strict` refused with how to accept it; a
//! changed key always refused; `accept-new` trusts a first key, then checks it.

use std::path::Path;

use crate::common::*;

/// An ssh_config like the lab's, with its own known_hosts file.
fn ssh_config_with(dir: &Path, known_hosts: &str) -> String {
    let path = dir.join("known_hosts");
    std::fs::write(&path, known_hosts).unwrap();
    let config = std::fs::read_to_string(SSH_CONFIG).unwrap().replace(
        &format!("{LAB}/ssh/known_hosts"),
        &path.display().to_string(),
    );
    let config_path = dir.join("ssh_config");
    std::fs::write(&config_path, config).unwrap();
    config_path.display().to_string()
}

fn ssh_check(run: &Run, node: &str) -> (bool, String) {
    let report = run.json();
    let n = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == node)
        .unwrap()
        .clone();
    (
        n["checks"]["ssh"]["ok"] == true,
        n["checks"]["ssh"]["detail"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[test]
fn an_unknown_host_key_is_refused_under_strict_with_how_to_accept_it() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let config = ssh_config_with(dir.path(), "");
    let inventory = inventory_variant(dir.path(), &[(SSH_CONFIG, &config)]);
    let run = Homectl::with_inventory(&inventory)
        .args([
            "--json",
            "preflight",
            "core",
            "--tag",
            &lab_var("LAB_TAG_OLD"),
        ])
        .run();
    run.code(1);
    let (ok, detail) = ssh_check(&run, "node-a");
    assert!(!ok);
    assert!(
        detail.contains("core.lab.home.arpa")
            && detail.contains("ssh-keyscan")
            && detail.contains("accept-new"),
        "{detail}"
    );
    // Nothing was added to known_hosts.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("known_hosts")).unwrap(),
        ""
    );
}

#[test]
fn accept_new_trusts_a_first_key_then_checks_it() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let config = ssh_config_with(dir.path(), "");
    // StrictHostKeyChecking in the lab's ssh_config would win over homectl's option.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("StrictHostKeyChecking yes", "");
    std::fs::write(&config, text).unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[
            (SSH_CONFIG, &config),
            ("known_hosts = \"strict\"", "known_hosts = \"accept-new\""),
        ],
    );
    let tag = lab_var("LAB_TAG_OLD");
    let first = Homectl::with_inventory(&inventory)
        .args(["--json", "preflight", "core", "--tag", &tag])
        .run();
    first.success();
    let learned = std::fs::read_to_string(dir.path().join("known_hosts")).unwrap();
    assert!(
        learned.contains("ssh-ed25519"),
        "the first key was not recorded: {learned:?}"
    );

    // Now the recorded key is replaced by another host's: refused.
    let other = std::fs::read_to_string(format!("{LAB}/ssh/known_hosts")).unwrap();
    let other_key = other
        .lines()
        .find(|l| l.starts_with("workers-b.lab.home.arpa"))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_string();
    let forged: String = learned
        .lines()
        .map(|l| format!("{} {other_key}\n", l.split(' ').next().unwrap()))
        .collect();
    std::fs::write(dir.path().join("known_hosts"), forged).unwrap();
    let second = Homectl::with_inventory(&inventory)
        .args(["--json", "preflight", "core", "--tag", &tag])
        .run();
    second.code(1);
    let (ok, detail) = ssh_check(&second, "node-a");
    assert!(!ok, "a changed key was accepted");
    assert!(detail.to_lowercase().contains("host key"), "{detail}");
}

/// The lab's ssh_config with its known_hosts lines replaced: its
/// UserKnownHostsFile set to `file`, StrictHostKeyChecking to `strict`.
fn ssh_config_sending_keys_to(dir: &Path, file: &str, strict: &str) -> String {
    let config = ssh_config_with(dir, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&dir.join("known_hosts").display().to_string(), file)
        .replace(
            "StrictHostKeyChecking yes",
            &format!("StrictHostKeyChecking {strict}"),
        );
    assert!(
        text.contains(&format!("UserKnownHostsFile {file}")),
        "{text}"
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// accept-new with a known_hosts of /dev/null would accept every key, every
/// time: refused, naming the setting, for preflight and for deploy.
#[test]
fn accept_new_with_known_hosts_in_dev_null_is_refused_naming_the_setting() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let config = ssh_config_sending_keys_to(dir.path(), "/dev/null", "no");
    let inventory = inventory_variant(
        dir.path(),
        &[
            (SSH_CONFIG, &config),
            ("known_hosts = \"strict\"", "known_hosts = \"accept-new\""),
        ],
    );
    let tag = lab_var("LAB_TAG_OLD");
    let run = Homectl::with_inventory(&inventory)
        .args(["--json", "preflight", "core", "--tag", &tag])
        .run();
    run.code(1);
    let (ok, detail) = ssh_check(&run, "node-a");
    assert!(!ok, "reported as checked: {detail}");
    assert!(!detail.contains("host key checked"), "{detail}");
    assert!(
        detail.contains("UserKnownHostsFile /dev/null")
            && detail.contains("accept-new")
            && detail.contains(&config),
        "{detail}"
    );
    let journal = on_node_ok(
        "core.lab.home.arpa",
        "cat /var/lib/homectl/history.jsonl 2>/dev/null | wc -l",
    );
    let deploy = Homectl::with_inventory(&inventory)
        .args(["deploy", "core", "--tag", &tag])
        .run();
    deploy.code(1);
    assert!(
        deploy.all().contains("UserKnownHostsFile /dev/null"),
        "{}",
        deploy.all()
    );
    assert_eq!(
        on_node_ok(
            "core.lab.home.arpa",
            "cat /var/lib/homectl/history.jsonl 2>/dev/null | wc -l"
        ),
        journal,
        "the refused deploy recorded nothing"
    );
}

/// `StrictHostKeyChecking no` in the user's ssh config does not turn
/// checking off: a wrong key in known_hosts is still refused.
#[test]
fn strict_host_key_checking_no_in_the_ssh_config_does_not_turn_checking_off() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forged_known_hosts");
    let lab = std::fs::read_to_string(format!("{LAB}/ssh/known_hosts")).unwrap();
    let other_key = lab
        .lines()
        .find(|l| l.starts_with("workers-b.lab.home.arpa"))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_string();
    std::fs::write(&file, format!("core.lab.home.arpa {other_key}\n")).unwrap();
    let config = ssh_config_sending_keys_to(dir.path(), &file.display().to_string(), "no");
    for policy in ["strict", "accept-new"] {
        let inventory = inventory_variant(
            dir.path(),
            &[
                (SSH_CONFIG, &config),
                (
                    "known_hosts = \"strict\"",
                    &format!("known_hosts = \"{policy}\""),
                ),
            ],
        );
        let run = Homectl::with_inventory(&inventory)
            .args([
                "--json",
                "preflight",
                "core",
                "--tag",
                &lab_var("LAB_TAG_OLD"),
            ])
            .run();
        run.code(1);
        let (ok, detail) = ssh_check(&run, "node-a");
        assert!(!ok, "{policy}: a wrong key was accepted: {detail}");
        assert!(detail.to_lowercase().contains("host key"), "{detail}");
    }
}

//! The deploy flow on two local nodes: prepare → apply → health →
//! (failure → rollback) → record, failures and Ctrl-C included.

use super::{Ask, Lab, API_KEY, REGISTRY_PASSWORD};

const REF: &str = "registry.test:5000/lab/web";

/// No secret value in any docker argv, and none in any file on the node
/// but where the stand-in keeps nothing of it (it records argv only).
fn assert_no_secret_on(lab: &Lab, nodes: &[&str]) {
    for name in nodes {
        let node = lab.node(name);
        let argv = node.argv();
        for secret in [REGISTRY_PASSWORD, API_KEY] {
            assert!(
                !argv.contains(secret),
                "{name}: a secret in an argv:\n{argv}"
            );
            for (path, bytes) in node.files() {
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains(secret),
                    "{name}: a secret in {}",
                    path.display()
                );
            }
        }
    }
}

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The stand-in's image id of a reference (docker.sh: its SHA-256).
fn image_id(reference: &str) -> String {
    format!("sha256:{}", sha256(reference))
}

fn last_record(lab: &Lab, node: &str) -> serde_json::Value {
    lab.node(node)
        .history()
        .pop()
        .unwrap_or_else(|| panic!("{node} has no history"))
}

#[test]
fn a_deploy_runs_the_real_steps_on_both_nodes_and_records_it() {
    let lab = Lab::new();
    lab.node("node-a").watch_env("API_KEY");
    let run = lab.deploy("v1", Ask::default());
    assert_eq!(run.exit_code(), 0, "{}", run.message());
    for name in ["node-a", "node-b"] {
        let node = lab.node(name);
        assert_eq!(node.running(), format!("web {REF}:v1\n"));
        assert_eq!(node.ups().len(), 1, "{}", node.argv());
        // The hook ran in the staged stack, before up.
        let argv = node.argv();
        let hook = argv
            .find("compose -p flow-web -f compose.yml run --rm -T web /app/migrate --to latest")
            .unwrap_or_else(|| panic!("no hook:\n{argv}"));
        assert!(hook < argv.find(" up -d").unwrap(), "{argv}");
        assert_eq!(node.app_conf(), "version 1\n");
        let record = last_record(&lab, name);
        assert_eq!(
            (record["kind"].as_str(), record["result"].as_str()),
            (Some("deploy"), Some("ok"))
        );
        assert_eq!(record["tag"], "v1");
        assert!(node.lock_is_free());
        // The password went to `docker login` on stdin, never as an argument.
        assert!(
            node.argv()
                .contains("login --username ci --password-stdin registry.test:5000"),
            "{}",
            node.argv()
        );
    }
    // The secret reached Compose's environment (through a data frame).
    assert_eq!(
        lab.node("node-a").env_seen_by_up("API_KEY"),
        Some(sha256(API_KEY))
    );
    assert_no_secret_on(&lab, &["node-a", "node-b"]);
}

/// A pull that fails on one of two nodes: phase 2 runs nowhere, both
/// locks are free, exit 1, and the message names the node.
#[test]
fn a_prepare_failure_on_one_node_applies_nothing_on_either() {
    let lab = Lab::new();
    lab.node("node-b").fail(
        "pull",
        "echo 'Error response from daemon: manifest unknown' >&2; exit 1",
    );
    let run = lab.deploy("v1", Ask::default());
    assert_eq!(run.exit_code(), 1, "{}", run.message());
    let message = run.message();
    assert!(message.contains("prepare failed on node-b"), "{message}");
    assert!(message.contains("nothing changed on any node"), "{message}");
    for name in ["node-a", "node-b"] {
        let node = lab.node(name);
        assert!(node.ups().is_empty(), "{name} ran up:\n{}", node.argv());
        assert_eq!(node.running(), "", "{name}");
        assert!(node.history().is_empty(), "{name}: {:?}", node.history());
        assert!(node.lock_is_free(), "{name} is still locked");
        // Nothing of the stack's folder was put in use.
        assert_eq!(node.app_conf(), "", "{name}");
    }
    // node-a pulled before it was released: it really got that far.
    assert!(lab
        .node("node-a")
        .argv()
        .contains(&format!("pull -q {REF}:v1")));
    assert_no_secret_on(&lab, &["node-a", "node-b"]);
}

/// `up` fails: the failure is reported with the step's output, its secret
/// masked, and recorded as failed.
#[test]
fn an_apply_failure_is_reported_with_its_output_masked() {
    let lab = Lab::new();
    lab.node("node-a").fail(
        "compose-up",
        "echo \"web: invalid API_KEY=$API_KEY in the environment\" >&2; exit 1",
    );
    let run = lab.deploy("v1", Ask::default());
    assert_eq!(run.exit_code(), 1, "{}", run.message());
    let message = run.message();
    assert!(message.contains("deploy failed on node-a"), "{message}");
    assert!(message.contains("up web"), "{message}");
    assert!(
        message.contains("web: invalid API_KEY=*** in the environment"),
        "{message}"
    );
    assert!(!message.contains(API_KEY), "{message}");
    let record = last_record(&lab, "node-a");
    assert_eq!(record["result"], "failed");
    let detail = record["detail"].as_str().unwrap();
    assert!(detail.contains("API_KEY=***"), "{detail}");
    // node-b is not held back by node-a's failure in phase 2.
    assert_eq!(last_record(&lab, "node-b")["result"], "ok");
    assert!(lab.node("node-a").lock_is_free());
    assert_no_secret_on(&lab, &["node-a", "node-b"]);
}

/// A deploy whose containers turn unhealthy: back to the images and the
/// files that ran before, by image id, and the history says so.
#[test]
fn a_health_failure_rolls_back_to_the_previous_images_and_files() {
    let lab = Lab::new();
    assert_eq!(lab.deploy("v1", Ask::default()).exit_code(), 0);
    lab.app_conf("version 2\n");
    lab.node("node-a").health("v2", "unhealthy");
    lab.node("node-a").clear_argv();

    let run = lab.deploy("v2", Ask::default());
    assert_eq!(run.exit_code(), 1, "{}", run.message());
    let message = run.message();
    assert!(message.contains("not healthy: web(unhealthy)"), "{message}");
    assert!(message.contains("rolled back to v1"), "{message}");

    let a = lab.node("node-a");
    assert_eq!(a.running(), format!("web {REF}:v1\n"));
    assert_eq!(a.app_conf(), "version 1\n");
    let argv = a.argv();
    // The previous image, by id, under its old tag; then up again.
    let v1 = format!("{REF}:v1");
    assert!(
        argv.contains(&format!("tag {} {v1}", image_id(&v1))),
        "{argv}"
    );
    assert_eq!(a.ups().len(), 2, "{argv}");
    let record = last_record(&lab, "node-a");
    assert_eq!(record["result"], "rolled-back");
    assert_eq!(record["tag"], "v2");
    assert!(record["detail"]
        .as_str()
        .unwrap()
        .contains("rolled back to v1"));
    // node-b was healthy on v2.
    assert_eq!(lab.node("node-b").running(), format!("web {REF}:v2\n"));
    assert_eq!(lab.node("node-b").app_conf(), "version 2\n");
    assert!(a.lock_is_free());
    assert_no_secret_on(&lab, &["node-a", "node-b"]);
}

/// `--no-rollback`: the unhealthy deploy stays as it is, recorded failed.
#[test]
fn no_rollback_leaves_the_unhealthy_deploy_in_place() {
    let lab = Lab::new();
    assert_eq!(lab.deploy("v1", Ask::default()).exit_code(), 0);
    lab.app_conf("version 2\n");
    lab.node("node-a").health("v2", "unhealthy");
    lab.node("node-a").clear_argv();

    let ask = Ask {
        no_rollback: true,
        ..Ask::default()
    };
    let run = lab.deploy("v2", ask);
    assert_eq!(run.exit_code(), 1, "{}", run.message());
    assert!(!run.message().contains("rolled back"), "{}", run.message());
    let a = lab.node("node-a");
    assert_eq!(a.running(), format!("web {REF}:v2\n"));
    assert_eq!(a.app_conf(), "version 2\n");
    assert!(!a.argv().contains("tag sha256:"), "{}", a.argv());
    assert_eq!(a.ups().len(), 1);
    assert_eq!(last_record(&lab, "node-a")["result"], "failed");
}

/// Ctrl-C while `up` runs: the step in flight finishes, no later step
/// (health) starts, "interrupted" is recorded, exit 130.
#[test]
fn an_interruption_during_apply_starts_no_new_step_and_records_it() {
    let lab = Lab::new();
    let ask = Ask {
        interrupt_at: Some("compose-up".into()),
        ..Ask::default()
    };
    let run = lab.deploy("v1", ask);
    assert_eq!(run.exit_code(), 130, "{}", run.message());
    for name in ["node-a", "node-b"] {
        let node = lab.node(name);
        // The up in flight finished...
        assert_eq!(node.running(), format!("web {REF}:v1\n"), "{name}");
        // ... and health never started: it would list the containers.
        let argv = node.argv();
        let after_up = argv.split_once(" up ").unwrap().1;
        assert!(
            !after_up.contains("ps -a"),
            "{name} ran a step after up:\n{argv}"
        );
        let record = last_record(&lab, name);
        assert_eq!(record["result"], "interrupted", "{name}");
        assert!(
            record["detail"].as_str().unwrap().contains("health"),
            "{record}"
        );
        assert!(node.lock_is_free(), "{name}");
    }
}

/// Ctrl-C while pulling: nothing runs that was not running, each node
/// records "interrupted", exit 130.
#[test]
fn an_interruption_during_prepare_applies_nothing_and_records_it() {
    let lab = Lab::new();
    let ask = Ask {
        interrupt_at: Some("pull".into()),
        ..Ask::default()
    };
    let run = lab.deploy("v1", ask);
    assert_eq!(run.exit_code(), 130, "{}", run.message());
    for name in ["node-a", "node-b"] {
        let node = lab.node(name);
        assert!(node.ups().is_empty(), "{name}:\n{}", node.argv());
        let record = last_record(&lab, name);
        assert_eq!(record["result"], "interrupted", "{name}");
        assert!(
            record["detail"]
                .as_str()
                .unwrap()
                .contains("while preparing"),
            "{record}"
        );
        assert!(node.lock_is_free(), "{name}");
    }
}

/// The same deploy again: the verify step confirms what runs, no `up`.
#[test]
fn an_unchanged_redeploy_runs_no_up() {
    let lab = Lab::new();
    assert_eq!(lab.deploy("v1", Ask::default()).exit_code(), 0);
    for name in ["node-a", "node-b"] {
        lab.node(name).clear_argv();
    }
    let run = lab.deploy("v1", Ask::default());
    assert_eq!(run.exit_code(), 0, "{}", run.message());
    for name in ["node-a", "node-b"] {
        let node = lab.node(name);
        assert!(node.ups().is_empty(), "{name}:\n{}", node.argv());
        // The verify step asked the registry what the tag names now.
        assert!(node.argv().contains(&format!("pull -q {REF}:v1")), "{name}");
        let record = last_record(&lab, name);
        assert_eq!(record["result"], "ok");
        assert!(
            record["detail"].as_str().unwrap().starts_with("unchanged"),
            "{record}"
        );
    }
    // A changed file is a change: up again.
    lab.app_conf("version 2\n");
    let run = lab.deploy("v1", Ask::default());
    assert_eq!(run.exit_code(), 0, "{}", run.message());
    assert_eq!(lab.node("node-a").ups().len(), 1);
    assert_eq!(lab.node("node-a").app_conf(), "version 2\n");
}

/// A node whose lock another deploy holds: it says by whom, and no node
/// runs anything past its state folder (exit 1).
#[test]
fn a_locked_node_names_its_holder_and_nothing_runs_anywhere() {
    let lab = Lab::new();
    let a = lab.node("node-a");
    let mut holder = a.hold_lock("someone@elsewhere (pid 4242 on ops) since 2026-01-01T00:00:00Z");
    let run = lab.deploy("v1", Ask::default());
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(run.exit_code(), 1, "{}", run.message());
    let message = run.message();
    assert!(message.contains("prepare failed on node-a"), "{message}");
    assert!(
        message.contains("locked by someone@elsewhere (pid 4242 on ops)"),
        "{message}"
    );
    assert!(message.contains("homectl unlock node-a"), "{message}");
    assert_eq!(a.argv(), "", "node-a ran docker while locked");
    assert!(lab.node("node-b").ups().is_empty());
    assert!(lab.node("node-b").lock_is_free());
}

/// `homectl rollback`: back to the image and the files of the deploy
/// before the last, by image id from the history, recorded as a rollback.
#[test]
fn a_rollback_by_history_brings_back_the_previous_image_and_files() {
    let lab = Lab::new();
    assert_eq!(lab.deploy("v1", Ask::default()).exit_code(), 0);
    lab.app_conf("version 2\n");
    assert_eq!(lab.deploy("v2", Ask::default()).exit_code(), 0);
    let ask = Ask {
        rollback: true,
        ..Ask::default()
    };
    let run = lab.deploy("", ask);
    assert_eq!(run.exit_code(), 0, "{}", run.message());
    for name in ["node-a", "node-b"] {
        let node = lab.node(name);
        let v1 = format!("{REF}:v1");
        assert_eq!(node.running(), format!("web {v1}\n"), "{name}");
        assert_eq!(node.app_conf(), "version 1\n", "{name}");
        // The image of v1's deploy, by the id its history recorded.
        assert!(
            node.argv().contains(&format!("tag {} {v1}", image_id(&v1))),
            "{}",
            node.argv()
        );
        let record = last_record(&lab, name);
        assert_eq!(
            (record["kind"].as_str(), record["result"].as_str()),
            (Some("rollback"), Some("ok")),
            "{record}"
        );
        assert_eq!(record["tag"], "v1");
    }
    assert_no_secret_on(&lab, &["node-a", "node-b"]);
}

/// A `before_up` hook that fails: no `up` on that node, recorded failed,
/// the hook's output in the message.
#[test]
fn a_failing_hook_stops_the_node_before_up() {
    let lab = Lab::new();
    lab.node("node-a").fail(
        "compose-run",
        "echo 'migration 7 failed: relation exists' >&2; exit 3",
    );
    let run = lab.deploy("v1", Ask::default());
    assert_eq!(run.exit_code(), 1, "{}", run.message());
    let message = run.message();
    assert!(message.contains("node-a (hook web web)"), "{message}");
    assert!(message.contains("migration 7 failed"), "{message}");
    let a = lab.node("node-a");
    assert!(a.ups().is_empty(), "{}", a.argv());
    assert_eq!(a.running(), "");
    assert_eq!(last_record(&lab, "node-a")["result"], "failed");
    assert_eq!(last_record(&lab, "node-b")["result"], "ok");
    assert!(a.lock_is_free());
}

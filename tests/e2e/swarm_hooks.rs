//! `before_up` hooks of a swarm stack on the lab's Swarm (docs/swarm.md,
//! "Hooks"): a one-off container of the service on the manager, before the
//! stack deploy, with the stack's env, secrets and configs, on the stack's
//! overlay network (created attachable by homectl on a first deploy); a
//! failed hook deploys nothing and shows no secret. And a successful swarm
//! deploy prunes by itself (docs/swarm.md, "prune"), and `plan` names an
//! env value that changed behind the same name.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::swarm_common::{assert_tasks, digest_of, lab_swarm, SwarmUp, CORE, PROJECT, SERVICES};

/// What the hook does: it fails (printing the secret, which must come out
/// masked) for the unhealthy tag; else it checks its env, secret and
/// config, notes the tag in the stack's volume on the manager, and (from
/// the second run on) whether it reached the training workers' tasks over
/// the stack's network (within
/// 10 s: the other nodes learn of a new container on an overlay network a
/// moment after it starts, docs/swarm.md, "Hooks").
const HOOK: &str = r#"case "$HOOK_TAG" in unhealthy) echo "key=$KTRDR_API_KEY"; exit 3;; esac; test -n "$KTRDR_API_KEY" && grep -q threads /etc/worker.conf || exit 4; again=; if [ -s /hook/ran ]; then again=1; fi; echo "$HOOK_TAG" >> /hook/ran; if [ -n "$again" ]; then for i in 1 2 3 4 5 6 7 8 9 10; do if wget -q -O /dev/null http://tasks.training-worker:5005/health; then echo reached >> /hook/ran; break; fi; sleep 1; done; fi"#;

/// The lab's swarm inventory (keeping 1 version) and a copy of
/// stacks/swarm-workers with a hook on backtest-worker (which mounts the
/// volume `hooklog`).
fn hooked_inventory(dir: &Path) -> PathBuf {
    let stack = dir.join("stacks/swarm-workers");
    std::fs::create_dir_all(&stack).unwrap();
    let source = repo().join("stacks/swarm-workers");
    for name in ["compose.yml", "stack.toml", "worker.conf"] {
        std::fs::copy(source.join(name), stack.join(name)).unwrap();
    }
    let compose = std::fs::read_to_string(stack.join("compose.yml")).unwrap();
    let hooked = compose
        .replacen(
            "      ROLE: backtest-worker\n",
            "      ROLE: backtest-worker\n      HOOK_TAG: ${IMAGE_TAG}\n",
            1,
        )
        .replacen(
            "        target: /etc/worker.conf\n",
            "        target: /etc/worker.conf\n    volumes:\n      - hooklog:/hook\n",
            1,
        )
        + "volumes:\n  hooklog: {}\n";
    assert_ne!(hooked, compose);
    std::fs::write(stack.join("compose.yml"), hooked).unwrap();
    let mut toml = std::fs::read_to_string(stack.join("stack.toml")).unwrap();
    toml.push_str(&format!(
        "\n[[hooks.before_up]]\nservice = \"backtest-worker\"\ncommand = [\"sh\", \"-c\", {HOOK:?}]\n"
    ));
    std::fs::write(stack.join("stack.toml"), toml).unwrap();
    let inventory = std::fs::read_to_string(repo().join("inventory/lab-swarm.toml"))
        .unwrap()
        .replacen(
            "[ssh]",
            &format!(
                "stacks_dir = {:?}\nkeep = 1\n\n[ssh]",
                dir.join("stacks").display().to_string()
            ),
            1,
        )
        .replacen(
            "stacks = [\"core\", \"swarm-workers\"]",
            "stacks = [\"swarm-workers\"]",
            1,
        );
    let path = dir.join("inventory.toml");
    std::fs::write(&path, inventory).unwrap();
    path
}

fn hook_log() -> String {
    on_node_ok(
        CORE,
        &format!(
            "cat \"$(docker volume inspect --format '{{{{.Mountpoint}}}}' {PROJECT}_hooklog)/ran\""
        ),
    )
}

fn spec_versions() -> String {
    on_node_ok(
        CORE,
        &format!("docker service inspect --format '{{{{.Spec.Name}}}} {{{{.Version.Index}}}}' {PROJECT}_backtest-worker {PROJECT}_training-worker"),
    )
}

#[test]
fn swarm_hooks_run_on_the_manager_before_the_stack_deploy_and_a_failed_one_deploys_nothing() {
    let _lab = lab_lock();
    // A Swarm of its own: the stack's first deploy is this test's.
    lab_swarm("down");
    let _swarm = SwarmUp::new();
    let dir = tempfile::tempdir().unwrap();
    let inventory = hooked_inventory(dir.path());
    let homectl = || Homectl::with_inventory(&inventory);
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let bad = lab_var("LAB_TAG_UNHEALTHY");
    assert_eq!(bad, "unhealthy", "the hook fails for this tag");
    homectl().args(["check"]).run().success();
    // The volume outlives the Swarm: an earlier run's notes go.
    on_node_ok(CORE, &format!("docker volume rm -f {PROJECT}_hooklog"));

    // A first deploy: no network yet; homectl makes the stack's, attachable.
    let first = homectl()
        .args(["deploy", "swarm", "--tag", &old, "--scale", "2"])
        .run();
    first.success();
    assert!(
        first.all().contains("hook backtest-worker"),
        "{}",
        first.all()
    );
    assert_eq!(hook_log(), format!("{old}\n"), "once, nothing to reach yet");
    let network = on_node_ok(
        CORE,
        &format!("docker network inspect --format '{{{{.Attachable}}}} {{{{index .Labels \"com.docker.stack.namespace\"}}}}' {PROJECT}_default"),
    );
    assert_eq!(network.trim(), format!("true {PROJECT}"));
    for service in SERVICES {
        assert_tasks(service, 2, &digest_of(&old));
    }

    // plan names the hook a deploy of another tag would run.
    let plan = homectl().args(["plan", "swarm", "--tag", &new]).run();
    plan.success();
    assert!(
        plan.stdout.contains("hook: backtest-worker: sh -c "),
        "{}",
        plan.all()
    );

    // The next deploy: the hook runs before the update, on the stack's
    // network (it reaches the old training workers' tasks).
    homectl()
        .args(["deploy", "swarm", "--tag", &new])
        .run()
        .success();
    assert_eq!(hook_log(), format!("{old}\n{new}\nreached\n"));
    for service in SERVICES {
        assert_tasks(service, 2, &digest_of(&new));
    }
    let before = spec_versions();

    // A failed hook: exit 1 naming it, the secret masked, nothing deployed.
    let failed = homectl().args(["deploy", "swarm", "--tag", &bad]).run();
    failed.code(1);
    let all = failed.all();
    assert!(all.contains("backtest-worker failed"), "{all}");
    assert!(
        all.contains("not deployed, its services run as before"),
        "{all}"
    );
    assert!(all.contains("key=***"), "{all}");
    if let Some(found) = find_secret(all.as_bytes(), &secret_needles()) {
        panic!("a secret in the output: {found}");
    }
    assert_eq!(spec_versions(), before, "no service was updated");
    for service in SERVICES {
        assert_tasks(service, 2, &digest_of(&new));
    }
    let last = on_node_ok(CORE, "tail -n 1 /var/lib/homectl/history.jsonl");
    let last: serde_json::Value = serde_json::from_str(last.trim()).unwrap();
    assert_eq!(last["result"], "failed", "{last}");
    assert_eq!(last["tag"], bad.as_str(), "{last}");

    // A third tag: its deploy prunes by itself (keep = 1: the spec's and
    // the previous spec's images stay), so a prune after it has nothing
    // left to remove of the stack on any node.
    let third = lab_var("LAB_TAG_DB");
    let run = homectl().args(["deploy", "swarm", "--tag", &third]).run();
    run.success();
    for node in ["node-a", "node-b", "node-c"] {
        assert!(
            run.all().contains(&format!("{node} prune: ")),
            "{node}: {}",
            run.all()
        );
    }
    let dry = homectl()
        .args(["--json", "prune", "swarm", "--dry-run"])
        .run();
    dry.success();
    for node in dry.json()["nodes"].as_array().expect("nodes") {
        assert_eq!(node["removed_images"], serde_json::json!([]), "{node}");
    }
    assert!(
        on_node(CORE, &format!("docker image inspect {}", digest_of(&new)))
            .status
            .success()
    );

    // plan sees a new env value behind the same name (by name, from the
    // prints the deploy recorded), where the deployed file is the same.
    let plan = homectl().args(["plan", "swarm", "--tag", &third]).run();
    plan.success();
    assert!(plan.stdout.contains("no change"), "{}", plan.all());
    let toml = dir.path().join("stacks/swarm-workers/stack.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let edited = text.replacen(":8000\"", ":8001\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&toml, edited).unwrap();
    let plan = homectl().args(["plan", "swarm", "--tag", &third]).run();
    plan.success();
    assert!(
        plan.stdout
            .contains("env and secrets changed: KTRDR_API_URL"),
        "{}",
        plan.all()
    );

    // No one-off container left, and no secret in the files homectl wrote.
    let left = on_node_ok(
        CORE,
        "docker ps -aq --filter label=com.docker.compose.oneoff=True",
    );
    assert_eq!(left.trim(), "", "hook containers left");
    let files = on_node_ok(
        CORE,
        &format!("cat /var/lib/homectl/swarm/{PROJECT}/hook/compose.yml /var/lib/homectl/swarm/{PROJECT}/compose.yml"),
    );
    assert!(files.contains("${KTRDR_API_KEY}"), "{files}");
    if let Some(found) = find_secret(files.as_bytes(), &secret_needles()) {
        panic!("a secret in the files on the manager: {found}");
    }
}

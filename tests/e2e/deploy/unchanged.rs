//! The skip of a redeploy of what runs, and what defeats it: `--force`, a
//! re-pushed tag, a changed env or secret value.

use super::*;

/// Tags `from` (a lab tag) as `to` in the registry, from node-a's engine.
fn push_as(from: &str, to: &str) {
    let image = lab_var("LAB_IMAGE");
    let out = on_node_logged_in(
        CORE,
        &format!(
            "docker pull -q {image}:{from} >/dev/null; docker tag {image}:{from} {image}:{to}; docker push -q {image}:{to} >/dev/null"
        ),
    );
    assert!(
        out.status.success(),
        "push {from} as {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_re_pushed_tag_and_a_changed_env_value_are_picked_up() {
    let _lab = lab_lock();
    let moving = "e2e-moving";
    push_as(&old(), moving);
    let (first, db) = core_at(moving);
    // Deployed again as it is: skipped (no pull, hook or up)...
    let again = deploy(&["--json", "core", "--tag", moving]);
    again.success();
    let steps: Vec<String> = events(&again.stdout)
        .iter()
        .filter_map(|e| e["step"].as_str().map(str::to_string))
        .collect();
    assert!(steps.iter().any(|s| s == "unchanged core"), "{steps:?}");
    assert!(
        !steps
            .iter()
            .any(|s| s.starts_with("pull") || s.starts_with("hook") || s.starts_with("up")),
        "{steps:?}"
    );
    // ...but the same tag with new content is pulled and recreates the backend.
    push_as(&new(), moving);
    let (second, _) = core_at(moving);
    assert_ne!(
        second.image_id, first.image_id,
        "the re-pushed tag was not picked up"
    );
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        new()
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
    // A changed env value (the stack's env) is picked up too.
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(
        dir.path(),
        "core/stack.toml",
        &[(
            "http://core.lab.home.arpa:8000",
            "http://core.lab.home.arpa:8001",
        )],
    );
    deploy_in(Some(&inventory), &["core", "--tag", moving]).success();
    let third = container_of(CORE, CORE_PROJECT, "backend");
    assert_ne!(
        third.id, second.id,
        "a changed env value did not recreate the backend"
    );
    let value = on_node_ok(
        CORE,
        "docker exec ktrdr-core-backend-1 /bin/sh -c 'printf %s \"$KTRDR_API_URL\"'",
    );
    assert_eq!(value, "http://core.lab.home.arpa:8001");
    core_at(&old());
}

/// Puts the lab's op vault back as it was when dropped (a test changed a value).
struct VaultGuard(String);

impl VaultGuard {
    fn set(key: &str, value: &str) -> VaultGuard {
        let path = format!("{LAB}/op/vault.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut vault: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap();
        vault.insert(key.to_string(), value.into());
        std::fs::write(&path, serde_json::to_string_pretty(&vault).unwrap()).unwrap();
        VaultGuard(text)
    }
}

impl Drop for VaultGuard {
    fn drop(&mut self) {
        std::fs::write(format!("{LAB}/op/vault.json"), &self.0).unwrap();
    }
}

#[test]
fn a_redeploy_of_what_runs_is_skipped_unless_forced_or_a_secret_changed() {
    let _lab = lab_lock();
    let (backend, db) = core_at(&old());
    deploy(&["workers", "--tag", &old()]).success();
    let workers_b = containers("workers-b.lab.home.arpa", WORKERS_PROJECT);

    // Everything again: every node and stack is skipped, nothing recreated
    // (node-c is Compose v1).
    let run = deploy(&["--json", "all", "--tag", &old()]);
    run.success();
    let evs = events(&run.stdout);
    let skipped: BTreeSet<String> = evs
        .iter()
        .filter(|e| e["status"] == "skipped")
        .map(|e| {
            format!(
                "{} {}",
                e["node"].as_str().unwrap(),
                e["step"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        skipped,
        BTreeSet::from([
            "node-a unchanged core".to_string(),
            "node-b unchanged workers".into(),
            "node-c unchanged workers".into()
        ]),
        "{}",
        run.stdout
    );
    assert!(
        !evs.iter().any(|e| e["step"]
            .as_str()
            .is_some_and(|s| s.starts_with("up") || s.starts_with("hook"))),
        "{}",
        run.stdout
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").id, backend.id);
    assert_eq!(
        containers("workers-b.lab.home.arpa", WORKERS_PROJECT),
        workers_b
    );
    let last = history(CORE).pop().unwrap();
    assert_eq!(
        (last["result"].as_str(), last["tag"].as_str()),
        (Some("ok"), Some(old().as_str())),
        "{last}"
    );
    assert!(
        last["images"]["backend"]["id"]
            .as_str()
            .is_some_and(|id| id == backend.image_id),
        "{last}"
    );

    // --force runs every step (compose still recreates nothing).
    let forced = deploy(&["--json", "core", "--tag", &old(), "--force"]);
    forced.success();
    let steps: Vec<String> = events(&forced.stdout)
        .iter()
        .filter_map(|e| e["step"].as_str().map(str::to_string))
        .collect();
    assert!(
        steps.iter().any(|s| s == "hook core backend") && steps.iter().any(|s| s == "up core"),
        "{steps:?}"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").id, backend.id);

    // A changed secret value is picked up: the backend is recreated with it.
    {
        let _vault = VaultGuard::set("homelab/ktrdr-api/key", "a-new-api-key-for-this-test");
        deploy(&["core", "--tag", &old()]).success();
        let after = container_of(CORE, CORE_PROJECT, "backend");
        assert_ne!(
            after.id, backend.id,
            "a changed secret did not recreate the backend"
        );
        let value = on_node_ok(
            CORE,
            "docker exec ktrdr-core-backend-1 /bin/sh -c 'printf %s \"$API_KEY\"'",
        );
        assert_eq!(value, "a-new-api-key-for-this-test");
    }
    // And back, with the vault as it was.
    core_at(&old());
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db").id,
        db.id,
        "the db was touched"
    );
}

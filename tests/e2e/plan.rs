//! `homectl plan` against the lab: read-only (container ids and history
//! unchanged), and what it says is what the next deploy does.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;

const CORE: &str = "core.lab.home.arpa";
const CORE_PROJECT: &str = "ktrdr-core";
const WORKERS_B: &str = "workers-b.lab.home.arpa";
const WORKERS_PROJECT: &str = "ktrdr-workers";

fn old() -> String {
    lab_var("LAB_TAG_OLD")
}

fn new() -> String {
    lab_var("LAB_TAG_NEW")
}

fn homectl(inventory: Option<&std::path::Path>, args: &[&str]) -> Run {
    match inventory {
        Some(path) => Homectl::with_inventory(path),
        None => Homectl::new(),
    }
    .args(args)
    .run()
}

/// `plan ARGS --json`: the one document's stack plans.
#[track_caller]
fn plan_json(inventory: Option<&std::path::Path>, args: &[&str]) -> Vec<serde_json::Value> {
    let run = homectl(inventory, &[&["--json", "plan"], args].concat());
    run.success();
    let doc = run.json();
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    doc["plans"].as_array().cloned().unwrap_or_default()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// service → container id of a project on a node.
fn ids(host: &str, project: &str) -> BTreeMap<String, String> {
    containers(host, project)
        .into_iter()
        .map(|c| (c.service, c.id))
        .collect()
}

fn history_text(host: &str) -> String {
    on_node_ok(
        host,
        "cat /var/lib/homectl/history.jsonl 2>/dev/null || true",
    )
}

/// The services whose container a deploy replaced (present before and after, other id).
fn replaced(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    before
        .iter()
        .filter(|(s, id)| after.get(*s).is_some_and(|now| now != *id))
        .map(|(s, _)| s.clone())
        .collect()
}

#[test]
fn plan_after_a_new_tag_shows_the_images_changes_nothing_and_matches_the_deploy() {
    let _lab = lab_lock();
    homectl(
        None,
        &[
            "deploy",
            "workers",
            "node-b",
            "--tag",
            &old(),
            "--scale",
            "1",
        ],
    )
    .success();
    let before = ids(WORKERS_B, WORKERS_PROJECT);
    let history = history_text(WORKERS_B);

    let plans = plan_json(None, &["workers", "node-b", "--tag", &new()]);
    assert_eq!(plans.len(), 1, "{plans:?}");
    let p = &plans[0];
    assert_eq!(
        (p["node"].as_str(), p["stack"].as_str()),
        (Some("node-b"), Some("workers"))
    );
    assert_eq!(p["no_change"], false, "{p}");
    let images = p["images"].as_array().unwrap();
    let services: Vec<&str> = images
        .iter()
        .filter_map(|i| i["service"].as_str())
        .collect();
    assert_eq!(services, ["backtest-worker-1", "training-worker-1"], "{p}");
    for image in images {
        let from = image["from"].as_str().unwrap();
        let to = image["to"].as_str().unwrap();
        assert!(
            from.starts_with(&format!("ktrdr-backend:{}@sha256:", old())),
            "{from}"
        );
        assert!(
            to.starts_with(&format!("ktrdr-backend:{}@sha256:", new())),
            "{to}"
        );
        assert_ne!(
            from.split('@').nth(1),
            to.split('@').nth(1),
            "other digests"
        );
    }
    let recreated: BTreeSet<String> = strings(&p["recreated"]).into_iter().collect();
    assert_eq!(
        recreated,
        BTreeSet::from([
            "backtest-worker-1".to_string(),
            "training-worker-1".to_string()
        ])
    );
    // Read-only: the same containers, the same history, no lock left.
    assert_eq!(ids(WORKERS_B, WORKERS_PROJECT), before);
    assert_eq!(history_text(WORKERS_B), history);
    // The text form says the same.
    let text = homectl(None, &["plan", "workers", "node-b", "--tag", &new()]);
    text.success();
    assert!(
        text.stdout.contains("node-b workers: changes"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("recreated: backtest-worker-1, training-worker-1"),
        "{}",
        text.stdout
    );

    // What the deploy then does is what plan said.
    homectl(None, &["deploy", "workers", "node-b", "--tag", &new()]).success();
    let after = ids(WORKERS_B, WORKERS_PROJECT);
    assert_eq!(replaced(&before, &after), recreated);
    homectl(None, &["deploy", "workers", "node-b", "--tag", &old()]).success();
}

#[test]
fn plan_right_after_a_deploy_says_no_change_and_the_deploy_skips() {
    let _lab = lab_lock();
    homectl(None, &["deploy", "core", "--tag", &old()]).success();
    homectl(
        None,
        &[
            "deploy",
            "workers",
            "node-b",
            "--tag",
            &old(),
            "--scale",
            "1",
        ],
    )
    .success();
    let run = homectl(None, &["plan", "core", "--tag", &old()]);
    run.success();
    assert_eq!(run.stdout.trim(), "node-a core: no change", "{}", run.all());
    let run = homectl(None, &["plan", "workers", "node-b", "--tag", &old()]);
    run.success();
    assert_eq!(
        run.stdout.trim(),
        "node-b workers: no change",
        "{}",
        run.all()
    );
    // The deploy agrees: it skips, recreating nothing.
    let before = ids(CORE, CORE_PROJECT);
    let deploy = homectl(None, &["--json", "deploy", "core", "--tag", &old()]);
    deploy.success();
    assert!(
        deploy.stdout.contains("\"unchanged core\""),
        "{}",
        deploy.stdout
    );
    assert_eq!(ids(CORE, CORE_PROJECT), before);
}

#[test]
fn plan_names_a_changed_env_value_never_the_value_and_the_deploy_recreates_what_it_said() {
    let _lab = lab_lock();
    homectl(None, &["deploy", "core", "--tag", &old()]).success();
    let dir = tempfile::tempdir().unwrap();
    let value = "http://core.lab.home.arpa:8001";
    let inventory = stacks_variant(
        dir.path(),
        "core/stack.toml",
        &[("http://core.lab.home.arpa:8000", value)],
    );
    let before = ids(CORE, CORE_PROJECT);
    let run = homectl(
        Some(&inventory),
        &["--json", "plan", "core", "--tag", &old()],
    );
    run.success();
    assert!(
        !run.stdout.contains(":8001"),
        "the value is shown: {}",
        run.stdout
    );
    let p = run.json()["plans"][0].clone();
    assert_eq!(p["no_change"], false, "{p}");
    assert_eq!(strings(&p["values"]), ["KTRDR_API_URL"], "{p}");
    assert_eq!(p["images"], serde_json::json!([]), "{p}");
    let recreated: BTreeSet<String> = strings(&p["recreated"]).into_iter().collect();
    assert_eq!(recreated, BTreeSet::from(["backend".to_string()]), "{p}");
    let text = homectl(Some(&inventory), &["plan", "core", "--tag", &old()]);
    assert!(
        text.stdout
            .contains("env and secrets changed: KTRDR_API_URL"),
        "{}",
        text.stdout
    );
    assert!(!text.all().contains(":8001"));
    // Nor any secret value, under --json or not.
    for out in [&run.stdout, &text.stdout, &text.stderr] {
        assert_eq!(find_secret(out.as_bytes(), &secret_needles()), None);
    }
    assert_eq!(ids(CORE, CORE_PROJECT), before, "plan changed nothing");

    homectl(Some(&inventory), &["deploy", "core", "--tag", &old()]).success();
    assert_eq!(replaced(&before, &ids(CORE, CORE_PROJECT)), recreated);
    homectl(None, &["deploy", "core", "--tag", &old()]).success();
}

#[test]
fn plan_scale_one_after_scale_three_lists_the_replicas_removed() {
    let _lab = lab_lock();
    homectl(
        None,
        &[
            "deploy",
            "workers",
            "node-b",
            "--tag",
            &old(),
            "--scale",
            "3",
        ],
    )
    .success();
    let before = ids(WORKERS_B, WORKERS_PROJECT);
    assert_eq!(before.len(), 6, "{before:?}");
    let plans = plan_json(
        None,
        &["workers", "node-b", "--tag", &old(), "--scale", "1"],
    );
    let p = &plans[0];
    assert_eq!(
        (p["scale_from"].as_u64(), p["scale_to"].as_u64()),
        (Some(3), Some(1)),
        "{p}"
    );
    let removed = strings(&p["replicas_removed"]);
    assert_eq!(
        removed,
        [
            "backtest-worker-2",
            "backtest-worker-3",
            "training-worker-2",
            "training-worker-3"
        ],
        "{p}"
    );
    assert_eq!(p["recreated"], serde_json::json!([]), "{p}");
    let text = homectl(
        None,
        &["plan", "workers", "node-b", "--tag", &old(), "--scale", "1"],
    );
    assert!(text.stdout.contains("scale 3 → 1"), "{}", text.stdout);
    assert_eq!(
        ids(WORKERS_B, WORKERS_PROJECT),
        before,
        "plan changed nothing"
    );

    homectl(
        None,
        &[
            "deploy",
            "workers",
            "node-b",
            "--tag",
            &old(),
            "--scale",
            "1",
        ],
    )
    .success();
    let after = ids(WORKERS_B, WORKERS_PROJECT);
    let gone: Vec<&String> = before.keys().filter(|s| !after.contains_key(*s)).collect();
    assert_eq!(gone, removed.iter().collect::<Vec<_>>());
    assert!(
        replaced(&before, &after).is_empty(),
        "the others stay: {after:?}"
    );
}

/// A credential the registry refuses: `plan` exits 1 naming every node and
/// the registry's answer, shows no secret and changes nothing.
#[test]
fn plan_with_a_credential_the_registry_refuses_names_each_node_and_no_secret() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    // Another secret of the vault: a wrong password, and one to look for.
    let inventory = inventory_variant(
        dir.path(),
        &[(
            r#"password = "op://homelab/registry/password""#,
            r#"password = "op://homelab/ktrdr-db/password""#,
        )],
    );
    let before = history_text(CORE);
    let run = homectl(Some(&inventory), &["plan", "all", "--tag", &new()]);
    run.code(1);
    for node in ["node-a", "node-b", "node-c"] {
        assert!(
            run.stderr.contains(node),
            "{node} not named:\n{}",
            run.all()
        );
    }
    assert!(
        run.stderr.contains("registry") && run.stderr.contains("unauthorized"),
        "the registry's answer is not shown:\n{}",
        run.all()
    );
    assert_eq!(find_secret(run.all().as_bytes(), &secret_needles()), None);
    assert_eq!(history_text(CORE), before, "plan wrote history");
}

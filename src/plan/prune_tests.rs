use super::*;
use crate::plan::history::ImageRecord;

const REPO: &str = "10.0.0.1:5000/lab/app";

fn record(
    stack: &str,
    kind: &str,
    tag: &str,
    images: &[(&str, &str)],
    files: &str,
) -> HistoryRecord {
    HistoryRecord {
        values: Default::default(),
        time: "2025-01-01T00:00:00Z".into(),
        operator: "me@laptop".into(),
        node: "node-a".into(),
        stack: stack.into(),
        kind: kind.into(),
        services: Vec::new(),
        tag: tag.into(),
        scale: 1,
        result: "ok".into(),
        detail: String::new(),
        images: images
            .iter()
            .map(|(service, id)| {
                (
                    service.to_string(),
                    ImageRecord {
                        id: id.to_string(),
                        digests: vec![format!("{REPO}@sha256:{id}")],
                        config_hash: String::new(),
                    },
                )
            })
            .collect(),
        duration_ms: 1,
        inputs: String::new(),
        files: files.into(),
    }
}

fn deploy(tag: &str) -> HistoryRecord {
    record(
        "core",
        "deploy",
        tag,
        &[("backend", &format!("id-{tag}"))],
        &format!("v-{tag}"),
    )
}

fn image(id: &str, tags: &[&str]) -> NodeImage {
    NodeImage {
        id: id.into(),
        size: 1000,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        digests: vec![format!("{REPO}@sha256:{id}")],
    }
}

/// A node that ran tags t1..tN of core in turn, all images and folders still there.
fn node_after(tags: &[&str]) -> NodeFacts {
    NodeFacts {
        images: tags
            .iter()
            .map(|t| image(&format!("id-{t}"), &[&format!("{REPO}:{t}")]))
            .collect(),
        container_images: tags.last().map(|t| format!("id-{t}")).into_iter().collect(),
        folders: [(
            "core".to_string(),
            StackFolders {
                in_use: tags.last().map(|t| format!("v-{t}")).unwrap_or_default(),
                versions: tags.iter().map(|t| (format!("v-{t}"), 10)).collect(),
            },
        )]
        .into_iter()
        .collect(),
        history: tags.iter().map(|t| deploy(t)).collect(),
        ..NodeFacts::default()
    }
}

fn removed_ids(plan: &[StackPrune]) -> Vec<&str> {
    plan[0]
        .remove_images
        .iter()
        .map(|r| r.id.as_str())
        .collect()
}

fn removed_files(plan: &[StackPrune]) -> Vec<&str> {
    plan[0]
        .remove_files
        .iter()
        .map(|r| r.version.as_str())
        .collect()
}

fn core() -> Vec<String> {
    vec!["core".to_string()]
}

#[test]
fn five_distinct_versions_keep_the_last_three() {
    let facts = node_after(&["t1", "t2", "t3", "t4", "t5"]);
    let plan = plan_prune(&facts, &core(), 3);
    let kept: Vec<&str> = plan[0].kept.iter().map(|v| v.tag.as_str()).collect();
    assert_eq!(kept, ["t5", "t4", "t3"]);
    assert_eq!(removed_ids(&plan), ["id-t1", "id-t2"]);
    assert_eq!(plan[0].remove_images[0].tags, [format!("{REPO}:t1")]);
    assert_eq!(removed_files(&plan), ["v-t1", "v-t2"]);
    // keep 1: only what runs.
    let plan = plan_prune(&facts, &core(), 1);
    assert_eq!(removed_ids(&plan), ["id-t1", "id-t2", "id-t3", "id-t4"]);
}

#[test]
fn unchanged_redeploys_and_restarts_are_no_new_version() {
    let mut facts = node_after(&["t1", "t2", "t3"]);
    // t3 deployed again (unchanged), restarted, redeployed: still 3 versions.
    facts.history.push(deploy("t3"));
    facts.history.push(record("core", "restart", "-", &[], ""));
    facts.history.push(deploy("t3"));
    let plan = plan_prune(&facts, &core(), 3);
    assert_eq!(plan[0].kept.len(), 3);
    assert!(removed_ids(&plan).is_empty() && removed_files(&plan).is_empty());
    // A version that comes back (a rollback to t2) is the same version.
    facts.history.push(record(
        "core",
        "rollback",
        "t2",
        &[("backend", "id-t2")],
        "v-t2",
    ));
    let tags: Vec<String> = versions(&facts.history, "core")
        .into_iter()
        .map(|v| v.tag)
        .collect();
    assert_eq!(tags, ["t2", "t3", "t1"]);
}

#[test]
fn a_changed_file_alone_is_a_new_version_and_a_retag_alone_is_not() {
    let mut facts = node_after(&["t1"]);
    facts.history.push(record(
        "core",
        "deploy",
        "t1",
        &[("backend", "id-t1")],
        "v-edit",
    ));
    facts.history.push(record(
        "core",
        "deploy",
        "t1b",
        &[("backend", "id-t1")],
        "v-edit",
    ));
    let v = versions(&facts.history, "core");
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[0].files, "v-edit");
}

#[test]
fn a_deploy_of_one_service_keeps_the_others_images_in_the_version() {
    let mut history = vec![record(
        "core",
        "deploy",
        "t1",
        &[("backend", "id-b1"), ("db", "id-db")],
        "v1",
    )];
    let mut one = record("core", "deploy", "t2", &[("backend", "id-b2")], "v1");
    one.services = vec!["backend".into()];
    history.push(one);
    let v = versions(&history, "core");
    assert_eq!(v[0].images["db"], "id-db");
    assert_eq!(v[0].images["backend"], "id-b2");
}

#[test]
fn an_image_another_stack_keeps_or_a_container_uses_survives() {
    let mut facts = node_after(&["t1", "t2", "t3", "t4", "t5"]);
    // Stack `tools` runs t1's image (the same id) as its last version.
    facts
        .history
        .push(record("tools", "deploy", "t1", &[("cli", "id-t1")], "w1"));
    // A container (stopped, of anything) uses t2's image.
    facts.container_images.insert("id-t2".into());
    let plan = plan_prune(&facts, &core(), 3);
    assert!(removed_ids(&plan).is_empty(), "{plan:?}");
    let spared: BTreeMap<&str, &str> = plan[0]
        .spared
        .iter()
        .map(|(i, w)| (i.as_str(), w.as_str()))
        .collect();
    assert_eq!(spared["id-t1"], "stack tools keeps it");
    assert_eq!(spared["id-t2"], "a container uses it");
    // The files of old versions go all the same.
    assert_eq!(removed_files(&plan), ["v-t1", "v-t2"]);
}

#[test]
fn an_image_homectl_did_not_pull_or_also_tagged_by_hand_survives() {
    let mut facts = node_after(&["t1", "t2", "t3", "t4", "t5"]);
    // Pulled by hand: never in the history.
    facts.images.push(image("id-hand", &["busybox:latest"]));
    // t1's image also tagged by hand under another name.
    facts.images[0].tags.push("mine/app:keep".into());
    let plan = plan_prune(&facts, &core(), 3);
    assert_eq!(removed_ids(&plan), ["id-t2"]);
    assert_eq!(
        plan[0].spared,
        [(
            "id-t1".to_string(),
            "also tagged mine/app:keep, which homectl did not pull".to_string()
        )]
    );
}

#[test]
fn what_runs_and_the_folder_in_use_stay_even_beyond_keep() {
    let mut facts = node_after(&["t1", "t2", "t3", "t4"]);
    // After a failed deploy the node still runs t1's image and folder
    // (say a rollback by hand): both stay.
    facts.container_images = ["id-t1".to_string()].into_iter().collect();
    facts.folders.get_mut("core").unwrap().in_use = "v-t1".into();
    let plan = plan_prune(&facts, &core(), 2);
    assert_eq!(removed_ids(&plan), ["id-t2"]);
    assert_eq!(removed_files(&plan), ["v-t2"]);
}

#[test]
fn a_failed_deploy_is_no_version_and_images_gone_are_not_removed_again() {
    let mut facts = node_after(&["t1", "t2", "t3"]);
    let mut failed = deploy("t4");
    failed.result = "rolled-back".into();
    facts.history.push(failed);
    facts.images.retain(|i| i.id != "id-t1");
    let plan = plan_prune(&facts, &core(), 2);
    let kept: Vec<&str> = plan[0].kept.iter().map(|v| v.tag.as_str()).collect();
    assert_eq!(kept, ["t3", "t2"]);
    assert!(removed_ids(&plan).is_empty(), "{plan:?}");
    assert_eq!(removed_files(&plan), ["v-t1"]);
}

#[test]
fn repositories_keep_a_registry_port() {
    assert_eq!(
        repository("10.0.0.1:5000/lab/app:t1"),
        "10.0.0.1:5000/lab/app"
    );
    assert_eq!(
        repository("10.0.0.1:5000/lab/app@sha256:ab"),
        "10.0.0.1:5000/lab/app"
    );
    assert_eq!(repository("10.0.0.1:5000/lab/app"), "10.0.0.1:5000/lab/app");
    assert_eq!(repository("postgres:16"), "postgres");
}

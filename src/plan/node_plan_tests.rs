//! Unit tests of the planner's decisions (`node_plan.rs`).

use super::*;
use crate::plan::history::HistoryRecord;
use crate::plan::unchanged::Container;
use crate::plan::SelectedStack;

pub(crate) fn lab() -> Project {
    crate::inventory::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
    )
    .unwrap()
}

pub(crate) fn running(services: &[(&str, &str)]) -> Running {
    services
        .iter()
        .map(|(s, r)| (s.to_string(), (format!("sha256:{s}"), r.to_string())))
        .collect()
}

fn select(node: &str, stack: &str) -> SelectedNode {
    SelectedNode {
        node: node.into(),
        stacks: vec![SelectedStack {
            stack: stack.into(),
            services: None,
        }],
    }
}

fn plan_in(p: &Project, state: &NodeState, req: &Request, node: &str, stack: &str) -> StackPlan {
    plan_node(p, &select(node, stack), state, req)
        .unwrap()
        .remove(0)
}

pub(crate) fn plan_of(p: &Project, node: &str, stack: &str, scale: Option<u32>) -> StackPlan {
    let secrets = Secrets::new();
    let req = Request {
        target: Target::Tag,
        tag: "t1",
        scale,
        force: false,
        secrets: &secrets,
    };
    plan_in(p, &NodeState::default(), &req, node, stack)
}

pub(crate) fn container(project: &str, service: &str, image: &str) -> Container {
    Container {
        project: project.into(),
        service: service.into(),
        id: format!("c-{service}"),
        image_id: format!("sha256:{service}"),
        state: "running".into(),
        image_ref: image.into(),
        health: String::new(),
        config_hash: format!("h-{service}"),
    }
}

fn record(
    stack: &str,
    scale: u32,
    services: &[&str],
    inputs: String,
    files: &str,
) -> HistoryRecord {
    HistoryRecord {
        values: Default::default(),
        time: "2026-01-01T00:00:00Z".into(),
        operator: "me@here".into(),
        node: "node-b".into(),
        stack: stack.into(),
        kind: "deploy".into(),
        services: vec![],
        tag: "t0".into(),
        scale,
        result: "ok".into(),
        detail: String::new(),
        images: services
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    ImageRecord {
                        id: format!("sha256:{s}"),
                        digests: vec![format!("10.77.0.1:5000/lab/ktrdr-backend@sha256:d-{s}")],
                        config_hash: format!("h-{s}"),
                    },
                )
            })
            .collect(),
        duration_ms: 1,
        inputs,
        files: files.into(),
    }
}

#[test]
fn the_scale_is_the_flag_else_what_runs_else_the_nodes_within_max_scale() {
    let p = lab();
    assert_eq!(plan_of(&p, "node-b", "workers", Some(3)).deploy.scale, 3);
    assert_eq!(
        plan_of(&p, "node-b", "workers", None).deploy.scale,
        1,
        "the node's"
    );
    assert_eq!(
        plan_of(&p, "node-a", "core", Some(3)).deploy.scale,
        1,
        "max_scale 1"
    );
    let secrets = Secrets::new();
    let req = Request {
        target: Target::Tag,
        tag: "t1",
        scale: None,
        force: false,
        secrets: &secrets,
    };
    let state = NodeState {
        history: vec![record("workers", 2, &[], String::new(), "")],
        ..NodeState::default()
    };
    assert_eq!(
        plan_in(&p, &state, &req, "node-b", "workers").deploy.scale,
        2,
        "as it runs"
    );
}

#[test]
fn a_first_deploy_stages_every_file_and_pulls_and_is_no_skip() {
    let p = lab();
    let plan = plan_of(&p, "node-b", "workers", Some(2));
    let files = plan.stage.as_ref().expect("nothing on the node yet");
    assert_eq!(files.len(), p.stacks["workers"].folder.files.len());
    assert!(files.iter().all(|f| f.travels.is_some()));
    assert!(plan.pins.is_none());
    assert!(matches!(plan.skip, Skip::No(_)));
    assert_eq!(plan.rounds.len(), 1, "workers do not roll");
    assert!(plan.rounds[0].health && plan.rounds[0].place.is_none());
    assert_eq!(
        plan.deploy.remove,
        ["backtest-worker-3", "training-worker-3"]
    );
}

/// The node runs exactly what the last deploy of these inputs left.
pub(crate) fn as_deployed(p: &Project, secrets: &Secrets) -> NodeState {
    let first = plan_of(p, "node-b", "workers", Some(1));
    let image = "10.77.0.1:5000/lab/ktrdr-backend:t1";
    let version = p.stacks["workers"].folder.version.clone();
    let folder = crate::plan::folder_changes::NodeFolder {
        in_use: version.clone(),
        versions: [version.clone()].into(),
        files: p.stacks["workers"]
            .folder
            .files
            .iter()
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .collect(),
    };
    let inputs =
        fingerprint::fingerprint(&first.deploy, &p.stacks["workers"].compose.text, secrets);
    let mut last = record(
        "workers",
        1,
        &["backtest-worker-1", "training-worker-1"],
        inputs.clone(),
        &version,
    );
    last.values = fingerprint::value_prints(&inputs, &first.deploy, secrets);
    NodeState {
        containers: first
            .deploy
            .services
            .iter()
            .map(|s| container("ktrdr-workers", s, image))
            .collect(),
        history: vec![last],
        folders: [("workers".to_string(), folder)].into(),
        compose: None,
    }
}

#[test]
fn a_redeploy_of_what_runs_is_a_skip_candidate_until_something_differs() {
    let p = lab();
    let secrets = Secrets::new();
    let mut req = Request {
        target: Target::Tag,
        tag: "t1",
        scale: Some(1),
        force: false,
        secrets: &secrets,
    };
    let state = as_deployed(&p, &secrets);
    let plan = plan_in(&p, &state, &req, "node-b", "workers");
    assert_eq!(
        plan.skip,
        Skip::Candidate(vec!["10.77.0.1:5000/lab/ktrdr-backend:t1".into()])
    );
    assert!(plan.stage.is_none(), "the node keeps this version");
    assert!(plan.deploy.recreate.is_empty() && plan.changed_files.is_empty());
    // The registry says the tag names the same image, the url answers.
    let same: BTreeMap<String, String> = [(
        "10.77.0.1:5000/lab/ktrdr-backend:t1".to_string(),
        "sha256:backtest-worker-1".to_string(),
    )]
    .into();
    let mut one_image = state.clone();
    for c in &mut one_image.containers {
        c.image_id = "sha256:backtest-worker-1".into();
    }
    let images = confirm_skip(&plan, &one_image, &same, true).expect("skipped");
    assert_eq!(images.len(), 2);
    assert!(
        confirm_skip(&plan, &one_image, &same, false).is_none(),
        "url down"
    );
    assert!(
        confirm_skip(&plan, &one_image, &BTreeMap::new(), true).is_none(),
        "tag moved"
    );

    let force = Request { force: true, ..req };
    assert!(matches!(
        plan_in(&p, &state, &force, "node-b", "workers").skip,
        Skip::No(_)
    ));
    req = Request { tag: "t2", ..force };
    req.force = false;
    assert!(
        matches!(
            plan_in(&p, &state, &req, "node-b", "workers").skip,
            Skip::No(_)
        ),
        "new tag"
    );
    let scale2 = Request {
        scale: Some(2),
        tag: "t1",
        ..req
    };
    assert!(matches!(
        plan_in(&p, &state, &scale2, "node-b", "workers").skip,
        Skip::No(_)
    ));
}

#[test]
fn an_orphan_is_removed_and_forbids_the_skip() {
    let p = lab();
    let secrets = Secrets::new();
    let req = Request {
        target: Target::Tag,
        tag: "t1",
        scale: Some(1),
        force: false,
        secrets: &secrets,
    };
    let mut state = as_deployed(&p, &secrets);
    state
        .containers
        .push(container("ktrdr-workers", "old-worker", "x"));
    let plan = plan_in(&p, &state, &req, "node-b", "workers");
    assert_eq!(plan.orphaned, ["old-worker"]);
    assert!(plan.deploy.remove.contains(&"old-worker".to_string()));
    assert!(matches!(plan.skip, Skip::No(_)));
    assert_eq!(plan.before.len(), 3);
}

#[test]
fn a_changed_file_recreates_the_services_that_read_it() {
    let p = lab();
    let secrets = Secrets::new();
    let req = Request {
        target: Target::Tag,
        tag: "t1",
        scale: Some(1),
        force: false,
        secrets: &secrets,
    };
    let mut state = as_deployed(&p, &secrets);
    let folder = state.folders.get_mut("workers").unwrap();
    folder.in_use = "older".into();
    folder.versions = ["older".to_string()].into();
    for sha in folder.files.values_mut() {
        *sha = "0".repeat(64);
    }
    let plan = plan_in(&p, &state, &req, "node-b", "workers");
    assert_eq!(
        plan.changed_files.len(),
        p.stacks["workers"].folder.files.len()
    );
    assert!(plan
        .stage
        .as_ref()
        .unwrap()
        .iter()
        .all(|f| f.travels.is_some()));
    assert_eq!(plan.deploy.back_version, "older");
    assert!(matches!(plan.skip, Skip::No(_)), "other files");
}

#[test]
fn a_rollback_by_history_pins_the_images_of_the_deploy_before_the_last() {
    let p = lab();
    let secrets = Secrets::new();
    let req = Request {
        target: Target::RollbackByHistory,
        tag: "history",
        scale: None,
        force: false,
        secrets: &secrets,
    };
    let mut older = record("workers", 1, &["backtest-worker-1"], String::new(), "v-old");
    older.tag = "t-old".into();
    let state = NodeState {
        history: vec![
            older,
            record("workers", 1, &["backtest-worker-1"], String::new(), "v-new"),
        ],
        folders: [(
            "workers".to_string(),
            crate::plan::folder_changes::NodeFolder {
                in_use: "v-new".into(),
                versions: ["v-old".to_string(), "v-new".to_string()].into(),
                files: BTreeMap::new(),
            },
        )]
        .into(),
        ..NodeState::default()
    };
    let plan = plan_in(&p, &state, &req, "node-b", "workers");
    assert_eq!(plan.deploy.env["IMAGE_TAG"], "t-old");
    assert_eq!(plan.deploy.version, "v-old", "the files of then");
    assert!(plan.stage.is_none(), "kept on the node");
    assert_eq!(
        plan.pins.unwrap(),
        [(
            "sha256:backtest-worker-1".to_string(),
            "10.77.0.1:5000/lab/ktrdr-backend@sha256:d-backtest-worker-1".to_string(),
            "10.77.0.1:5000/lab/ktrdr-backend:t-old".to_string()
        )]
    );
    assert!(matches!(plan.skip, Skip::No(_)));
    let none = NodeState::default();
    assert!(plan_node(&p, &select("node-b", "workers"), &none, &req).is_err());
}

#[test]
fn a_rolling_stack_has_one_round_a_replica_then_the_removal() {
    let p = lab();
    let mut stack = p.stacks["workers"].clone();
    stack.rolling = true;
    let plan = plan_of(&p, "node-b", "workers", Some(2));
    let rounds = rounds_of(&stack, &plan.deploy);
    let places: Vec<_> = rounds.iter().map(|r| (r.place, r.health)).collect();
    assert_eq!(
        places,
        [
            (Some((1, 3)), true),
            (Some((2, 3)), true),
            (Some((3, 3)), false)
        ]
    );
    assert_eq!(
        rounds[2].deploy.remove,
        ["backtest-worker-3", "training-worker-3"]
    );
}

/// The lab with backtest-worker-1 reading `worker.conf` of the folder.
fn lab_with_a_mounted_file() -> (tempfile::TempDir, Project) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "inventory",
        "stacks/core",
        "stacks/workers",
        "stacks/swarm-workers",
    ] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    let compose = dir.path().join("stacks/workers/compose.yml");
    let text = std::fs::read_to_string(&compose).unwrap().replacen(
        "    command: [\"/app/entry\", \"serve\", \"5003\"]\n",
        "    command: [\"/app/entry\", \"serve\", \"5003\"]\n    volumes: [\"./worker.conf:/etc/worker.conf:ro\"]\n",
        1,
    );
    std::fs::write(&compose, text).unwrap();
    std::fs::write(dir.path().join("stacks/workers/worker.conf"), "one\n").unwrap();
    let p = crate::inventory::load(&dir.path().join("inventory/lab.toml")).unwrap();
    (dir, p)
}

#[test]
fn a_service_that_reads_a_changed_file_is_recreated_only_if_it_runs() {
    let (_dir, p) = lab_with_a_mounted_file();
    let secrets = Secrets::new();
    let req = Request {
        target: Target::Tag,
        tag: "t1",
        scale: Some(1),
        force: false,
        secrets: &secrets,
    };
    // A first deploy creates it with the file: no second start.
    let first = plan_in(&p, &NodeState::default(), &req, "node-b", "workers");
    assert!(first
        .deploy
        .services
        .contains(&"backtest-worker-1".to_string()));
    assert!(
        first.deploy.recreate.is_empty(),
        "{:?}",
        first.deploy.recreate
    );
    // Running, with another content of the file in use: recreated.
    let mut state = as_deployed(&p, &secrets);
    let folder = state.folders.get_mut("workers").unwrap();
    folder.in_use = "older".into();
    folder.versions = ["older".to_string()].into();
    folder.files.insert("worker.conf".into(), "0".repeat(64));
    let plan = plan_in(&p, &state, &req, "node-b", "workers");
    assert_eq!(plan.deploy.recreate, ["backtest-worker-1"]);
}

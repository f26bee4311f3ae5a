//! Unit tests of what `plan` says (`plan_changes.rs`), on the planner's
//! own plans.

use super::*;
use crate::plan::node_plan::tests::{as_deployed, container, lab};
use crate::plan::node_plan::{plan_node, Request, Target};
use crate::plan::{SelectedNode, SelectedStack};

const IMAGE: &str = "10.77.0.1:5000/lab/ktrdr-backend";

fn plan(p: &Project, state: &NodeState, tag: &str, scale: Option<u32>) -> StackPlan {
    let secrets = Secrets::new();
    let selected = SelectedNode {
        node: "node-b".into(),
        stacks: vec![SelectedStack {
            stack: "workers".into(),
            services: None,
        }],
    };
    let req = Request {
        target: Target::Tag,
        tag,
        scale,
        force: false,
        secrets: &secrets,
    };
    plan_node(p, &selected, state, &req).unwrap().remove(0)
}

/// The node has every running image under digest `d-old`; the registry
/// names `d-new` for tag `t2` and `d-old` for `t1`.
fn answers(state: &NodeState) -> RegistryAnswers {
    let mut a = RegistryAnswers::default();
    for c in &state.containers {
        a.has
            .insert(c.image_id.clone(), vec![format!("{IMAGE}@sha256:d-old")]);
    }
    a.names
        .insert(format!("{IMAGE}:t1"), Some("sha256:d-old".into()));
    a.names
        .insert(format!("{IMAGE}:t2"), Some("sha256:d-new".into()));
    a
}

/// As a node has it: one image for the one reference both services run.
fn deployed(p: &Project) -> NodeState {
    let mut state = as_deployed(p, &Secrets::new());
    for c in &mut state.containers {
        c.image_id = "sha256:the-image".into();
    }
    for image in state.history[0].images.values_mut() {
        image.id = "sha256:the-image".into();
    }
    state
}

fn of(p: &Project, plan: &StackPlan, state: &NodeState, a: &RegistryAnswers) -> StackChanges {
    changes(p, "node-b", plan, state, Some(a), &Secrets::new())
}

#[test]
fn what_runs_as_deployed_with_the_same_digest_is_no_change() {
    let p = lab();
    let state = deployed(&p);
    let plan = plan(&p, &state, "t1", Some(1));
    let selected = SelectedNode {
        node: "node-b".into(),
        stacks: vec![SelectedStack {
            stack: "workers".into(),
            services: None,
        }],
    };
    let (refs, urls) = registry_questions(&p, &selected, "t1");
    assert_eq!(
        refs,
        [format!("{IMAGE}:t1")],
        "every replica runs one image"
    );
    assert!(urls.is_empty(), "workers have no health url");
    let c = of(&p, &plan, &state, &answers(&state));
    assert!(c.no_change, "{c:?}");
    assert!(c.images.is_empty() && c.recreated.is_empty());
    // The tag pushed again with new content: no longer "no change".
    let mut moved = answers(&state);
    moved
        .names
        .insert(format!("{IMAGE}:t1"), Some("sha256:d-moved".into()));
    let c = of(&p, &plan, &state, &moved);
    assert!(!c.no_change);
    assert_eq!(c.recreated, ["backtest-worker-1", "training-worker-1"]);
    assert_eq!(
        c.why.as_deref(),
        Some("the registry's tag names other images now")
    );
    // Without the registry's answers (a dry run) nothing is "no change".
    assert!(!changes(&p, "node-b", &plan, &state, None, &Secrets::new()).no_change);
}

#[test]
fn a_new_tag_shows_each_image_and_recreates_its_services() {
    let p = lab();
    let state = as_deployed(&p, &Secrets::new());
    let c = of(
        &p,
        &plan(&p, &state, "t2", Some(1)),
        &state,
        &answers(&state),
    );
    assert!(!c.no_change);
    assert_eq!(c.images.len(), 2);
    assert_eq!(
        c.images[0],
        ImageChange {
            service: "backtest-worker-1".into(),
            from: Some("ktrdr-backend:t1@sha256:d-old".into()),
            to: "ktrdr-backend:t2@sha256:d-new".into(),
        }
    );
    assert_eq!(c.recreated, ["backtest-worker-1", "training-worker-1"]);
    assert_eq!(c.values, Some(vec!["IMAGE_TAG".to_string()]));
    assert_eq!((c.scale_from, c.scale_to), (Some(1), 1));
    assert!(c.replicas_added.is_empty() && c.replicas_removed.is_empty());
    assert!(c.files == FileChanges::default());
}

#[test]
fn a_changed_env_value_is_named_never_shown_and_recreates_its_readers() {
    let mut p = lab();
    let state = as_deployed(&p, &Secrets::new());
    let stack = p.stacks.get_mut("workers").unwrap();
    let (name, _) = stack
        .env
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("the workers stack has env");
    stack
        .env
        .insert(name.clone(), "canary-value-of-plan".into());
    let c = of(
        &p,
        &plan(&p, &state, "t1", Some(1)),
        &state,
        &answers(&state),
    );
    assert!(!c.no_change);
    assert_eq!(c.values, Some(vec![name.clone()]));
    assert!(c.images.is_empty(), "same images");
    let text = serde_json::to_string(&c).unwrap();
    assert!(!text.contains("canary-value-of-plan"));
    let reads = |s: &str| {
        reads_any(
            &p.stacks["workers"].compose.document,
            s,
            std::slice::from_ref(&name),
        )
    };
    let expected: Vec<String> = ["backtest-worker-1", "training-worker-1"]
        .into_iter()
        .filter(|s| reads(s))
        .map(str::to_string)
        .collect();
    assert_eq!(c.recreated, expected);
}

#[test]
fn scale_three_to_one_lists_the_replicas_removed() {
    let p = lab();
    let mut state = as_deployed(&p, &Secrets::new());
    for s in [
        "backtest-worker-2",
        "backtest-worker-3",
        "training-worker-2",
        "training-worker-3",
    ] {
        state
            .containers
            .push(container("ktrdr-workers", s, &format!("{IMAGE}:t1")));
    }
    let three = plan(&p, &state, "t1", Some(1));
    assert_eq!(scale_that_ran(&p.stacks["workers"], &three.before), 3);
    let c = of(&p, &three, &state, &answers(&state));
    assert!(!c.no_change);
    assert_eq!((c.scale_from, c.scale_to), (Some(3), 1));
    assert_eq!(
        c.replicas_removed,
        [
            "backtest-worker-2",
            "backtest-worker-3",
            "training-worker-2",
            "training-worker-3"
        ]
    );
    assert!(c.recreated.is_empty(), "the others stay");
    // And back up: the replicas started, none recreated.
    let one = as_deployed(&p, &Secrets::new());
    let c = of(&p, &plan(&p, &one, "t1", Some(2)), &one, &answers(&one));
    assert_eq!(c.replicas_added, ["backtest-worker-2", "training-worker-2"]);
    assert!(c.recreated.is_empty());
}

#[test]
fn names_are_found_as_whole_words_in_a_services_definition() {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        "services:\n  a:\n    environment:\n      LEVEL: ${LOG_LEVEL:-info}\n  b:\n    environment: [LOG_LEVEL_X]\n",
    )
    .unwrap();
    let names = ["LOG_LEVEL".to_string()];
    assert!(reads_any(&doc, "a", &names));
    assert!(!reads_any(&doc, "b", &names));
    assert!(!reads_any(&doc, "missing", &names));
    assert_eq!(repo_of("10.77.0.1:5000/lab/x:t"), "10.77.0.1:5000/lab/x");
    assert_eq!(repo_of("10.77.0.1:5000/lab/x"), "10.77.0.1:5000/lab/x");
    assert_eq!(shown("r:5000/lab/x:t", None), "x:t@?");
}

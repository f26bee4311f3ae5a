//! Snapshots of every step builder (insta): what homectl writes in front
//! of each remote script (its `HC_*` inputs, quoted, and the data frames it
//! reads), for the lab's stacks. The script bodies are shown by name only:
//! they are tested by running them (see the tests beside each builder).

use super::deploy_steps::{self, Login};
use super::preflight_step::{preflight_step, PreflightInput, PreflightStack, LIB};
use super::Step;
use crate::plan::deploy_plan::{plan_stack, StackDeploy};
use crate::secrets::{SecretValue, Secrets};

/// Each script body, and the name shown in its place.
const BODIES: [(&str, &str); 11] = [
    (LIB, "<lib.sh>"),
    (include_str!("scripts/state.sh"), "<state.sh>"),
    (include_str!("scripts/stage.sh"), "<stage.sh>"),
    (include_str!("scripts/pull.sh"), "<pull.sh>"),
    (include_str!("scripts/hooks.sh"), "<hooks.sh>"),
    (include_str!("scripts/up.sh"), "<up.sh>"),
    (include_str!("scripts/health.sh"), "<health.sh>"),
    (include_str!("scripts/rollback.sh"), "<rollback.sh>"),
    (include_str!("scripts/record.sh"), "<record.sh>"),
    (include_str!("scripts/pin.sh"), "<pin.sh>"),
    (include_str!("scripts/verify.sh"), "<verify.sh>"),
];

fn shown(step: &Step) -> String {
    let mut text = step.to_string();
    for (body, name) in BODIES {
        text = text.replace(body.trim_end(), name);
    }
    text = text.replace(
        include_str!("scripts/preflight.sh").trim_end(),
        "<preflight.sh>",
    );
    text
}

fn lab() -> crate::inventory::Project {
    crate::inventory::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
    )
    .expect("the lab inventory loads")
}

fn plan(node: &str, stack: &str, selected: Option<&[&str]>, scale: u32) -> StackDeploy {
    let p = lab();
    let selected: Option<Vec<String>> = selected.map(|s| s.iter().map(|x| x.to_string()).collect());
    plan_stack(
        &p.inventory,
        &p.inventory.nodes[node],
        &p.stacks[stack],
        selected.as_deref(),
        "abc1234",
        scale,
    )
}

fn login() -> Login<'static> {
    Login {
        server: "10.77.0.1:5000",
        username: "lab-ci",
        password: SecretValue::new("not-shown".to_string()),
    }
}

#[test]
fn the_steps_of_a_core_deploy() {
    let deploy = plan("node-a", "core", None, 1);
    let secrets = Secrets::new();
    let steps = [
        deploy_steps::state_step(&["ktrdr-core".to_string()], &["core".to_string()]),
        deploy_steps::stage_step(
            &deploy,
            &[
                "- 0a1b 0 compose.yml".to_string(),
                "= 2c3d 1 conf/run.sh".to_string(),
            ],
            vec![b"services: {}\n".to_vec()],
        ),
        deploy_steps::with_compose(
            deploy_steps::pull_step(&deploy, &secrets, &login()),
            Some("docker compose"),
        ),
    ]
    .into_iter()
    .chain(deploy_steps::hook_steps(&deploy, &secrets))
    .chain([
        deploy_steps::up_step(&deploy, &secrets),
        deploy_steps::health_step(&deploy, Some("http://127.0.0.1:8000/health"), 60),
        deploy_steps::record_step("{\"kind\":\"deploy\"}"),
    ]);
    let text: Vec<String> = steps.map(|s| shown(&s)).collect();
    insta::assert_snapshot!(text.join("\n\n"));
}

#[test]
fn the_steps_of_a_service_deploy_at_scale_2_and_its_rollback() {
    let deploy = plan("node-b", "workers", Some(&["backtest-worker-2"]), 2);
    let secrets = Secrets::new();
    let steps = [
        deploy_steps::up_step(&deploy, &secrets),
        deploy_steps::rollback_step(
            &deploy,
            &secrets,
            "old1234",
            &[(
                "sha256:1".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend:old1234".to_string(),
            )],
        ),
        deploy_steps::pin_step(
            &deploy,
            &secrets,
            &login(),
            &[(
                "sha256:1".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend@sha256:2".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend:old1234".to_string(),
            )],
        ),
        deploy_steps::verify_step(
            "workers",
            &login(),
            &["10.77.0.1:5000/lab/ktrdr-backend:abc1234".to_string()],
            None,
        ),
    ];
    let text: Vec<String> = steps.iter().map(shown).collect();
    insta::assert_snapshot!(text.join("\n\n"));
}

#[test]
fn the_preflight_step() {
    let step = preflight_step(&PreflightInput {
        server: "10.77.0.1:5000",
        username: "lab-ci",
        password: SecretValue::new("not-shown".to_string()),
        image_refs: vec!["10.77.0.1:5000/lab/ktrdr-backend:abc1234".to_string()],
        stacks: vec![
            PreflightStack {
                project: "ktrdr-core".to_string(),
                compose_files: vec!["compose.yml".to_string()],
                files: Ok(vec![(
                    "compose.yml".to_string(),
                    b"services: {}\n".to_vec(),
                )]),
            },
            PreflightStack {
                project: "ktrdr-workers".to_string(),
                compose_files: vec!["compose.yml".to_string()],
                files: Err("the secrets did not resolve".to_string()),
            },
        ],
        env: [("TZ".to_string(), "Europe/Paris".to_string())].into(),
        probe: true,
        binds: vec![
            ("ktrdr-core".to_string(), "/srv/ktrdr/data".to_string()),
            ("ktrdr-core".to_string(), "/srv/it's here".to_string()),
        ],
        devices: vec![("ktrdr-core".to_string(), "/dev/dri".to_string())],
        networks: vec![("ktrdr-core".to_string(), "proxy".to_string())],
        volumes: Vec::new(),
        disk: true,
    });
    let text = shown(&step);
    assert!(!text.contains("not-shown"));
    insta::assert_snapshot!(text);
}

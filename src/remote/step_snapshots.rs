//! Snapshots of every step builder (insta): what homectl writes in front
//! of each remote script (its `HC_*` inputs, quoted, and the data frames it
//! reads), for the lab's stacks. The script bodies are shown by name only:
//! they are tested by running them (see the tests beside each builder).

use super::steps::lib::{with_compose, Login, LIB};
use super::steps::preflight::{self, PreflightInput, PreflightStack};
use super::steps::swarm_deploy::SwarmDeployInput;
use super::steps::{
    container_of, deployed, down, health, history, hooks, one_off, pin, pull, record, restart,
    rollback, stage, state, status, stray, swarm_deploy, swarm_deployed, swarm_down, swarm_info,
    swarm_logs, swarm_pull, swarm_restart, swarm_state, unlock, unstage, up, verify,
};
use super::Step;
use crate::plan::deploy_plan::{plan_stack, StackDeploy};
use crate::secrets::{SecretValue, Secrets};

/// Each script body, and the name shown in its place.
const BODIES: [(&str, &str); 32] = [
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
    (include_str!("scripts/status.sh"), "<status.sh>"),
    (include_str!("scripts/history.sh"), "<history.sh>"),
    (include_str!("scripts/down.sh"), "<down.sh>"),
    (include_str!("scripts/stray.sh"), "<stray.sh>"),
    (include_str!("scripts/unlock.sh"), "<unlock.sh>"),
    (include_str!("scripts/unstage.sh"), "<unstage.sh>"),
    (include_str!("scripts/restart.sh"), "<restart.sh>"),
    (include_str!("scripts/container_of.sh"), "<container_of.sh>"),
    (include_str!("scripts/deployed.sh"), "<deployed.sh>"),
    (include_str!("scripts/run.sh"), "<run.sh>"),
    (include_str!("scripts/one_off.sh"), "<one_off.sh>"),
    (include_str!("scripts/preflight.sh"), "<preflight.sh>"),
    (include_str!("scripts/frames.sh"), "<frames.sh>"),
    (include_str!("scripts/swarm_info.sh"), "<swarm_info.sh>"),
    (include_str!("scripts/swarm_pull.sh"), "<swarm_pull.sh>"),
    (include_str!("scripts/swarm_deploy.sh"), "<swarm_deploy.sh>"),
    (include_str!("scripts/swarm_state.sh"), "<swarm_state.sh>"),
    (include_str!("scripts/swarm_down.sh"), "<swarm_down.sh>"),
    (
        include_str!("scripts/swarm_restart.sh"),
        "<swarm_restart.sh>",
    ),
    (include_str!("scripts/swarm_logs.sh"), "<swarm_logs.sh>"),
    (
        include_str!("scripts/swarm_deployed.sh"),
        "<swarm_deployed.sh>",
    ),
];

fn shown(step: &Step) -> String {
    let mut text = step.to_string();
    for (body, name) in BODIES {
        text = text.replace(body.trim_end(), name);
    }
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
        state::step(&["ktrdr-core".to_string()], &["core".to_string()]),
        stage::step(
            &deploy,
            &[
                "- 0a1b 0 compose.yml".to_string(),
                "= 2c3d 1 conf/run.sh".to_string(),
            ],
            vec![b"services: {}\n".to_vec()],
        ),
        with_compose(
            pull::step(&deploy, &secrets, &login()),
            Some("docker compose"),
        ),
    ]
    .into_iter()
    .chain(hooks::steps(&deploy, &secrets))
    .chain([
        up::step(&deploy, &secrets),
        health::step(&deploy, Some("http://127.0.0.1:8000/health"), 60),
        record::step("{\"kind\":\"deploy\"}"),
    ]);
    let text: Vec<String> = steps.map(|s| shown(&s)).collect();
    insta::assert_snapshot!(text.join("\n\n"));
}

#[test]
fn the_steps_of_a_service_deploy_at_scale_2_and_its_rollback() {
    let deploy = plan("node-b", "workers", Some(&["backtest-worker-2"]), 2);
    let secrets = Secrets::new();
    let steps = [
        up::step(&deploy, &secrets),
        rollback::step(
            &deploy,
            &secrets,
            "old1234",
            &[(
                "sha256:1".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend:old1234".to_string(),
            )],
        ),
        pin::step(
            &deploy,
            &secrets,
            &login(),
            &[(
                "sha256:1".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend@sha256:2".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend:old1234".to_string(),
            )],
        ),
        verify::step(
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
    let step = preflight::step(&PreflightInput {
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

#[test]
fn the_steps_of_status_history_down_unlock_restart_exec_and_run() {
    let deploy = plan("node-a", "core", None, 1);
    let secrets = Secrets::new();
    let services = ["backend".to_string(), "db".to_string()];
    let steps = [
        status::step(),
        history::step(20),
        down::step("core", "ktrdr-core", &services),
        down::step("core", "ktrdr-core", &[]),
        stray::step("old", "ktrdr-old"),
        unlock::step(),
        unstage::step(&["core".to_string(), "workers".to_string()]),
        restart::step("core", "ktrdr-core", &services),
        container_of::step("ktrdr-core", "backend", 2),
        deployed::step("core"),
        one_off::exec_step(
            "3f2c1d0abc",
            &["sh".into(), "-c".into(), "echo 'a b'".into()],
        ),
        with_compose(
            one_off::run_step(
                "/var/lib/homectl",
                &deploy,
                &secrets,
                "backend",
                "ktrdr-core-run-1",
                &["env".into()],
            ),
            Some("docker compose"),
        ),
    ];
    let text: Vec<String> = steps.iter().map(shown).collect();
    insta::assert_snapshot!(text.join("\n\n"));
}

#[test]
fn the_steps_of_a_swarm_stack() {
    let reference = crate::secrets::SecretRef::Env("WORKER_TOKEN".into());
    let mut secrets = Secrets::new();
    secrets.insert(reference.clone(), SecretValue::new("not-shown".into()));
    let refs = [
        "10.77.0.1:5000/lab/ktrdr-backend:abc1234".to_string(),
        "10.77.0.1:5000/lab/ktrdr-backend@sha256:1".to_string(),
    ];
    let services = ["backtest-worker".to_string(), "training-worker".to_string()];
    let steps = [
        swarm_info::step(),
        swarm_pull::step("swarm-workers", &refs, &login()),
        swarm_state::step("ktrdr-swarm-workers"),
        swarm_deployed::step("ktrdr-swarm-workers"),
        swarm_deploy::step(&SwarmDeployInput {
            project: "ktrdr-swarm-workers",
            file: "services:\n  backtest-worker:\n    image: r/w@sha256:1\n",
            env: &[("TZ".to_string(), "Europe/Paris".to_string())].into(),
            secret_vars: &[("WORKER_TOKEN".to_string(), reference)].into(),
            secrets: &secrets,
            configs: &[("conf/worker.toml".to_string(), b"a = 1\n".to_vec())],
        }),
        swarm_restart::step("ktrdr-swarm-workers", &services),
        swarm_down::step("ktrdr-swarm-workers", true, 60),
        swarm_down::step("ktrdr-swarm-workers", false, 60),
    ];
    let mut text: Vec<String> = steps.iter().map(shown).collect();
    text.push(shown(&Step::new(
        "swarm logs",
        swarm_logs::command("ktrdr-swarm-workers", &services, true, Some(5)),
    )));
    let text = text.join("\n\n");
    assert!(!text.contains("not-shown"));
    insta::assert_snapshot!(text);
}

//! `scripts/up.sh`: puts the staged version in use, `up -d`, removes
//! replicas above the scale; and a rolling round's name.

use super::lib::compose_input;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::Step;
use crate::secrets::Secrets;

const UP: &str = include_str!("../scripts/up.sh");

pub fn step(deploy: &StackDeploy, secrets: &Secrets) -> Step {
    compose_input(deploy, secrets, &format!("up {}", deploy.stack))
        .list("HC_UP_ARGS", &deploy.up_args)
        .list("HC_RECREATE", &deploy.recreate)
        .list("HC_REMOVE", &deploy.remove)
        .var("HC_START", start_flag(deploy))
        .step(UP)
}

/// `HC_START`: "1" if `up -d` has anything to start. A selection of
/// services that are all above the scale starts nothing (they are only
/// removed): a bare `up -d --no-deps` would start, and recreate, the
/// whole stack instead.
pub(crate) fn start_flag(deploy: &StackDeploy) -> &'static str {
    if starts_something(deploy) {
        "1"
    } else {
        "0"
    }
}

fn starts_something(deploy: &StackDeploy) -> bool {
    deploy.up_args.is_empty() || !deploy.services.is_empty()
}

/// A rolling round's step, named by its place ("up workers 2/3").
pub fn round_step(mut step: Step, round: usize, rounds: usize) -> Step {
    step.name = format!("{} {round}/{rounds}", step.name);
    step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::steps::lib::with_compose;

    #[test]
    fn a_rolling_update_is_one_up_a_round_then_the_removal() {
        let project = crate::inventory::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
        )
        .unwrap();
        let mut stack = project.stacks["workers"].clone();
        assert!(!stack.rolling, "rolling is off unless stack.toml says so");
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            stack.dir.join("compose.yml"),
            dir.path().join("compose.yml"),
        )
        .unwrap();
        let text = std::fs::read_to_string(stack.dir.join("stack.toml")).unwrap();
        std::fs::write(
            dir.path().join("stack.toml"),
            format!("rolling = true\n{text}"),
        )
        .unwrap();
        let mut errors = Vec::new();
        stack = crate::inventory::stack_file::load_stack("workers", dir.path(), false, &mut errors)
            .unwrap_or_else(|| panic!("{errors:?}"));
        assert!(stack.rolling);
        let inv = &project.inventory;
        let node = &inv.nodes["node-b"];
        // Scale 3 to 2 of a selection: replica 3 is in the selection, above the scale.
        let deploy = crate::plan::deploy_plan::plan_stack(inv, node, &stack, None, "t", 2);
        let plans = crate::plan::rolling::round_plans(&deploy);
        let ups: Vec<(Vec<String>, Vec<String>, bool)> = plans
            .iter()
            .map(|p| (p.up_args.clone(), p.remove.clone(), starts_something(p)))
            .collect();
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ups,
            [
                (
                    words(&["--no-deps", "backtest-worker-1", "training-worker-1"]),
                    vec![],
                    true
                ),
                (
                    words(&["--no-deps", "backtest-worker-2", "training-worker-2"]),
                    vec![],
                    true
                ),
                (
                    words(&["--no-deps"]),
                    words(&["backtest-worker-3", "training-worker-3"]),
                    false
                ),
            ]
        );
        assert!(plans.iter().all(|p| p.profiles == ["--profile", "scale-2"]));
        let step = round_step(step(&plans[1], &Secrets::new()), 2, 3);
        assert_eq!(step.name, "up workers 2/3");
        assert!(step.script.contains(
            "HC_UP_ARGS='--no-deps\nbacktest-worker-2\ntraining-worker-2'\nHC_RECREATE=''\nHC_REMOVE=''\nHC_START=1\n"
        ), "{}", step.script);
    }

    /// The up step run by a real `sh` with a stand-in `docker` that records
    /// its arguments and the variables a user set in `[env]`.
    #[test]
    fn a_users_env_named_like_a_step_variable_reaches_compose_as_set_and_steers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&bin).unwrap();
        // Version v1 of the stack's folder, staged (as the stage step leaves it).
        let version = state.join("stacks/core/.homectl/versions/v1");
        std::fs::create_dir_all(&version).unwrap();
        std::fs::write(version.join("compose.yml"), "services: {}\n").unwrap();
        std::fs::write(version.join(".manifest"), "0a1b 0 compose.yml\n").unwrap();
        std::fs::write(version.join(".paths"), "compose.yml\n").unwrap();
        std::fs::write(version.join(".compose"), "compose.yml\n").unwrap();
        let record = dir.path().join("record");
        let docker = bin.join("docker");
        std::fs::write(
            &docker,
            format!(
                "#!/bin/sh\n{{ printf 'ARGS'; printf ' [%s]' \"$@\"; echo; \
                 for v in PROJECT DIR START REMOVE UP_ARGS PROFILES COMPOSE SERVICE; do \
                 eval \"printf '%s=%s\\n' $v \\\"\\${{$v-unset}}\\\"\"; done; }} >> {}\n",
                record.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&docker, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let user: Vec<(&str, &str)> = vec![
            ("PROJECT", "user's project"),
            ("DIR", "/user/dir"),
            ("START", "0"),
            ("REMOVE", "db"),
            ("UP_ARGS", "--remove-orphans"),
            ("PROFILES", "--profile evil"),
            ("COMPOSE", "rm -rf"),
            ("SERVICE", "x"),
        ];
        let deploy = StackDeploy {
            stack: "core".into(),
            project: "lab-core".into(),
            scale: 1,
            services: vec!["backend".into()],
            env: user
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            version: "v1".into(),
            compose_files: vec!["compose.yml".into()],
            ..Default::default()
        };
        let step = with_compose(step(&deploy, &Secrets::new()), Some("docker compose"));
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &step.script])
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOMECTL_STATE", &state)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let record = std::fs::read_to_string(&record).unwrap();
        // The step used homectl's own values...
        assert!(
            record.contains("ARGS [compose] [-p] [lab-core] [-f] [compose.yml] [up] [-d]\n"),
            "{record}"
        );
        // ...and put the staged folder in use.
        assert!(state.join("stacks/core/compose.yml").is_file());
        // ...and Compose saw the user's, exactly as set.
        for (key, value) in &user {
            assert!(
                record.contains(&format!("\n{key}={value}\n")),
                "{key}: {record}"
            );
        }
    }
}

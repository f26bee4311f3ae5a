//! The remote steps of a deploy, built from a `StackDeploy`. Pure text:
//! snapshot-tested, printed by `--dry-run`, run by the executor.

use super::preflight_step::LIB;
use super::step::{quote, Payload, Step};
use crate::plan::deploy_plan::StackDeploy;
use crate::secrets::{SecretValue, Secrets};

const STATE: &str = include_str!("scripts/state.sh");
const STAGE: &str = include_str!("scripts/stage.sh");
const PULL: &str = include_str!("scripts/pull.sh");
const HOOK: &str = include_str!("scripts/hooks.sh");
const UP: &str = include_str!("scripts/up.sh");
const HEALTH: &str = include_str!("scripts/health.sh");
const ROLLBACK: &str = include_str!("scripts/rollback.sh");
const RECORD: &str = include_str!("scripts/record.sh");
const PIN: &str = include_str!("scripts/pin.sh");
const VERIFY: &str = include_str!("scripts/verify.sh");

/// The registry login of a deploy.
pub struct Login<'a> {
    pub server: &'a str,
    pub username: &'a str,
    pub password: SecretValue,
}

/// What is running and the history, for the given compose projects, and
/// the node's Compose (see `with_compose`).
pub fn state_step(projects: &[String]) -> Step {
    Step::new(
        "state",
        format!("{LIB}HC_PROJECTS={}\n{STATE}", quote(&projects.join("\n"))),
    )
}

/// The node's Compose command as the state step found it (`COMPOSE ...`
/// line), if it found one.
pub fn compose_of_state(output: &str) -> Option<String> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("COMPOSE "))
        .map(str::trim)
        .filter(|c| *c == "docker compose" || *c == "docker-compose")
        .map(str::to_string)
}

/// A compose step told which Compose the node has, so that it does not
/// look again: finding v1 costs a Python start (about a second) per step.
pub fn with_compose(mut step: Step, compose: Option<&str>) -> Step {
    if let Some(compose) = compose {
        step.script = format!("HC_KNOWN_COMPOSE={}\n{}", quote(compose), step.script);
    }
    step
}

/// Stages the compose file as compose.yml.next (not yet in use).
pub fn stage_step(deploy: &StackDeploy, compose_text: &str) -> Step {
    Step::new(
        format!("stage {}", deploy.stack),
        format!("{}{STAGE}", dir_line(deploy)),
    )
    .with_data("HC_TEXT", Payload::Plain(compose_text.to_string()))
}

/// Registry login on a tmpfs and `pull` of the services to deploy.
pub fn pull_step(deploy: &StackDeploy, secrets: &Secrets, login: &Login) -> Step {
    let (prologue, mut step) = compose_prologue(deploy, secrets, &format!("pull {}", deploy.stack));
    step.script = format!(
        "{prologue}hc_data HC_PASSWORD\nHC_SERVER={} HC_USERNAME={} HC_SERVICES={} HC_IMAGE_REFS={} HC_PULL_REFS={}\n{PULL}",
        quote(login.server),
        quote(login.username),
        quote(&deploy.services.join(" ")),
        quote(&deploy.image_refs.join(" ")),
        quote(&deploy.pull_refs.as_deref().unwrap_or_default().join(" ")),
    );
    step.data.push((
        "HC_PASSWORD".into(),
        Payload::Secret(login.password.clone()),
    ));
    step
}

/// For a redeploy that looks like it changes nothing: pulls the image
/// references that run and prints what each names now (`REF ref id`).
pub fn verify_step(stack: &str, login: &Login, refs: &[String], url: Option<&str>) -> Step {
    let script = format!(
        "{LIB}hc_data HC_PASSWORD\nHC_SERVER={} HC_USERNAME={} HC_REFS={} HC_URL={}\n{VERIFY}",
        quote(login.server),
        quote(login.username),
        quote(&refs.join(" ")),
        quote(url.unwrap_or(""))
    );
    Step::new(format!("verify {stack}"), script)
        .with_data("HC_PASSWORD", Payload::Secret(login.password.clone()))
}

/// Whether the verify step found the stack's health URL answering (true
/// when the stack has none: the step then prints no `URL` line).
pub fn url_answers_in_verify(output: &str, url: Option<&str>) -> bool {
    url.is_none() || output.lines().any(|l| l.trim() == "URL ok")
}

/// The `REF reference image_id` lines of the verify step.
pub fn refs_of_verify(output: &str) -> std::collections::BTreeMap<String, String> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("REF "))
        .filter_map(|l| l.split_once(' '))
        .map(|(r, id)| (r.to_string(), id.trim().to_string()))
        .collect()
}

/// For a rollback: the previous images by id (pulled by digest if gone),
/// tagged as the references the compose file names. `pins`: (image id,
/// digest reference or "-", local reference).
pub fn pin_step(
    deploy: &StackDeploy,
    secrets: &Secrets,
    login: &Login,
    pins: &[(String, String, String)],
) -> Step {
    let (prologue, mut step) = compose_prologue(deploy, secrets, &format!("pin {}", deploy.stack));
    let triples: Vec<String> = pins
        .iter()
        .map(|(id, digest, local)| format!("{id} {digest} {local}"))
        .collect();
    step.script = format!(
        "{prologue}hc_data HC_PASSWORD\nHC_SERVER={} HC_USERNAME={} HC_PINS={}\n{PIN}",
        quote(login.server),
        quote(login.username),
        quote(&triples.join(" ")),
    );
    step.data.push((
        "HC_PASSWORD".into(),
        Payload::Secret(login.password.clone()),
    ));
    step
}

/// One `before_up` hook, as a one-off container of the staged stack.
pub fn hook_steps(deploy: &StackDeploy, secrets: &Secrets) -> Vec<Step> {
    deploy
        .hooks
        .iter()
        .map(|hook| {
            let (prologue, mut step) = compose_prologue(
                deploy,
                secrets,
                &format!("hook {} {}", deploy.stack, hook.service),
            );
            let args: Vec<String> = hook.command.iter().map(|a| quote(a)).collect();
            // A deploy of some services leaves the others alone: Compose v2's
            // `run` would otherwise recreate a dependency whose definition
            // changed (the db, for the backend's migration).
            let run_args = if deploy.up_args.is_empty() {
                ""
            } else {
                "--no-deps"
            };
            step.script = format!(
                "{prologue}HC_SERVICE={} HC_RUN_ARGS={run_args}\nset -- {}\n{HOOK}",
                quote(&hook.service),
                args.join(" ")
            );
            step
        })
        .collect()
}

/// Puts the staged file in use, `up -d`, removes replicas above the scale.
pub fn up_step(deploy: &StackDeploy, secrets: &Secrets) -> Step {
    let (prologue, mut step) = compose_prologue(deploy, secrets, &format!("up {}", deploy.stack));
    step.script = format!(
        "{prologue}HC_UP_ARGS={} HC_REMOVE={} HC_START={}\n{UP}",
        quote(&deploy.up_args.join(" ")),
        quote(&deploy.remove.join(" ")),
        starts_something(deploy) as u8,
    );
    step
}

/// The `up` of a rolling update (docs/stacks.md, "Rolling updates"), as
/// one plan a round: round k's services alone (`--no-deps`), nothing
/// removed; then, if replicas above the scale go, a last plan that only
/// removes them (after the rest are updated). Each is run with `up_step`,
/// and each round is waited for with `health_step` before the next.
pub fn rolling_rounds(deploy: &StackDeploy) -> Vec<StackDeploy> {
    let mut plans: Vec<StackDeploy> = crate::plan::rolling::rounds(&deploy.services)
        .into_iter()
        .map(|services| StackDeploy {
            up_args: std::iter::once("--no-deps".to_string())
                .chain(services.iter().cloned())
                .collect(),
            services,
            remove: Vec::new(),
            hooks: Vec::new(),
            ..deploy.clone()
        })
        .collect();
    if !deploy.remove.is_empty() {
        plans.push(StackDeploy {
            services: Vec::new(),
            up_args: vec!["--no-deps".to_string()],
            remove: deploy.remove.clone(),
            hooks: Vec::new(),
            ..deploy.clone()
        });
    }
    plans
}

/// A rolling round's step, named by its place ("up workers 2/3").
pub fn round_step(mut step: Step, round: usize, rounds: usize) -> Step {
    step.name = format!("{} {round}/{rounds}", step.name);
    step
}

/// Whether `up -d` has anything to start. A selection of services that
/// are all above the scale starts nothing (they are only removed): a bare
/// `up -d --no-deps` would start, and recreate, the whole stack instead.
fn starts_something(deploy: &StackDeploy) -> bool {
    deploy.up_args.is_empty() || !deploy.services.is_empty()
}

/// Waits for the deployed services (and the url), prints their images.
pub fn health_step(deploy: &StackDeploy, url: Option<&str>, timeout_secs: u64) -> Step {
    Step::new(
        format!("health {}", deploy.stack),
        format!(
            "{LIB}HC_PROJECT={} HC_WAIT={} HC_REPORT={} HC_URL={} HC_TIMEOUT={timeout_secs}\n{HEALTH}",
            quote(&deploy.project),
            quote(&deploy.services.join(" ")),
            quote(&deploy.services.join(" ")),
            quote(url.unwrap_or("")),
        ),
    )
}

/// Back to the previous compose file and images (by image id), at the
/// scale of `deploy` (the plan of what ran before): replicas above it go.
/// `retag`: (image id, reference at `rollback_tag`) per app image.
pub fn rollback_step(
    deploy: &StackDeploy,
    secrets: &Secrets,
    rollback_tag: &str,
    retag: &[(String, String)],
) -> Step {
    let (prologue, mut step) =
        compose_prologue(deploy, secrets, &format!("rollback {}", deploy.stack));
    let pairs: Vec<String> = retag.iter().map(|(id, r)| format!("{id} {r}")).collect();
    step.script = format!(
        "{prologue}export IMAGE_TAG={}\nHC_UP_ARGS={} HC_REMOVE={} HC_START={} HC_RETAG={}\n{ROLLBACK}",
        quote(rollback_tag),
        quote(&deploy.up_args.join(" ")),
        quote(&deploy.remove.join(" ")),
        starts_something(deploy) as u8,
        quote(&pairs.join("\n"))
    );
    step
}

/// Appends a history record (JSON, no secrets).
pub fn record_step(record_json: &str) -> Step {
    Step::new("record", RECORD).with_data("HC_RECORD", Payload::Plain(record_json.to_string()))
}

fn dir_line(deploy: &StackDeploy) -> String {
    format!(
        "HC_DIR=\"$HOMECTL_STATE/stacks/\"{}\n",
        quote(&deploy.stack)
    )
}

/// Variables, secrets (read from stdin, exported to compose only through
/// the environment), the project, and the node's Compose.
pub(crate) fn compose_prologue(
    deploy: &StackDeploy,
    secrets: &Secrets,
    name: &str,
) -> (String, Step) {
    let mut script = String::from(LIB);
    let mut step = Step::new(name, "");
    for (key, value) in &deploy.env {
        script.push_str(&format!("export {key}={}\n", quote(value)));
    }
    for (key, reference) in &deploy.secrets {
        script.push_str(&format!("hc_data {key}; export {key}\n"));
        let value = secrets
            .get(reference)
            .cloned()
            .unwrap_or_else(|| SecretValue::new(String::new()));
        step.data.push((key.clone(), Payload::Secret(value)));
    }
    script.push_str(&format!(
        "HC_PROJECT={} HC_PROFILES={}\n",
        quote(&deploy.project),
        quote(&deploy.profiles.join(" "))
    ));
    script.push_str(&dir_line(deploy));
    script.push_str("if [ -n \"${HC_KNOWN_COMPOSE:-}\" ]; then HC_COMPOSE=$HC_KNOWN_COMPOSE\nelse hc_find_compose || { echo \"neither 'docker compose' nor 'docker-compose' found on the node\"; exit 1; }\nfi\nhc_compose_command\n");
    (script, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// verify.sh run by a real `sh`, with stand-ins for docker and curl and
    /// lib.sh's login functions stubbed: its output for `URL`.
    fn verify_output(url: &str, curl_exit: i32) -> String {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, body: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
        };
        write(
            "docker",
            r#"case "$1 $2" in "image inspect") echo sha256:abc ;; esac; exit 0"#,
        );
        write("curl", &format!("exit {curl_exit}"));
        // lib.sh as it is, with its login functions then stubbed.
        let stubs = "hc_tmpfs_docker_config() { HC_DOCKER_CONFIG=$(mktemp -d); echo '{}' > \"$HC_DOCKER_CONFIG/config.json\"; }\n\
                     hc_login() { :; }\nhc_drop_docker_config() { rm -rf \"$HC_DOCKER_CONFIG\"; }\n";
        let script = format!(
            "{LIB}{stubs}HC_SERVER=s HC_USERNAME=u HC_PASSWORD=p HC_REFS=r:1 HC_URL={}\n{VERIFY}",
            quote(url)
        );
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &script])
            .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn the_verify_step_asks_the_health_url_once_when_the_stack_has_one() {
        let answering = verify_output("http://127.0.0.1:8000/health", 0);
        assert_eq!(
            refs_of_verify(&answering).get("r:1").map(String::as_str),
            Some("sha256:abc"),
            "{answering}"
        );
        assert!(
            url_answers_in_verify(&answering, Some("http://127.0.0.1:8000/health")),
            "{answering}"
        );
        let silent = verify_output("http://127.0.0.1:8000/health", 7);
        assert!(
            silent.contains("URL fail") && !url_answers_in_verify(&silent, Some("http://x")),
            "{silent}"
        );
        let none = verify_output("", 7);
        assert!(!none.contains("URL"), "{none}");
        assert!(url_answers_in_verify(&none, None));
        assert!(
            !url_answers_in_verify(&none, Some("http://x")),
            "a url with no answer line is no answer"
        );
    }

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
        stack = crate::inventory::stack_file::load_stack("workers", dir.path(), false).unwrap();
        assert!(stack.rolling);
        let inv = &project.inventory;
        let node = &inv.nodes["node-b"];
        // Scale 3 to 2 of a selection: replica 3 is in the selection, above the scale.
        let deploy = crate::plan::deploy_plan::plan_stack(inv, node, &stack, None, "t", 2);
        let plans = rolling_rounds(&deploy);
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
        let step = round_step(up_step(&plans[1], &Secrets::new()), 2, 3);
        assert_eq!(step.name, "up workers 2/3");
        assert!(step.script.contains(
            "HC_UP_ARGS='--no-deps backtest-worker-2 training-worker-2' HC_REMOVE='' HC_START=1"
        ));
    }

    #[test]
    fn the_state_step_tells_the_nodes_compose() {
        assert_eq!(
            compose_of_state("RUNNING a b c d e f\nCOMPOSE docker-compose\n").as_deref(),
            Some("docker-compose")
        );
        assert_eq!(
            compose_of_state("COMPOSE docker compose").as_deref(),
            Some("docker compose")
        );
        assert_eq!(compose_of_state("HISTORY {}\n"), None);
        // Only the two known commands: nothing else reaches a script.
        assert_eq!(compose_of_state("COMPOSE rm -rf /"), None);
    }

    #[test]
    fn a_known_compose_is_set_before_the_script() {
        let step = with_compose(Step::new("up", "echo $HC_COMPOSE"), Some("docker compose"));
        assert_eq!(
            step.script,
            "HC_KNOWN_COMPOSE='docker compose'\necho $HC_COMPOSE"
        );
        assert_eq!(with_compose(Step::new("up", "x"), None).script, "x");
    }

    /// The up step run by a real `sh` with a stand-in `docker` that records
    /// its arguments and the variables a user set in `[env]`.
    #[test]
    fn a_users_env_named_like_a_step_variable_reaches_compose_as_set_and_steers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(state.join("stacks/core")).unwrap();
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
            profiles: vec![],
            services: vec!["backend".into()],
            remove: vec![],
            up_args: vec![],
            hooks: vec![],
            image_refs: vec![],
            pull_refs: None,
            env: user
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            secrets: Default::default(),
        };
        let step = with_compose(up_step(&deploy, &Secrets::new()), Some("docker compose"));
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
        let compose_file = format!("{}/stacks/core/compose.yml", state.display());
        assert!(
            record.contains(&format!(
                "ARGS [compose] [-p] [lab-core] [-f] [{compose_file}] [up] [-d]\n"
            )),
            "{record}"
        );
        // ...and Compose saw the user's, exactly as set.
        for (key, value) in &user {
            assert!(
                record.contains(&format!("\n{key}={value}\n")),
                "{key}: {record}"
            );
        }
    }
}

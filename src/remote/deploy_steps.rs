//! The remote steps of a deploy, built from a `StackDeploy`. Pure text:
//! snapshot-tested (step_snapshots.rs), printed by `--dry-run`, run by the executor.

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
pub fn state_step(projects: &[String], stacks: &[String]) -> Step {
    Step::new(
        "state",
        format!(
            "{LIB}HC_PROJECTS={} HC_STACKS={}\n{STATE}",
            quote(&projects.join("\n")),
            quote(&stacks.join(" "))
        ),
    )
}

/// The node's Compose command as the state step found it (`COMPOSE ...`
/// line), if it found one.
pub fn compose_of_state(output: &str) -> Option<String> {
    crate::plan::node_state::compose_of_state(output)
}

/// A compose step told which Compose the node has, so that it does not
/// look again: finding v1 costs a Python start (about a second) per step.
pub fn with_compose(mut step: Step, compose: Option<&str>) -> Step {
    if let Some(compose) = compose {
        step.script = format!("HC_KNOWN_COMPOSE={}\n{}", quote(compose), step.script);
    }
    step
}

/// Stages the stack folder's version beside the one in use (not yet in
/// use). `plan`: the stage plan's lines; `contents`: the files that travel,
/// in the plan's order (sent base64, so any byte travels).
pub fn stage_step(deploy: &StackDeploy, plan: &[String], contents: Vec<Vec<u8>>) -> Step {
    use base64::Engine;
    let mut step = Step::new(
        format!("stage {}", deploy.stack),
        format!(
            "{}HC_VERSION={} HC_INUSE={} HC_COMPOSE_FILES={}\nHC_PLAN={}\n{STAGE}",
            dir_line(deploy),
            quote(&deploy.version),
            quote(&deploy.back_version),
            quote(&deploy.compose_files.join(" ")),
            quote(&plan.join("\n")),
        ),
    );
    for content in contents {
        step = step.with_data(
            "hc_b64",
            Payload::Plain(base64::engine::general_purpose::STANDARD.encode(content)),
        );
    }
    step
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
        "{prologue}HC_UP_ARGS={} HC_RECREATE={} HC_REMOVE={} HC_START={}\n{UP}",
        quote(&deploy.up_args.join(" ")),
        quote(&deploy.recreate.join(" ")),
        quote(&deploy.remove.join(" ")),
        starts_something(deploy) as u8,
    );
    step
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
        "{prologue}export IMAGE_TAG={}\nHC_BACK={} HC_RECREATE={} HC_UP_ARGS={} HC_REMOVE={} HC_START={} HC_RETAG={}\n{ROLLBACK}",
        quote(rollback_tag),
        quote(&deploy.back_version),
        quote(&deploy.recreate.join(" ")),
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
        "HC_PROJECT={} HC_PROFILES={} HC_VERSION={}\n",
        quote(&deploy.project),
        quote(&deploy.profiles.join(" ")),
        quote(&deploy.version)
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
        let step = round_step(up_step(&plans[1], &Secrets::new()), 2, 3);
        assert_eq!(step.name, "up workers 2/3");
        assert!(step.script.contains(
            "HC_UP_ARGS='--no-deps backtest-worker-2 training-worker-2' HC_RECREATE='' HC_REMOVE='' HC_START=1"
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
            version: "v1".into(),
            compose_files: vec!["compose.yml".into()],
            back_version: String::new(),
            recreate: vec![],
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

/// The stage step and lib.sh's hc_put_version run by a real `sh` on a
/// folder: a version staged from data frames and from the version in use,
/// put in use, then replaced, and rolled back, never touching a file
/// homectl did not ship.
#[cfg(test)]
mod folder_tests {
    use super::*;
    use crate::inventory::stack_folder::read_folder;
    use crate::plan::folder_changes::{parse_node_folders, stage_plan, NodeFolder};

    /// Runs `script` in `sh` with HOMECTL_STATE set and `hc_data` reading
    /// the step's frames from files (the holder does it from stdin).
    fn run(state: &std::path::Path, step: &Step) -> String {
        let frames = tempfile::tempdir().unwrap();
        for (i, (_, payload)) in step.data.iter().enumerate() {
            let Payload::Plain(text) = payload else {
                panic!("no secret here")
            };
            std::fs::write(frames.path().join(i.to_string()), text).unwrap();
        }
        let stub = format!(
            "hc_n=0\nhc_data() {{ eval \"$1=\\$(cat {}/$hc_n)\"; hc_n=$((hc_n + 1)); }}\n",
            frames.path().display()
        );
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &format!("{stub}{LIB}{}", step.script)])
            .env("HOMECTL_STATE", state)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        text
    }

    fn deploy_of(folder: &crate::inventory::stack_folder::StackFolder, back: &str) -> StackDeploy {
        StackDeploy {
            stack: "web".into(),
            project: "lab-web".into(),
            version: folder.version.clone(),
            compose_files: vec!["compose.yml".into()],
            back_version: back.into(),
            ..Default::default()
        }
    }

    fn stage(
        state: &std::path::Path,
        local: &std::path::Path,
        node: &NodeFolder,
    ) -> (StackDeploy, usize) {
        let folder = read_folder(local).unwrap();
        let deploy = deploy_of(&folder, &node.in_use);
        let plan = stage_plan(&folder, node).expect("a new version");
        let mut contents = Vec::new();
        for f in &plan {
            if let Some(p) = &f.travels {
                contents.push(std::fs::read(local.join(p)).unwrap());
            }
        }
        let sent = contents.len();
        let lines: Vec<String> = plan.iter().map(|f| f.line.clone()).collect();
        run(state, &stage_step(&deploy, &lines, contents));
        (deploy, sent)
    }

    fn put(state: &std::path::Path, old: &str, new: &str) {
        let step = Step::new(
            "put",
            format!(
                "hc_put_version \"$HOMECTL_STATE/stacks/web\" {} {}",
                quote(old),
                quote(new)
            ),
        );
        run(state, &step);
    }

    fn node_state(state: &std::path::Path) -> NodeFolder {
        let step = state_step(&[], &["web".to_string()]);
        let out = run(
            state,
            &Step::new("state", step.script.replace("docker", "true")),
        );
        parse_node_folders(&out).remove("web").unwrap_or_default()
    }

    #[test]
    fn a_record_after_a_line_cut_short_is_a_line_of_its_own() {
        let state = tempfile::tempdir().unwrap();
        let history = state.path().join("history.jsonl");
        std::fs::write(&history, "{\"a\":1}\n{\"cut\":").unwrap();
        run(state.path(), &record_step("{\"b\":2}"));
        assert_eq!(
            std::fs::read_to_string(&history).unwrap(),
            "{\"a\":1}\n{\"cut\":\n{\"b\":2}\n"
        );
        run(state.path(), &record_step("{\"c\":3}"));
        assert!(std::fs::read_to_string(&history)
            .unwrap()
            .ends_with("{\"b\":2}\n{\"c\":3}\n"));
    }

    #[test]
    fn a_folder_travels_once_changes_in_place_and_rolls_back() {
        let local = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let write = |p: &str, text: &[u8]| {
            let path = local.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("compose.yml", b"services: {}\n");
        write("conf/index.html", b"one\n");
        write("bin/blob", &[0, 159, 146, 150, 255, b'\n']);
        write("with space.txt", b"x");
        write("stack.toml", b"");

        let (first, sent) = stage(state.path(), local.path(), &NodeFolder::default());
        assert_eq!(sent, 4);
        put(state.path(), "", &first.version);
        let live = state.path().join("stacks/web");
        assert_eq!(
            std::fs::read(live.join("conf/index.html")).unwrap(),
            b"one\n"
        );
        assert_eq!(
            std::fs::read(live.join("bin/blob")).unwrap(),
            [0, 159, 146, 150, 255, b'\n']
        );
        assert!(live.join("with space.txt").is_file());
        assert!(!live.join("stack.toml").exists());
        // What a container writes is the stack's own.
        std::fs::create_dir_all(live.join("data")).unwrap();
        std::fs::write(live.join("data/db"), "kept").unwrap();

        // One file changes, one goes: only the changed one travels.
        write("conf/index.html", b"two\n");
        std::fs::remove_file(local.path().join("with space.txt")).unwrap();
        let on_node = node_state(state.path());
        assert_eq!(on_node.in_use, first.version);
        let (second, sent) = stage(state.path(), local.path(), &on_node);
        assert_eq!(sent, 1, "only conf/index.html travels");
        put(state.path(), &first.version, &second.version);
        assert_eq!(
            std::fs::read(live.join("conf/index.html")).unwrap(),
            b"two\n"
        );
        assert!(!live.join("with space.txt").exists());
        assert_eq!(std::fs::read(live.join("data/db")).unwrap(), b"kept");

        // Back to the first version.
        put(state.path(), &second.version, &first.version);
        assert_eq!(
            std::fs::read(live.join("conf/index.html")).unwrap(),
            b"one\n"
        );
        assert!(live.join("with space.txt").is_file());
        assert_eq!(std::fs::read(live.join("data/db")).unwrap(), b"kept");
        assert_eq!(node_state(state.path()).versions.len(), 2);
    }
}

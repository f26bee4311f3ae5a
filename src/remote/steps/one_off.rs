//! `scripts/one_off.sh` (and `run.sh`): the remote side of a one-off
//! command in a stack's container: `exec` in the running container of a
//! service, `run` in a new container of it (docs/operations.md, "A command
//! in a container").
//!
//! The command's own script does not run in the holder (whose relay joins
//! stdout and stderr into lines): it runs in a channel of its own (see
//! `execution/one_off.rs`), which reads its code and then its data frames
//! (the secrets) from stdin, so stdout, stderr and the exit code are the
//! command's, byte for byte. `scripts/one_off.sh` runs the command; for
//! `run`, `scripts/run.sh` in front of it sets up the one-off container.

use super::lib::compose_input;
use super::StepInput;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::{quote, Step};
use crate::remote::FRAMES;
use crate::secrets::Secrets;

const ONE_OFF: &str = include_str!("../scripts/one_off.sh");
const RUN: &str = include_str!("../scripts/run.sh");

/// `docker exec` in a container, without a terminal, for the channel.
pub fn exec_step(container: &str, command: &[String]) -> Step {
    StepInput::new("exec")
        .var("HC_CONTAINER", container)
        .code("export HC_CONTAINER\n")
        .var("HC_ONE_OFF", "docker exec \"$HC_CONTAINER\" \"$@\"")
        .var("HC_CLEANUP", "")
        .args(command)
        .step(ONE_OFF)
}

/// The remote command line of `exec -it` (run under a terminal by `ssh
/// -tt`): names and the user's command only, no secret.
pub fn exec_tty_command(container: &str, command: &[String]) -> String {
    format!(
        "exec docker exec -it {} {}",
        quote(container),
        quoted(command)
    )
}

/// A one-off container of `service` with the stack's environment and
/// secrets (data frames), the compose file in use, removed after.
pub fn run_step(
    state_dir: &str,
    deploy: &StackDeploy,
    secrets: &Secrets,
    service: &str,
    name: &str,
    command: &[String],
) -> Step {
    let mut step = compose_input(deploy, secrets, &format!("run {service}"))
        .var("HC_SERVICE", service)
        .var("HC_NAME", name)
        .args(command)
        .step(&format!("{RUN}{ONE_OFF}"));
    step.script = format!("HOMECTL_STATE={}\n{}", quote(state_dir), step.script);
    step
}

/// What a one-off channel reads first: its code, length-prefixed (the
/// holder's bootstrap reads the same), the frame functions in front.
pub fn channel_code(step: &Step) -> String {
    let code = format!("{FRAMES}{}", step.script);
    format!("{}\n{code}", code.len())
}

fn quoted(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{SecretRef, SecretValue};
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// A folder with a stand-in `docker` that prints its arguments (one a
    /// line, in brackets) and the variable S, then exits with $DOCKER_RC.
    fn fake_docker() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("docker");
        std::fs::write(
            &docker,
            "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\nprintf 'S=%s\\n' \"${S-unset}\"\necho to-stderr >&2\nexit \"${DOCKER_RC:-0}\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&docker, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        dir
    }

    /// Runs a step the way the one-off channel does: `sh -c BOOTSTRAP`,
    /// the code and the data frames on stdin.
    fn run_channel(step: &Step, bin: &std::path::Path, rc: i32) -> std::process::Output {
        // A stack's folder as a deploy leaves it (docs/stacks.md, "What travels").
        std::fs::create_dir_all(bin.join("stacks/core")).unwrap();
        let mut child = Command::new("/bin/sh")
            .args(["-c", crate::execution::ONE_OFF_BOOTSTRAP, "homectl-one-off"])
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("DOCKER_RC", rc.to_string())
            .env("HOMECTL_STATE", bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(channel_code(step).as_bytes()).unwrap();
        stdin.write_all(&step.data_frames()).unwrap();
        let out = child.wait_with_output();
        drop(stdin);
        out.unwrap()
    }

    #[test]
    fn exec_passes_the_command_as_data_and_its_exit_code_through() {
        let bin = fake_docker();
        let command: Vec<String> = ["sh", "-c", "echo $(id) 'x'; exit 7", "a b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = run_channel(&exec_step("abc123", &command), bin.path(), 7);
        assert_eq!(out.status.code(), Some(7));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "[exec]\n[abc123]\n[sh]\n[-c]\n[echo $(id) 'x'; exit 7]\n[a b]\nS=unset\n"
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "to-stderr\n");
    }

    #[test]
    fn run_sends_secrets_as_data_frames_into_the_environment_only() {
        let bin = fake_docker();
        let reference = SecretRef::parse("env://S").unwrap();
        let secrets: Secrets = [(reference.clone(), SecretValue::new("hunter2 $(x)".into()))]
            .into_iter()
            .collect();
        let deploy = StackDeploy {
            stack: "core".into(),
            project: "lab-core".into(),
            scale: 1,
            services: vec!["backend".into()],
            env: [("HOMECTL_NODE".to_string(), "node-a".to_string())].into(),
            secrets: [("S".to_string(), reference)].into(),
            ..Default::default()
        };
        let step = crate::remote::steps::lib::with_compose(
            run_step(
                &bin.path().display().to_string(),
                &deploy,
                &secrets,
                "backend",
                "hc-run-1",
                &["env".into()],
            ),
            Some("docker compose"),
        );
        assert!(!step.script.contains("hunter2"), "a value in the script");
        assert!(step.to_string().contains("S = ***"));
        let out = run_channel(&step, bin.path(), 3);
        assert_eq!(out.status.code(), Some(3));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with(
                "[compose]\n[-p]\n[lab-core]\n[-f]\n[compose.yml]\n[run]\n[--rm]\n[-T]\n[--no-deps]\n[--name]\n[hc-run-1]\n[backend]\n[env]\n"
            ),
            "{stdout}"
        );
        assert!(stdout.ends_with("S=hunter2 $(x)\n"), "{stdout}");
    }

    #[test]
    fn the_tty_command_quotes_the_users_words() {
        assert_eq!(
            exec_tty_command("abc", &["sh".into(), "-c".into(), "a b".into()]),
            "exec docker exec -it abc sh -c 'a b'"
        );
    }
}

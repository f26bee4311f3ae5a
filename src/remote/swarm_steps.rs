//! The remote steps of a swarm stack's deploy (docs/swarm.md): each node's
//! place in its Swarm, the pull on each node, `docker stack deploy` and
//! the state of the stack's services on the manager. Pure text.

use std::collections::BTreeMap;

use super::step::{quote, Payload, Step};
use super::steps::lib::Login;
use super::steps::lib::LIB;
use crate::secrets::{SecretRef, SecretValue, Secrets};

const INFO: &str = include_str!("scripts/swarm_info.sh");
const PULL: &str = include_str!("scripts/swarm_pull.sh");
const DEPLOY: &str = include_str!("scripts/swarm_deploy.sh");
const STATE: &str = include_str!("scripts/swarm_state.sh");
const DOWN: &str = include_str!("scripts/swarm_down.sh");
const RESTART: &str = include_str!("scripts/swarm_restart.sh");

/// `SWARM state control node_id`, and on a manager its `MEMBER` lines.
pub fn info_step() -> Step {
    Step::new("swarm info", INFO)
}

/// Login on a tmpfs and pull of `refs` (by tag or by digest).
pub fn pull_step(stack: &str, refs: &[String], login: &Login) -> Step {
    Step::new(
        format!("pull {stack}"),
        format!(
            "{LIB}hc_data HC_PASSWORD\nHC_SERVER={} HC_USERNAME={} HC_REFS={}\n{PULL}",
            quote(login.server),
            quote(login.username),
            quote(&refs.join(" "))
        ),
    )
    .with_data("HC_PASSWORD", Payload::Secret(login.password.clone()))
}

/// The `DIGEST ref repo@digest` lines of the pull step: ref → pinned.
pub fn digests_of_pull(output: &str) -> BTreeMap<String, String> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("DIGEST "))
        .filter_map(|l| l.split_once(' '))
        .map(|(r, d)| (r.to_string(), d.trim().to_string()))
        .collect()
}

/// `docker stack deploy` of `file` as `project`, with the plain `env`
/// exported and each secret read from a data frame and exported.
pub fn deploy_step(
    project: &str,
    file: &str,
    env: &BTreeMap<String, String>,
    secret_vars: &BTreeMap<String, SecretRef>,
    secrets: &Secrets,
    configs: &[(String, Vec<u8>)],
) -> Step {
    let mut script = String::from(LIB);
    let mut step = Step::new(format!("stack deploy {project}"), "");
    for (key, value) in env {
        script.push_str(&format!("export {key}={}\n", quote(value)));
    }
    for (key, reference) in secret_vars {
        script.push_str(&format!("hc_data {key}; export {key}\n"));
        let value = secrets
            .get(reference)
            .cloned()
            .unwrap_or_else(|| SecretValue::new(String::new()));
        step.data.push((key.clone(), Payload::Secret(value)));
    }
    script.push_str(&format!(
        "HC_PROJECT={} HC_CONFIGS={}\n{DEPLOY}",
        quote(project),
        configs.len()
    ));
    step.script = script;
    step.data
        .push(("HC_COMPOSE_TEXT".into(), Payload::Plain(file.to_string())));
    for (path, content) in configs {
        use base64::Engine;
        step.data
            .push(("hc_path".into(), Payload::Plain(path.clone())));
        step.data.push((
            "hc_b64".into(),
            Payload::Plain(base64::engine::general_purpose::STANDARD.encode(content)),
        ));
    }
    step
}

/// The stack's services and tasks (`SVC`, `TASK`, `ERR` lines).
pub fn state_step(project: &str) -> Step {
    Step::new(
        format!("swarm state {project}"),
        format!("HC_PROJECT={}\n{STATE}", quote(project)),
    )
}

/// `docker stack rm` (on the manager: `remove`) and the wait until no
/// container of the stack is left on the node.
pub fn down_step(project: &str, remove: bool, wait_secs: u64) -> Step {
    Step::new(
        format!("stack rm {project}"),
        format!(
            "HC_PROJECT={} HC_REMOVE={} HC_WAIT={wait_secs}\n{DOWN}",
            quote(project),
            if remove { 1 } else { 0 }
        ),
    )
}

/// `docker service update --force` of the stack's `services`.
pub fn restart_step(project: &str, services: &[String]) -> Step {
    Step::new(
        format!("service update --force {project}"),
        format!(
            "HC_PROJECT={} HC_SERVICES={}\n{RESTART}",
            quote(project),
            quote(&services.join(" "))
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_in_data_frames_and_dry_run_shows_stars() {
        let reference = SecretRef::Env("K".into());
        let mut secrets = Secrets::new();
        secrets.insert(reference.clone(), SecretValue::new("s3cr3t-value".into()));
        let step = deploy_step(
            "ktrdr-w",
            "services: {}\n",
            &BTreeMap::from([("A".to_string(), "it's".to_string())]),
            &BTreeMap::from([("API_KEY".to_string(), reference)]),
            &secrets,
            &[],
        );
        assert!(!step.script.contains("s3cr3t-value"));
        assert!(step.script.contains("hc_data API_KEY; export API_KEY"));
        assert!(step
            .script
            .contains(&format!("export A={}\n", quote("it's"))));
        assert!(!step.to_string().contains("s3cr3t-value"));
        let deploy = step
            .script
            .lines()
            .find(|l| l.starts_with("docker stack deploy"))
            .expect("the deploy command");
        assert!(deploy.contains("--resolve-image never"), "{deploy}");
        assert!(!deploy.contains("registry-auth"), "{deploy}");
    }

    #[test]
    fn digests_are_read_per_reference() {
        let out = "noise\nDIGEST r:5000/a:t r:5000/a@sha256:1\nDIGEST r/b@sha256:2 r/b@sha256:2\n";
        let d = digests_of_pull(out);
        assert_eq!(d["r:5000/a:t"], "r:5000/a@sha256:1");
        assert_eq!(d.len(), 2);
    }
}

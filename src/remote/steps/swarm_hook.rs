//! `scripts/swarm_hook.sh`: one `before_up` hook of a swarm stack, a
//! one-off container on the manager (docs/swarm.md, "Hooks"). Env and
//! secrets as for the stack deploy; the hook's file and the files its
//! `configs:` read are data frames; the networks it joins are checked (and
//! a missing stack network created) by quoted lines homectl writes.

use std::collections::BTreeMap;

use super::lib::LIB;
use super::StepInput;
use crate::plan::swarm_hooks::SwarmHook;
use crate::remote::step::{quote, Step};
use crate::secrets::{SecretRef, Secrets};

const HOOK: &str = include_str!("../scripts/swarm_hook.sh");

const FIND_COMPOSE: &str = "hc_find_compose || { echo \"the manager has neither 'docker compose' nor 'docker-compose', which run a swarm stack's hooks\"; exit 1; }\nhc_compose_command\n";

/// What the hook step is given besides the hook.
pub struct SwarmHookInput<'a> {
    pub project: &'a str,
    pub env: &'a BTreeMap<String, String>,
    pub secret_vars: &'a BTreeMap<String, SecretRef>,
    pub secrets: &'a Secrets,
    /// The files `configs:` entries read: (path in the stack, bytes).
    pub configs: &'a [(String, Vec<u8>)],
}

pub fn step(hook: &SwarmHook, input: &SwarmHookInput) -> Step {
    let mut networks = String::from("hc_hook_networks() {\n");
    for network in &hook.networks {
        let args: Vec<String> = std::iter::once(&network.name)
            .chain(network.create.iter().flatten())
            .map(|a| quote(a))
            .collect();
        networks.push_str(&format!("    hc_hook_network {}\n", args.join(" ")));
    }
    networks.push_str("    :\n}\n");
    StepInput::new(format!("hook {} {}", input.project, hook.service))
        .code(LIB)
        .swarm_env(input.env, input.secret_vars, input.secrets)
        .var("HC_PROJECT", input.project)
        .var("HC_SERVICE", &hook.service)
        .var("HC_CONFIGS", &input.configs.len().to_string())
        .data("HC_COMPOSE_TEXT", hook.file.clone())
        .config_frames(input.configs)
        .code(&networks)
        .code(FIND_COMPOSE)
        .args(&hook.command)
        .step(HOOK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::swarm_hooks::HookNetwork;
    use crate::secrets::SecretValue;

    #[test]
    fn the_hook_runs_compose_on_its_file_with_quoted_networks_and_no_secret_in_the_text() {
        let reference = SecretRef::Env("K".into());
        let mut secrets = Secrets::new();
        secrets.insert(reference.clone(), SecretValue::new("s3cr3t-value".into()));
        let hook = SwarmHook {
            service: "w".into(),
            command: vec!["sh".into(), "-c".into(), "echo $(id) 'x'".into()],
            file: "services: {}\n".into(),
            networks: vec![
                HookNetwork {
                    name: "p_default".into(),
                    create: Some(vec!["--label".into(), "a=it's".into()]),
                },
                HookNetwork {
                    name: "shared".into(),
                    create: None,
                },
            ],
        };
        let step = step(
            &hook,
            &SwarmHookInput {
                project: "p",
                env: &BTreeMap::from([("A".to_string(), "1".to_string())]),
                secret_vars: &BTreeMap::from([("API_KEY".to_string(), reference)]),
                secrets: &secrets,
                configs: &[("w.conf".to_string(), b"x=1\n".to_vec())],
            },
        );
        assert!(!step.to_string().contains("s3cr3t-value"));
        assert!(step.script.contains("hc_data API_KEY; export API_KEY"));
        assert!(step.script.contains(&format!(
            "    hc_hook_network p_default --label {}\n    hc_hook_network shared\n",
            quote("a=it's")
        )));
        assert!(step
            .script
            .contains(&format!("set -- sh -c {}\n", quote("echo $(id) 'x'"))));
        let vars: Vec<&str> = step.data.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(vars, ["API_KEY", "HC_COMPOSE_TEXT", "hc_path", "hc_b64"]);
        let run = step
            .script
            .lines()
            .find(|l| l.contains(" run --rm"))
            .expect("the compose run");
        assert!(
            run.contains("-p \"$HC_PROJECT\"") && run.contains("--no-deps"),
            "{run}"
        );
    }
}

//! `scripts/swarm_deploy.sh`: `docker stack deploy` of a swarm stack on
//! its manager (docs/swarm.md, "A deploy"). The plain variables are
//! exported, each secret is read from a data frame and exported; the file
//! and the files its `configs:` read are data frames. Its output is not
//! read: a failure is its exit code.

use std::collections::BTreeMap;

use base64::Engine;

use super::lib::LIB;
use super::StepInput;
use crate::remote::step::Step;
use crate::secrets::{SecretRef, SecretValue, Secrets};

const DEPLOY: &str = include_str!("../scripts/swarm_deploy.sh");

/// What the deploy step is given.
pub struct SwarmDeployInput<'a> {
    pub project: &'a str,
    /// The compose file to deploy, every image pinned by digest.
    pub file: &'a str,
    pub env: &'a BTreeMap<String, String>,
    /// Variable → the secret it holds.
    pub secret_vars: &'a BTreeMap<String, SecretRef>,
    pub secrets: &'a Secrets,
    /// The files `configs:` entries read: (path in the stack, bytes).
    pub configs: &'a [(String, Vec<u8>)],
}

pub fn step(input: &SwarmDeployInput) -> Step {
    StepInput::new(format!("stack deploy {}", input.project))
        .code(LIB)
        .swarm_env(input.env, input.secret_vars, input.secrets)
        .var("HC_PROJECT", input.project)
        .var("HC_CONFIGS", &input.configs.len().to_string())
        .data("HC_COMPOSE_TEXT", input.file.to_string())
        .config_frames(input.configs)
        .step(DEPLOY)
}

impl StepInput {
    /// The stack's env exported, each secret read from a data frame and
    /// exported: what `docker stack deploy` and a hook's Compose
    /// interpolate the file with.
    pub(super) fn swarm_env(
        mut self,
        env: &BTreeMap<String, String>,
        secret_vars: &BTreeMap<String, SecretRef>,
        secrets: &Secrets,
    ) -> Self {
        for (key, value) in env {
            self = self.export(key, value);
        }
        for (key, reference) in secret_vars {
            let value = secrets
                .get(reference)
                .cloned()
                .unwrap_or_else(|| SecretValue::new(String::new()));
            self = self.secret_env(key, value);
        }
        self
    }

    /// The files `configs:` read, as the frames lib.sh's
    /// `hc_write_configs` reads: a path, then its content in base64.
    pub(super) fn config_frames(mut self, configs: &[(String, Vec<u8>)]) -> Self {
        for (path, content) in configs {
            let b64 = base64::engine::general_purpose::STANDARD.encode(content);
            self = self
                .frames_read_by_body("hc_path", vec![path.clone()])
                .frames_read_by_body("hc_b64", vec![b64]);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_in_data_frames_and_dry_run_shows_stars() {
        let reference = SecretRef::Env("K".into());
        let mut secrets = Secrets::new();
        secrets.insert(reference.clone(), SecretValue::new("s3cr3t-value".into()));
        let step = step(&SwarmDeployInput {
            project: "ktrdr-w",
            file: "services: {}\n",
            env: &BTreeMap::from([("A".to_string(), "it's".to_string())]),
            secret_vars: &BTreeMap::from([("API_KEY".to_string(), reference)]),
            secrets: &secrets,
            configs: &[("conf/a b".to_string(), b"x=1\n".to_vec())],
        });
        assert!(!step.script.contains("s3cr3t-value"));
        assert!(step.script.contains("hc_data API_KEY; export API_KEY"));
        assert!(step
            .script
            .contains(&format!("export A={}\n", crate::remote::quote("it's"))));
        assert!(!step.to_string().contains("s3cr3t-value"));
        let vars: Vec<&str> = step.data.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(vars, ["API_KEY", "HC_COMPOSE_TEXT", "hc_path", "hc_b64"]);
        let deploy = step
            .script
            .lines()
            .find(|l| l.starts_with("docker stack deploy"))
            .expect("the deploy command");
        assert!(deploy.contains("--resolve-image never"), "{deploy}");
        assert!(!deploy.contains("registry-auth"), "{deploy}");
    }
}

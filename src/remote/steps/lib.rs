//! `scripts/lib.sh`, the shell functions steps share, and what every step
//! that starts Compose sets first: the stack's variables and secrets, its
//! project, and the node's Compose.

use super::StepInput;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::{quote, Step};
use crate::secrets::{SecretValue, Secrets};

pub const LIB: &str = include_str!("../scripts/lib.sh");

/// The registry login of a deploy.
pub struct Login<'a> {
    pub server: &'a str,
    pub username: &'a str,
    pub password: SecretValue,
}

impl StepInput {
    /// The registry's server and user, the password as a data frame: what
    /// lib.sh's `hc_registry_login` reads.
    pub fn login(self, login: &Login) -> Self {
        self.secret("HC_PASSWORD", login.password.clone())
            .var("HC_SERVER", login.server)
            .var("HC_USERNAME", login.username)
    }
}

/// `HC_DIR`: the stack's folder under the node's state folder.
pub(crate) fn dir_line(stack: &str) -> String {
    format!("HC_DIR=\"$HOMECTL_STATE/stacks/\"{}\n", quote(stack))
}

const FIND_COMPOSE: &str = "if [ -n \"${HC_KNOWN_COMPOSE:-}\" ]; then HC_COMPOSE=$HC_KNOWN_COMPOSE\nelse hc_find_compose || { echo \"neither 'docker compose' nor 'docker-compose' found on the node\"; exit 1; }\nfi\nhc_compose_command\n";

/// lib.sh, the stack's variables, its secrets (data frames, exported to
/// Compose only through the environment), the project, and the node's
/// Compose: the input every Compose step starts with.
pub fn compose_input(deploy: &StackDeploy, secrets: &Secrets, name: &str) -> StepInput {
    let mut input = StepInput::new(name).code(LIB);
    for (key, value) in &deploy.env {
        input = input.export(key, value);
    }
    for (key, reference) in &deploy.secrets {
        let value = secrets
            .get(reference)
            .cloned()
            .unwrap_or_else(|| SecretValue::new(String::new()));
        input = input.secret_env(key, value);
    }
    input
        .var("HC_PROJECT", &deploy.project)
        // Compose's own arguments (`--profile scale-2 ...`), shown so by --dry-run.
        .var("HC_PROFILES", &deploy.profiles.join(" "))
        .var("HC_VERSION", &deploy.version)
        .code(&dir_line(&deploy.stack))
        .code(FIND_COMPOSE)
}

/// A compose step told which Compose the node has, so that it does not
/// look again: finding v1 costs a Python start (about a second) per step.
pub fn with_compose(mut step: Step, compose: Option<&str>) -> Step {
    if let Some(compose) = compose {
        step.script = format!("HC_KNOWN_COMPOSE={}\n{}", quote(compose), step.script);
    }
    step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_compose_is_set_before_the_script() {
        let step = with_compose(Step::new("up", "echo $HC_COMPOSE"), Some("docker compose"));
        assert_eq!(
            step.script,
            "HC_KNOWN_COMPOSE='docker compose'\necho $HC_COMPOSE"
        );
        assert_eq!(with_compose(Step::new("up", "x"), None).script, "x");
    }
}

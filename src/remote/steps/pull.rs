//! `scripts/pull.sh`: the registry login on a tmpfs and the pull of the
//! services to deploy. Its output is not read: a failure is its exit code.

use super::lib::{compose_input, Login};
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::Step;
use crate::secrets::Secrets;

const PULL: &str = include_str!("../scripts/pull.sh");

pub fn step(deploy: &StackDeploy, secrets: &Secrets, login: &Login) -> Step {
    compose_input(deploy, secrets, &format!("pull {}", deploy.stack))
        .login(login)
        .list("HC_SERVICES", &deploy.services)
        .list(
            "HC_PULL_REFS",
            deploy.pull_refs.as_deref().unwrap_or_default(),
        )
        .step(PULL)
}

//! `scripts/rollback.sh`: back to the previous version of the stack's
//! folder and the previous images (by image id).

use super::lib::compose_input;
use super::up::start_flag;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::Step;
use crate::secrets::Secrets;

const ROLLBACK: &str = include_str!("../scripts/rollback.sh");

/// At the scale of `deploy` (the plan of what ran before): replicas above
/// it go. `retag`: (image id, reference at `rollback_tag`) per app image.
pub fn step(
    deploy: &StackDeploy,
    secrets: &Secrets,
    rollback_tag: &str,
    retag: &[(String, String)],
) -> Step {
    let pairs: Vec<String> = retag.iter().map(|(id, r)| format!("{id} {r}")).collect();
    compose_input(deploy, secrets, &format!("rollback {}", deploy.stack))
        .export("IMAGE_TAG", rollback_tag)
        .var("HC_BACK", &deploy.back_version)
        .list("HC_RECREATE", &deploy.recreate)
        .list("HC_UP_ARGS", &deploy.up_args)
        .list("HC_REMOVE", &deploy.remove)
        .var("HC_START", start_flag(deploy))
        .list("HC_RETAG", &pairs)
        .step(ROLLBACK)
}

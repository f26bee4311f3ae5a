//! `scripts/pin.sh`: for a rollback, the previous images by id (pulled by
//! digest if gone), tagged as the references the compose file names. Its
//! output is not read.

use super::lib::{compose_input, Login};
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::Step;
use crate::secrets::Secrets;

const PIN: &str = include_str!("../scripts/pin.sh");

/// An image to bring back: its id, its digest reference ("-" if none was
/// recorded), and the local reference to tag it as.
pub type Pin = (String, String, String);

pub fn step(deploy: &StackDeploy, secrets: &Secrets, login: &Login, pins: &[Pin]) -> Step {
    let triples: Vec<String> = pins
        .iter()
        .map(|(id, digest, local)| format!("{id} {digest} {local}"))
        .collect();
    compose_input(deploy, secrets, &format!("pin {}", deploy.stack))
        .login(login)
        .list("HC_PINS", &triples)
        .step(PIN)
}

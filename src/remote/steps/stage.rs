//! `scripts/stage.sh`: stages the stack folder's version beside the one in
//! use (not yet in use).

use base64::Engine;

use super::lib::dir_line;
use super::StepInput;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::Step;

const STAGE: &str = include_str!("../scripts/stage.sh");

/// `plan`: the stage plan's lines; `contents`: the files that travel, in
/// the plan's order (sent base64, so any byte travels).
pub fn step(deploy: &StackDeploy, plan: &[String], contents: Vec<Vec<u8>>) -> Step {
    let encoded = contents
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
        .collect();
    StepInput::new(format!("stage {}", deploy.stack))
        .code(&dir_line(&deploy.stack))
        .var("HC_VERSION", &deploy.version)
        .var("HC_INUSE", &deploy.back_version)
        .list("HC_COMPOSE_FILES", &deploy.compose_files)
        .list("HC_PLAN", plan)
        .frames_read_by_body("hc_b64", encoded)
        .step(STAGE)
}

#[cfg(test)]
#[path = "stage_tests.rs"]
mod folder_tests;

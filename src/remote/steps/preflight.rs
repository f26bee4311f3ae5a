//! `scripts/preflight.sh`: preflight's remote checks on one node, and
//! their `CHECK NAME ok|fail DETAIL` lines.

use std::collections::BTreeMap;

use super::lib::LIB;
use super::{lines_of, StepInput};
use crate::remote::step::Step;
use crate::secrets::SecretValue;

pub const PREFLIGHT: &str = include_str!("../scripts/preflight.sh");

/// A stack as preflight validates it on the node: its folder in the shipped
/// form, in a temporary folder (docs/stacks.md, "What preflight checks on
/// the node").
pub struct PreflightStack {
    /// The compose project name.
    pub project: String,
    /// The compose file and its override, by name.
    pub compose_files: Vec<String>,
    /// The shipped files (path in the folder, content), or why none are
    /// sent (then the stack check fails with that reason).
    pub files: Result<Vec<(String, Vec<u8>)>, String>,
}

/// What the checks on one node need to know.
pub struct PreflightInput<'a> {
    pub server: &'a str,
    pub username: &'a str,
    pub password: SecretValue,
    /// Full image references (`server/ns/name:tag`) to look up.
    pub image_refs: Vec<String>,
    pub stacks: Vec<PreflightStack>,
    /// Plain variables for interpolation (never secrets).
    pub env: BTreeMap<String, String>,
    pub probe: bool,
    /// What the stacks need on the node, as (compose project, path or
    /// name): absolute bind-mount sources, devices' host paths, external
    /// networks and volumes.
    pub binds: Vec<(String, String)>,
    pub devices: Vec<(String, String)>,
    pub networks: Vec<(String, String)>,
    pub volumes: Vec<(String, String)>,
    /// Check the free disk of Docker's data root (preflight always does;
    /// the step's tests of other checks leave it out).
    pub disk: bool,
}

/// `PROJECT<tab>WHAT` items.
fn pairs(list: &[(String, String)]) -> Vec<String> {
    list.iter().map(|(p, w)| format!("{p}\t{w}")).collect()
}

pub fn step(input: &PreflightInput) -> Step {
    use base64::Engine;
    let mut step = StepInput::new("preflight");
    for (name, value) in &input.env {
        step = step.export(name, value);
    }
    let projects: Vec<&str> = input.stacks.iter().map(|s| s.project.as_str()).collect();
    step = step
        .var("HC_SERVER", input.server)
        .var("HC_USERNAME", input.username)
        .var("HC_PROBE", if input.probe { "1" } else { "0" })
        .list("HC_REFS", &input.image_refs)
        .list("HC_STACKS", &projects)
        .list("HC_BINDS", &pairs(&input.binds))
        .list("HC_DEVICES", &pairs(&input.devices))
        .list("HC_NETWORKS", &pairs(&input.networks))
        .list("HC_VOLUMES", &pairs(&input.volumes))
        .var("HC_DISK", if input.disk { "1" } else { "0" });
    // Each file of each stack: "STACK_NUMBER PATH" and a data frame.
    let mut files = Vec::new();
    for (i, stack) in input.stacks.iter().enumerate() {
        let n = i + 1;
        // Compose's -f names, words as the stage step writes them.
        step = step.var(
            &format!("HC_PF_COMPOSE_{n}"),
            &stack.compose_files.join(" "),
        );
        match &stack.files {
            Ok(list) => files.extend(list.iter().map(|(path, bytes)| (n, path, bytes))),
            Err(why) => step = step.var(&format!("HC_PF_UNSENT_{n}"), why),
        }
    }
    let listed: Vec<String> = files
        .iter()
        .map(|(n, path, _)| format!("{n} {path}"))
        .collect();
    let encoded = files
        .iter()
        .map(|(_, _, bytes)| base64::engine::general_purpose::STANDARD.encode(bytes))
        .collect();
    step.list("HC_PF_FILES", &listed)
        .secret("HC_PASSWORD", input.password.clone())
        .frames_read_by_body("hc_b64", encoded)
        .code(LIB)
        .step(PREFLIGHT)
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// The `CHECK NAME ok|fail DETAIL` lines, in order.
pub fn parse(output: &str) -> Vec<Check> {
    lines_of(output, "CHECK")
        .filter_map(|rest| {
            let mut parts = rest.splitn(3, ' ');
            let name = parts.next()?.to_string();
            let ok = parts.next()? == "ok";
            Some(Check {
                name,
                ok,
                detail: parts.next().unwrap_or("").to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "preflight_tests.rs"]
mod fake_node_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lines_become_checks() {
        let out = "noise\nCHECK docker ok engine 27.3.1\nCHECK image fail not in the registry: a b\nCHECK\nCHECK disk\n";
        insta::assert_debug_snapshot!(parse(out));
    }
}

//! The one step that runs preflight's remote checks on a node.

use std::collections::BTreeMap;

use super::step::{quote, Payload, Step};
use crate::secrets::SecretValue;

pub const LIB: &str = include_str!("scripts/lib.sh");
const PREFLIGHT: &str = include_str!("scripts/preflight.sh");

/// What the checks on one node need to know.
pub struct PreflightInput<'a> {
    pub server: &'a str,
    pub username: &'a str,
    pub password: SecretValue,
    /// Full image references (`server/ns/name:tag`) to look up.
    pub image_refs: Vec<String>,
    /// Compose project name and compose file text, per stack.
    pub stacks: Vec<(String, String)>,
    /// Plain variables for interpolation (never secrets).
    pub env: BTreeMap<String, String>,
    pub probe: bool,
}

pub fn preflight_step(input: &PreflightInput) -> Step {
    let mut script = String::new();
    for (name, value) in &input.env {
        script.push_str(&format!("export {name}={}\n", quote(value)));
    }
    script.push_str(&format!(
        "SERVER={} USERNAME={} PROBE={} REFS={} STACKS={}\n",
        quote(input.server),
        quote(input.username),
        u8::from(input.probe),
        quote(&input.image_refs.join("\n")),
        quote(&input.stacks.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join("\n")),
    ));
    script.push_str(LIB);
    script.push_str(PREFLIGHT);
    let mut step = Step::new("preflight", script).with_data("PASSWORD", Payload::Secret(input.password.clone()));
    for (i, (_, text)) in input.stacks.iter().enumerate() {
        step = step.with_data(&format!("COMPOSE_TEXT_{}", i + 1), Payload::Plain(text.clone()));
    }
    step
}

/// Parses `CHECK NAME ok|fail DETAIL` lines.
pub fn parse_checks(output: &str) -> Vec<(String, bool, String)> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("CHECK ")?;
            let mut parts = rest.splitn(3, ' ');
            let name = parts.next()?.to_string();
            let ok = parts.next()? == "ok";
            Some((name, ok, parts.next().unwrap_or("").to_string()))
        })
        .collect()
}

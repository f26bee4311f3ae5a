//! Preflight's report: a table of nodes × checks, a reason per failure,
//! and a summary; or one JSON document.

use std::collections::BTreeMap;

use console::style;
use serde::Serialize;

/// The checks in the order they run (and columns are shown).
pub const CHECKS: [&str; 9] = ["dns", "ssh", "state", "docker", "compose", "probe", "registry", "image", "stack"];

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct NodeReport {
    pub node: String,
    pub host: String,
    /// Checks that ran; one missing from here was skipped or not needed.
    pub checks: BTreeMap<String, CheckResult>,
}

impl NodeReport {
    pub fn add(&mut self, check: &str, ok: bool, detail: impl Into<String>) {
        self.checks.insert(check.to_string(), CheckResult { ok, detail: detail.into() });
    }
    pub fn ok(&self) -> bool {
        self.checks.values().all(|c| c.ok)
    }
}

#[derive(Debug, Serialize)]
pub struct PreflightReport {
    pub tag: String,
    pub secrets: CheckResult,
    pub nodes: Vec<NodeReport>,
    pub ok: bool,
}

pub fn render_table(report: &PreflightReport) -> String {
    let used: Vec<&str> = CHECKS.iter().copied().filter(|c| report.nodes.iter().any(|n| n.checks.contains_key(*c))).collect();
    let width = report.nodes.iter().map(|n| n.node.len()).max().unwrap_or(4).max(4);
    let mut out = String::new();
    out.push_str(&format!("{:width$}", "node"));
    for check in &used {
        out.push_str(&format!("  {check:^8}"));
    }
    out.push('\n');
    for node in &report.nodes {
        out.push_str(&format!("{:width$}", node.node));
        for check in &used {
            let cell = match node.checks.get(*check) {
                Some(c) if c.ok => style(format!("{:^8}", "✓")).green().to_string(),
                Some(_) => style(format!("{:^8}", "✗")).red().bold().to_string(),
                None => format!("{:^8}", "-"),
            };
            out.push_str(&format!("  {cell}"));
        }
        out.push('\n');
    }
    let mut failures = Vec::new();
    if !report.secrets.ok {
        failures.push(format!("secrets: {}", report.secrets.detail));
    }
    for node in &report.nodes {
        for check in CHECKS {
            if let Some(c) = node.checks.get(check) {
                if !c.ok {
                    failures.push(format!("{} {check}: {}", node.node, c.detail));
                }
            }
        }
    }
    if !failures.is_empty() {
        out.push('\n');
        for f in &failures {
            out.push_str(&format!("{} {f}\n", style("✗").red().bold()));
        }
    }
    let passed = report.nodes.iter().filter(|n| n.ok()).count();
    let secrets = if report.secrets.ok { style(format!("✓ {}", report.secrets.detail)).green().to_string() } else { style("✗ failed".to_string()).red().to_string() };
    out.push_str(&format!(
        "\ntag {}: {passed}/{} nodes passed; secrets {secrets}\n",
        report.tag,
        report.nodes.len()
    ));
    out
}

//! Preflight's report: a table of nodes × checks, a reason per failure,
//! and a summary; or one JSON document.

use std::collections::BTreeMap;

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use console::style;
use serde::Serialize;

use super::escape::escape_controls as esc;
use crate::secrets::Masker;

/// The checks in the order they run (and columns are shown).
pub const CHECKS: [&str; 13] = [
    "dns", "ssh", "state", "docker", "compose", "probe", "mounts", "external", "registry", "image",
    "disk", "stack", "features",
];

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
        self.checks.insert(
            check.to_string(),
            CheckResult {
                ok,
                detail: detail.into(),
            },
        );
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

impl PreflightReport {
    /// Every detail with the secrets' values masked: the remote checks
    /// print what the node said (a compose error, the registry's answer).
    pub fn mask(&mut self, masker: &Masker) {
        self.secrets.detail = masker.mask(&self.secrets.detail);
        for node in &mut self.nodes {
            for check in node.checks.values_mut() {
                check.detail = masker.mask(&check.detail);
            }
        }
    }
}

pub fn render_table(report: &PreflightReport) -> String {
    let used: Vec<&str> = CHECKS
        .iter()
        .copied()
        .filter(|c| report.nodes.iter().any(|n| n.checks.contains_key(*c)))
        .collect();
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(
        std::iter::once("node")
            .chain(used.iter().copied())
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    for node in &report.nodes {
        let mut row = vec![Cell::new(esc(&node.node))];
        for check in &used {
            row.push(match node.checks.get(*check) {
                Some(c) if c.ok => Cell::new(format!("✓ {}", esc(&short_detail(check, &c.detail))))
                    .fg(Color::Green),
                Some(_) => Cell::new("✗").fg(Color::Red).add_attribute(Attribute::Bold),
                None => Cell::new("-"),
            });
        }
        table.add_row(row);
    }
    let mut out = table.trim_fmt();
    out.push('\n');
    let mut failures = Vec::new();
    if !report.secrets.ok {
        failures.push(format!("secrets: {}", esc(&report.secrets.detail)));
    }
    for node in &report.nodes {
        for check in CHECKS {
            if let Some(c) = node.checks.get(check) {
                if !c.ok {
                    failures.push(format!("{} {check}: {}", esc(&node.node), esc(&c.detail)));
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
    let secrets = if report.secrets.ok {
        style(format!("✓ ({})", esc(&report.secrets.detail)))
            .green()
            .to_string()
    } else {
        style("✗".to_string()).red().bold().to_string()
    };
    out.push_str(&format!(
        "\ntag {}: {passed}/{} nodes passed; secrets {secrets}\n",
        esc(&report.tag),
        report.nodes.len()
    ));
    out
}

/// The part of a passed check worth a glance in the table: versions.
fn short_detail(check: &str, detail: &str) -> String {
    match check {
        "docker" => detail
            .trim_start_matches("engine ")
            .split('+')
            .next()
            .unwrap_or("")
            .to_string(),
        "compose" | "probe" => detail.to_string(),
        // `12345 MiB free on /var/lib/docker; warning: ...`
        "disk" => {
            let free = detail.split(" on ").next().unwrap_or("");
            if detail.contains("warning") {
                format!("{free} (under 10 %)")
            } else {
                free.to_string()
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{SecretRef, SecretValue, Secrets};

    #[test]
    fn remote_details_are_masked_in_the_table_and_the_json() {
        let secrets: Secrets = [(
            SecretRef::parse("env://DB_PASSWORD").unwrap(),
            SecretValue::new("p@ss\"w0rd".to_string()),
        )]
        .into_iter()
        .collect();
        let mut node = NodeReport {
            node: "node-a".into(),
            host: "a.lan".into(),
            ..Default::default()
        };
        node.add("compose", true, "v2.29 p@ss\"w0rd");
        node.add(
            "stack",
            false,
            "invalid interpolation: \"p@ss\\\"w0rd\" in DSN p%40ss%22w0rd",
        );
        let mut report = PreflightReport {
            tag: "abc".into(),
            secrets: CheckResult {
                ok: true,
                detail: "1 references resolved".into(),
            },
            nodes: vec![node],
            ok: false,
        };
        report.mask(&secrets.masker());
        let shown = format!(
            "{}\n{}",
            render_table(&report),
            serde_json::to_string(&report).unwrap()
        );
        assert!(!shown.contains("p@ss"), "{shown}");
        assert!(!shown.contains("w0rd"), "{shown}");
        assert!(
            shown.contains("invalid interpolation: \"***\" in DSN ***"),
            "{shown}"
        );
    }
}

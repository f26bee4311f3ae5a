//! `homectl status` and `homectl history` as tables.

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use serde::Serialize;

use super::escape::escape_controls;
use crate::plan::history::{HistoryRecord, RecordResult};
use crate::plan::strays::Stray;

/// A cell of text from a node, its control characters escaped.
fn text(s: &str) -> Cell {
    Cell::new(escape_controls(s))
}

/// One container (or one unreachable node) in `status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub node: String,
    pub stack: String,
    pub service: String,
    pub tag: String,
    pub digest: String,
    pub state: String,
    pub health: String,
    pub scale: Option<u32>,
    pub last_deploy: String,
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(
        header
            .iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    table
}

pub fn render_status(
    rows: &[StatusRow],
    strays: &[Stray],
    unreachable: &[(String, String)],
) -> String {
    let mut t = table(&[
        "node",
        "stack",
        "service",
        "tag",
        "digest",
        "state",
        "health",
        "scale",
        "last deploy",
    ]);
    for r in rows {
        let state = match r.state.as_str() {
            "running" => text(&r.state).fg(Color::Green),
            _ => text(&r.state).fg(Color::Red),
        };
        let health = match r.health.as_str() {
            "healthy" => text(&r.health).fg(Color::Green),
            "unhealthy" => text(&r.health).fg(Color::Red),
            _ => text(&r.health),
        };
        t.add_row(vec![
            text(&r.node),
            text(&r.stack),
            text(&r.service),
            text(&short_tag(&r.tag)),
            text(&r.digest),
            state,
            health,
            Cell::new(r.scale.map_or("-".to_string(), |s| s.to_string())),
            text(&r.last_deploy),
        ]);
    }
    for (node, why) in unreachable {
        t.add_row(vec![
            text(node),
            Cell::new("-"),
            Cell::new("-"),
            Cell::new("-"),
            Cell::new("-"),
            Cell::new("unreachable").fg(Color::Red),
            Cell::new("-"),
            Cell::new("-"),
            text(first_line(why)),
        ]);
    }
    let mut out = t.trim_fmt();
    out.push('\n');
    if !strays.is_empty() {
        out.push_str(&render_strays(strays));
    }
    for (node, why) in unreachable {
        out.push_str(&format!(
            "✗ {}: {}\n",
            escape_controls(node),
            escape_controls(why)
        ));
    }
    out
}

/// The strays of `status`: compose projects the inventory does not assign
/// to the node (docs/operations.md, "Strays").
fn render_strays(strays: &[Stray]) -> String {
    let mut t = table(&[
        "node",
        "stray project",
        "stack",
        "whose",
        "services",
        "containers",
    ]);
    for s in strays {
        let whose = if s.homectl {
            Cell::new("homectl's").fg(Color::Yellow)
        } else {
            Cell::new("not homectl's (left alone)")
        };
        t.add_row(vec![
            text(&s.node),
            text(&s.project),
            text(s.stack.as_deref().unwrap_or("-")),
            whose,
            text(&s.services.join(",")),
            Cell::new(s.containers),
        ]);
    }
    let mut out =
        String::from("\nstrays (compose projects the inventory does not assign to the node):\n");
    out.push_str(&t.trim_fmt());
    out.push('\n');
    let homectl: Vec<&Stray> = strays.iter().filter(|s| s.homectl).collect();
    for s in homectl {
        out.push_str(&format!(
            "  remove with: homectl down {} stack:{} --yes\n",
            escape_controls(&s.node),
            escape_controls(s.stack.as_deref().unwrap_or_default())
        ));
    }
    out
}

pub fn render_history(records: &[HistoryRecord]) -> String {
    let mut t = table(&[
        "time", "node", "stack", "kind", "tag", "scale", "result", "by", "took",
    ]);
    for r in records {
        let result = match r.result {
            RecordResult::Ok => text(r.result.as_str()).fg(Color::Green),
            _ => text(r.result.as_str()).fg(Color::Red),
        };
        let stack = if r.services.is_empty() {
            r.stack.clone()
        } else {
            format!("{} ({})", r.stack, r.services.join(","))
        };
        t.add_row(vec![
            text(&r.time),
            text(&r.node),
            text(&stack),
            text(r.kind.as_str()),
            text(&short_tag(&r.tag)),
            Cell::new(r.scale),
            result,
            text(&r.operator),
            Cell::new(format!("{:.1}s", r.duration_ms as f64 / 1000.0)),
        ]);
    }
    t.trim_fmt() + "\n"
}

/// Git SHAs are long: 12 hex digits tell them apart in a table.
fn short_tag(tag: &str) -> String {
    if tag.len() > 12 && tag.chars().all(|c| c.is_ascii_hexdigit()) {
        tag[..12].to_string()
    } else {
        tag.to_string()
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strays_are_listed_after_the_services_with_whose_they_are() {
        let strays = vec![
            Stray {
                node: "node-c".into(),
                project: "ktrdr-workers".into(),
                stack: Some("workers".into()),
                homectl: true,
                services: vec!["a".into(), "b".into()],
                containers: 2,
            },
            Stray {
                node: "node-c".into(),
                project: "handmade".into(),
                stack: None,
                homectl: false,
                services: vec!["web".into()],
                containers: 1,
            },
        ];
        let out = render_status(&[], &strays, &[]);
        assert!(out.contains("strays (compose projects"), "{out}");
        assert!(
            out.contains("ktrdr-workers") && out.contains("homectl's"),
            "{out}"
        );
        assert!(out.contains("not homectl's (left alone)"), "{out}");
        assert!(
            out.contains("remove with: homectl down node-c stack:workers --yes"),
            "{out}"
        );
        assert!(!out.contains("stack:handmade"), "{out}");
        assert!(!render_status(&[], &[], &[]).contains("strays"));
    }
}

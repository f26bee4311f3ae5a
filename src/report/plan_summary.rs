//! The text of `homectl plan` and of the summary that `deploy --dry-run`
//! starts with: per node and stack, what a deploy would change, or
//! `no change` (docs/operations.md, "plan"). Names, never values.

use super::escape::escape_controls;
use crate::plan::plan_changes::StackChanges;

/// One block a stack; `prefix` starts every line (`# ` in a dry run, whose
/// output is shell text).
pub fn render_plan(changes: &[StackChanges], prefix: &str) -> String {
    let mut out = String::new();
    for c in changes {
        if c.no_change {
            out.push_str(&format!("{prefix}{} {}: no change\n", c.node, c.stack));
            continue;
        }
        out.push_str(&format!("{prefix}{} {}: changes\n", c.node, c.stack));
        // One line each, whatever a hook's arguments hold (a dry run's
        // summary lines must stay comments).
        let mut line = |text: String| {
            let shown = escape_controls(&text).replace('\n', "\\n");
            out.push_str(&format!("{prefix}  {shown}\n"))
        };
        for i in &c.images {
            let from = i.from.as_deref().unwrap_or("(not running)");
            line(format!("image {}: {from} → {}", i.service, i.to));
        }
        let f = &c.files;
        for (what, list) in [
            ("added", &f.added),
            ("changed", &f.changed),
            ("removed", &f.removed),
        ] {
            if !list.is_empty() {
                line(format!("files {what}: {}", list.join(", ")));
            }
        }
        match &c.values {
            Some(names) if !names.is_empty() => {
                line(format!("env and secrets changed: {}", names.join(", ")))
            }
            Some(_) => {}
            None => line("env and secrets: not known without the node's last deploy record".into()),
        }
        let from = c
            .scale_from
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".into());
        if c.scale_from != Some(c.scale_to) {
            line(format!("scale {from} → {}", c.scale_to));
        }
        if !c.replicas_added.is_empty() {
            line(format!("started: {}", c.replicas_added.join(", ")));
        }
        if !c.replicas_removed.is_empty() {
            line(format!(
                "replicas removed: {}",
                c.replicas_removed.join(", ")
            ));
        }
        if !c.orphans_removed.is_empty() {
            line(format!(
                "removed (no longer in the compose file): {}",
                c.orphans_removed.join(", ")
            ));
        }
        if !c.recreated.is_empty() {
            line(format!("recreated: {}", c.recreated.join(", ")));
        }
        for hook in &c.hooks {
            line(format!("hook: {hook}"));
        }
        if let Some(why) = &c.why {
            line(format!("why: {why}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan_changes::{FileChanges, ImageChange};

    fn changes(no_change: bool) -> StackChanges {
        StackChanges {
            node: "node-b".into(),
            stack: "workers".into(),
            no_change,
            why: Some("another scale".into()),
            images: vec![ImageChange {
                service: "w-1".into(),
                from: Some("app:a@sha256:111".into()),
                to: "app:b@sha256:222".into(),
            }],
            files: FileChanges {
                added: vec!["conf/new.ini".into()],
                changed: vec![],
                removed: vec!["old.txt".into()],
            },
            values: Some(vec!["LOG_LEVEL".into()]),
            scale_from: Some(3),
            scale_to: 1,
            replicas_added: vec![],
            replicas_removed: vec!["w-2".into(), "w-3".into()],
            orphans_removed: vec!["gone".into()],
            recreated: vec!["w-1".into()],
            hooks: vec!["w-1: migrate\ntouch /tmp/x".into()],
        }
    }

    #[test]
    fn a_stack_that_changes_says_what_and_one_that_does_not_says_no_change() {
        assert_eq!(
            render_plan(&[changes(false)], "# "),
            "# node-b workers: changes\n\
             #   image w-1: app:a@sha256:111 → app:b@sha256:222\n\
             #   files added: conf/new.ini\n\
             #   files removed: old.txt\n\
             #   env and secrets changed: LOG_LEVEL\n\
             #   scale 3 → 1\n\
             #   replicas removed: w-2, w-3\n\
             #   removed (no longer in the compose file): gone\n\
             #   recreated: w-1\n\
             #   hook: w-1: migrate\\ntouch /tmp/x\n\
             #   why: another scale\n"
        );
        assert_eq!(
            render_plan(&[changes(true)], ""),
            "node-b workers: no change\n"
        );
    }
}

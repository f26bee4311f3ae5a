//! The text of `homectl plan` for swarm stacks (docs/swarm.md, "plan"):
//! per stack, through which manager, and per service the image and the
//! replicas a deploy would set, or `no change`.

use super::escape::escape_controls;
use crate::plan::swarm_changes::SwarmChanges;

pub fn render_swarm_plan(changes: &[SwarmChanges]) -> String {
    let mut out = String::new();
    for c in changes {
        let head = format!("swarm stack {} (manager {})", c.stack, c.manager);
        if c.no_change {
            out.push_str(&format!("{head}: no change\n"));
            continue;
        }
        out.push_str(&format!("{head}: changes\n"));
        for s in &c.services {
            let from = s.from.as_deref().unwrap_or("(not running)");
            let replicas = s.replicas_from.map_or("-".to_string(), |n| n.to_string());
            out.push_str(&escape_controls(&format!(
                "  image {}: {from} → {}\n  replicas {}: {replicas} → {}\n",
                s.service, s.to, s.service, s.replicas_to
            )));
        }
        if !c.values.is_empty() {
            out.push_str(&format!(
                "  env and secrets changed: {}\n",
                escape_controls(&c.values.join(", "))
            ));
        }
        for hook in &c.hooks {
            out.push_str(&format!("  hook: {}\n", escape_controls(hook)));
        }
        if let Some(why) = &c.why {
            out.push_str(&format!("  why: {}\n", escape_controls(why)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::swarm_changes::SwarmServiceChange;

    #[test]
    fn a_changing_stack_lists_images_and_replicas_an_unchanged_one_says_no_change() {
        let mut c = SwarmChanges {
            stack: "w".into(),
            engine: "swarm",
            manager: "node-a".into(),
            no_change: false,
            why: Some("w: new image".into()),
            services: vec![SwarmServiceChange {
                service: "w".into(),
                from: Some("r:a@sha256:1".into()),
                to: "r:b@sha256:2".into(),
                replicas_from: Some(5),
                replicas_to: 2,
            }],
            hooks: vec!["w: migrate up".into()],
            values: vec!["API_KEY".into()],
        };
        assert_eq!(
            render_swarm_plan(std::slice::from_ref(&c)),
            "swarm stack w (manager node-a): changes\n  image w: r:a@sha256:1 → r:b@sha256:2\n  replicas w: 5 → 2\n  env and secrets changed: API_KEY\n  hook: w: migrate up\n  why: w: new image\n"
        );
        c.no_change = true;
        assert_eq!(
            render_swarm_plan(&[c]),
            "swarm stack w (manager node-a): no change\n"
        );
    }
}

//! `homectl config` as text: one block per node and stack.

use crate::plan::effective_config::NodeConfig;

/// A value as a shell would take it back (`'a b'`), so spaces and quotes show.
fn quote(value: &str) -> String {
    shlex::try_quote(value).map_or_else(|_| format!("{value:?}"), |q| q.into_owned())
}

pub fn render_config(nodes: &[NodeConfig]) -> String {
    let mut out = String::new();
    for node in nodes {
        for s in &node.stacks {
            out.push_str(&format!(
                "{} ({}) · stack {}\n",
                node.node, node.host, s.stack
            ));
            out.push_str(&format!("  project    {}\n", s.project));
            out.push_str(&format!(
                "  scale      {} (max {}; a deploy without --scale keeps the node's current scale)\n",
                s.scale, s.max_scale
            ));
            if !s.images.is_empty() {
                out.push_str(&format!("  images     {}\n", s.images.join(", ")));
            }
            out.push_str(
                "  env        (.env, then homectl, then stack, then node: the later wins)\n",
            );
            for v in &s.env {
                let replaced = if v.overrides.is_empty() {
                    String::new()
                } else {
                    let words: Vec<&str> = v.overrides.iter().map(|o| o.word()).collect();
                    format!("  (replaces {})", words.join(", "))
                };
                out.push_str(&format!(
                    "    {:<8} {}={}{replaced}\n",
                    v.source.word(),
                    v.name,
                    quote(&v.value)
                ));
            }
            if !s.secrets.is_empty() {
                out.push_str("  secrets    (resolved at deploy time; values never shown)\n");
                for secret in &s.secrets {
                    out.push_str(&format!("    {} ← {}\n", secret.name, secret.reference));
                }
            }
            let mut health = format!(
                "services {}",
                if s.health.services.is_empty() {
                    "-".to_string()
                } else {
                    s.health.services.join(", ")
                }
            );
            if let Some(url) = &s.health.url {
                health.push_str(&format!(", url {url}"));
            }
            out.push_str(&format!(
                "  health     {health}, within {}s\n",
                s.health.timeout_secs
            ));
            for hook in &s.hooks {
                let command: Vec<String> = hook.command.iter().map(|a| quote(a)).collect();
                out.push_str(&format!(
                    "  hook       {} in {}: {}\n",
                    hook.when,
                    hook.service,
                    command.join(" ")
                ));
            }
            out.push_str(&format!("  files      {}\n", s.files.join(", ")));
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

//! `homectl check`: the inventory and stacks, validated locally. Every
//! error and warning found is reported (docs/inventory.md, "What check
//! verifies").

use crate::error::Result;
use crate::inventory::{self, ConfigError, ConfigErrors};
use crate::report::error_json::warnings_json;
use crate::settings::GlobalSettings;

pub fn run(global: &GlobalSettings, strict: bool) -> Result<i32> {
    // A failure with --json is reported by the caller, as for every command
    // (docs/operations.md, "JSON output"), warnings included.
    let (project, warnings) = match inventory::check(&global.inventory) {
        Ok(loaded) => loaded,
        Err(mut errors) => {
            if strict {
                let warnings = std::mem::take(&mut errors.warnings);
                let mut all = errors.into_errors();
                all.extend(warnings);
                return Err(ConfigErrors::new(all, Vec::new()).expect("errors").into());
            }
            // Printed after the errors, by the caller.
            return Err(errors.into());
        }
    };
    if strict && !warnings.is_empty() {
        return Err(ConfigErrors::new(warnings, Vec::new())
            .expect("warnings")
            .into());
    }
    print_warnings(global, &warnings);
    if global.json {
        let summary = serde_json::json!({
            "inventory": global.inventory.display().to_string(),
            "ok": true,
            "nodes": project.inventory.nodes.keys().collect::<Vec<_>>(),
            "stacks": project.stacks.keys().collect::<Vec<_>>(),
            "warnings": warnings_json(&warnings),
        });
        global.printer().out(&summary.to_string());
    } else if !global.quiet {
        global.printer().out(&format!(
            "{}: ok ({}, {}: {})",
            global.inventory.display(),
            plural(project.inventory.nodes.len(), "node"),
            plural(project.stacks.len(), "stack"),
            project
                .stacks
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(0)
}

/// `warning: file:line:col: message` on stderr, each with its help.
fn print_warnings(global: &GlobalSettings, warnings: &[ConfigError]) {
    for warning in warnings {
        global.printer().warn(&warning.warning_text());
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

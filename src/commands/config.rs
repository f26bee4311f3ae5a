//! `homectl config`: the effective configuration per node and stack, read
//! from the inventory and stacks only (no node is contacted).

use crate::error::Result;
use crate::inventory;
use crate::plan::effective_config::effective_config;
use crate::report::config_view::render_config;
use crate::settings::{GlobalSettings, TaggedSelection};

/// `settings.tag` is the tag a deploy would use; outside a git work tree,
/// a placeholder.
pub fn run(global: &GlobalSettings, settings: TaggedSelection) -> Result<i32> {
    let TaggedSelection {
        project,
        selection,
        tag,
    } = settings;
    let dotenv = project
        .stacks
        .values()
        .map(|s| (s.name.clone(), inventory::dotenv_values(&s.dir)))
        .collect();
    let nodes = effective_config(&project, &selection, &tag, &dotenv);
    let printer = global.printer();
    if global.json {
        printer.out(
            &serde_json::to_string_pretty(&serde_json::json!({ "tag": tag, "nodes": nodes }))
                .expect("serializes"),
        );
    } else {
        printer.out(&render_config(&nodes));
    }
    Ok(0)
}

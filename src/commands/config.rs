//! `homectl config`: the effective configuration per node and stack, read
//! from the inventory and stacks only (no node is contacted).

use crate::cli::{GlobalOptions, TargetArgs};
use crate::error::Result;
use crate::inventory;
use crate::plan::{self, effective_config::effective_config};
use crate::report::config_view::render_config;

pub fn run(global: &GlobalOptions, args: &TargetArgs) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let selection = plan::select(&project, args.target.as_deref(), &args.names)?;
    // The tag a deploy would use; outside a git work tree, a placeholder.
    let cwd = std::env::current_dir().unwrap_or_default();
    let tag = match plan::resolve_tag(args.tag.as_deref(), project.inventory.tag_length, &cwd) {
        Ok((tag, _)) => tag,
        Err(_) => "<--tag or git HEAD>".to_string(),
    };
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

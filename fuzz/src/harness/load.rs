//! Target `load`: the inventory, stack.toml and compose.yml loaders.

use homectl::inventory::{self, Project};
use homectl::plan::{self, deploy_plan::plan_stack};

use super::parse_bundle;
use super::scratch::Scratch;

/// Writes the bundle to a scratch folder and loads its inventory. An error
/// is rendered as the CLI renders it (miette, with the file snippet); a
/// project that loads goes through selection and deploy planning.
pub fn check_load(data: &[u8]) {
    let bundle = parse_bundle(data);
    let scratch = Scratch::new();
    for (path, content) in &bundle.files {
        let file = scratch.0.join(path);
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        // A path that is also a folder of another file just fails: fine.
        let _ = std::fs::write(&file, content);
    }
    match inventory::load(&scratch.0.join(&bundle.inventory)) {
        Ok(project) => exercise_project(&project),
        Err(err) => render_config_error(err),
    }
}

/// The diagnostic as the CLI prints it (`{:?}` of a miette report) and as
/// a graphical report without wrapping (the CI form): neither may panic,
/// whatever the span points at.
pub fn render_config_error(errors: inventory::ConfigErrors) {
    for err in errors.into_errors() {
        render_one_config_error(err);
    }
}

fn render_one_config_error(err: inventory::ConfigError) {
    let location = err.location.clone();
    let message = err.message.clone();
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_wrap_lines(false);
    let _ = handler.render_report(&mut out, &err);
    let _ = miette::NarratableReportHandler::new().render_report(&mut out, &err);
    let report = format!("{:?}", miette::Report::new(err));
    assert!(
        !location.is_empty(),
        "a config error without a location: {message}"
    );
    assert!(!report.is_empty(), "an empty diagnostic for: {message}");
}

/// Every kind of selection a loaded project allows, and the deploy plan of
/// each selected stack at every scale it accepts.
pub fn exercise_project(project: &Project) {
    let inv = &project.inventory;
    let mut names: Vec<String> = vec!["all".into()];
    for (node_name, node) in &inv.nodes {
        names.push(node_name.clone());
        names.push(format!("node:{node_name}"));
        names.extend(node.groups.iter().cloned());
        for stack in &node.stacks {
            names.push(stack.clone());
            names.push(format!("stack:{stack}"));
        }
    }
    for stack in project.stacks.values() {
        for service in stack.compose.services.keys() {
            names.push(service.clone());
            names.push(format!("service:{service}"));
        }
    }
    names.sort();
    names.dedup();
    names.truncate(64);

    let _ = select_and_plan(project, None, &[]);
    for name in &names {
        let _ = select_and_plan(project, Some(name), &[]);
        let _ = select_and_plan(project, None, std::slice::from_ref(name));
    }
    // Two names of different kinds, and every name at once.
    for pair in names.windows(2) {
        let _ = select_and_plan(project, Some("all"), pair);
    }
    let _ = select_and_plan(project, Some("all"), &names);
}

/// `plan::select`, then the deploy plan of each selected stack at each
/// scale. Checks that the selection only names what the project has.
pub(super) fn select_and_plan(project: &Project, target: Option<&str>, names: &[String]) -> bool {
    let selection = match plan::select(project, target, names) {
        Ok(selection) => selection,
        Err(err) => {
            let _ = format!("{err} {err:?}");
            return false;
        }
    };
    let inv = &project.inventory;
    for selected in &selection.nodes {
        let node = inv
            .nodes
            .get(&selected.node)
            .unwrap_or_else(|| panic!("selected node `{}` is not in the inventory", selected.node));
        for chosen in &selected.stacks {
            assert!(
                node.stacks.contains(&chosen.stack),
                "stack `{}` selected on node `{}` that does not run it",
                chosen.stack,
                node.name
            );
            let stack = &project.stacks[&chosen.stack];
            if let Some(services) = &chosen.services {
                for service in services {
                    assert!(
                        stack.compose.services.contains_key(service),
                        "service `{service}` selected in stack `{}` that has no such service",
                        stack.name
                    );
                }
            }
            for scale in 1..=stack.max_scale.min(8) {
                let planned = plan_stack(
                    inv,
                    node,
                    stack,
                    chosen.services.as_deref(),
                    "0123abc",
                    scale,
                );
                assert_eq!(planned.scale, scale);
            }
        }
    }
    true
}

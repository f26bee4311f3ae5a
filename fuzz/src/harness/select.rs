//! Target `select`: TARGET and NAMEs against the lab's inventory.

use std::path::Path;

use homectl::inventory::{self, Project};

use super::load::select_and_plan;

/// The repository's `inventory/lab.toml`, loaded once. `root` is the
/// package root (the folder with Cargo.toml and inventory/).
pub fn lab_project(root: &Path) -> &'static Project {
    static PROJECT: std::sync::OnceLock<Project> = std::sync::OnceLock::new();
    PROJECT.get_or_init(|| match inventory::load(&root.join("inventory/lab.toml")) {
        Ok(project) => project,
        Err(errors) => panic!(
            "inventory/lab.toml does not load: {:?}",
            miette::Report::new(errors.into_errors().remove(0))
        ),
    })
}

/// The input's lines: the first is TARGET (`<none>`: no TARGET), the
/// others are NAMEs. Invalid UTF-8 is replaced, as the shell's argv would
/// be by clap's `String` parsing refusing it anyway.
pub fn check_select(project: &Project, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let target = match lines.next() {
        None | Some("<none>") => None,
        Some(t) => Some(t),
    };
    let names: Vec<String> = lines.take(32).map(str::to_string).collect();
    select_and_plan(project, target, &names);
}

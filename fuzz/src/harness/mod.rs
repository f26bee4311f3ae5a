//! What the fuzz targets (fuzz/fuzz_targets/) and the property test
//! (tests/fuzz_props.rs) check: each function takes raw bytes, drives one
//! of homectl's input-facing functions with them, and panics only where a
//! property is broken. Errors returned by homectl are fine; a panic inside
//! homectl is the bug being looked for.
//!
//! This file is compiled twice: as the `homectl_fuzz` library of the fuzz
//! crate, and into tests/fuzz_props.rs by `#[path]`. So it uses nothing
//! but std, homectl and homectl's own dependencies (miette).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use homectl::inventory::{self, names, Project};
use homectl::plan::{self, deploy_plan::plan_stack};
use homectl::secrets::{is_env_name, SecretRef};

/// Where a bundle's inventory goes when the bundle names no file first.
pub const DEFAULT_INVENTORY: &str = "inventory.toml";

/// At most this many files in a bundle (more are ignored).
const MAX_FILES: usize = 16;

// ---------------------------------------------------------------------
// Bundles: several files in one input.
// ---------------------------------------------------------------------

/// One input split into files. The format, readable and easy to seed:
///
/// ```text
/// name = "x"                 <- up to the first header: the inventory
/// ...
/// === stacks/core/stack.toml <- a header line: `=== ` and a relative path
/// images = []
/// === stacks/core/compose.yml
/// services: ...
/// ```
///
/// If the input starts with a header, that file is the inventory. A path
/// with anything but `[A-Za-z0-9._-]` components (no `.`, `..`, empty or
/// absolute ones) drops that file's content. Contents are raw bytes, so
/// invalid UTF-8 reaches the loader too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub inventory: String,
    pub files: Vec<(String, Vec<u8>)>,
}

pub fn parse_bundle(data: &[u8]) -> Bundle {
    let mut files: Vec<(Option<String>, Vec<u8>)> = Vec::new();
    let mut current: (Option<String>, Vec<u8>) = (Some(DEFAULT_INVENTORY.to_string()), Vec::new());
    let mut first = true;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Some(header) = line.strip_prefix(b"=== ") {
            let path = std::str::from_utf8(header)
                .ok()
                .map(str::trim_end)
                .and_then(clean_path);
            if !(first && current.1.is_empty()) {
                files.push(std::mem::take(&mut current));
            }
            current = (path, Vec::new());
        } else {
            current.1.extend_from_slice(line);
        }
        first = false;
    }
    files.push(current);

    let inventory = files[0]
        .0
        .clone()
        .unwrap_or_else(|| DEFAULT_INVENTORY.to_string());
    let files = files
        .into_iter()
        .filter_map(|(path, content)| path.map(|p| (p, content)))
        .take(MAX_FILES)
        .collect();
    Bundle { inventory, files }
}

/// The bundle as bytes again (`parse_bundle(&b.to_bytes()) == b` for
/// bundles whose files end with a newline). Used to build seeds.
pub fn bundle_bytes(inventory: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ordered: Vec<&(String, Vec<u8>)> =
        files.iter().filter(|(p, _)| p == inventory).collect();
    ordered.extend(files.iter().filter(|(p, _)| p != inventory));
    for (path, content) in ordered {
        out.extend_from_slice(format!("=== {path}\n").as_bytes());
        out.extend_from_slice(content);
        if !content.is_empty() && !content.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// A bundle of files on disk: `inventory` (relative to `root`) first, then
/// every file under `root/stacks/`, as seed-corpus.sh writes them.
pub fn bundle_from_dir(root: &Path, inventory: &str) -> Vec<u8> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root.join("stacks"), &mut paths);
    let mut files = vec![(
        inventory.to_string(),
        std::fs::read(root.join(inventory)).unwrap_or_default(),
    )];
    for path in paths {
        let rel = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        files.push((rel, std::fs::read(&path).unwrap_or_default()));
    }
    bundle_bytes(inventory, &files)
}

/// A relative path of at most 8 plain components, or `None`.
fn clean_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let ok = !path.is_empty()
        && path.len() <= 120
        && parts.len() <= 8
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        });
    ok.then(|| path.to_string())
}

/// A fresh folder under the system's temp dir, removed on drop. Unique per
/// process and call, so parallel tests and fuzz jobs do not meet.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("homectl-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create a scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------
// Target `load`: the inventory, stack.toml and compose.yml loaders.
// ---------------------------------------------------------------------

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
fn select_and_plan(project: &Project, target: Option<&str>, names: &[String]) -> bool {
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

// ---------------------------------------------------------------------
// Target `select`: TARGET and NAMEs against the lab's inventory.
// ---------------------------------------------------------------------

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

// ---------------------------------------------------------------------
// Target `refs_names`: secret references, names, hosts and tags.
// ---------------------------------------------------------------------

/// Every line of the input through the reference parser and the name
/// checks. A reference that parses prints back to itself; a name, host or
/// tag that passes holds no character a shell or a path would read.
pub fn check_refs_names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in std::iter::once(text.as_ref())
        .chain(text.split('\n'))
        .take(64)
    {
        check_one_string(line);
    }
}

pub fn check_one_string(s: &str) {
    if let Ok(reference) = SecretRef::parse(s) {
        let printed = reference.to_string();
        assert_eq!(printed, s, "a reference does not print back to its text");
        assert_eq!(
            SecretRef::parse(&printed).as_ref(),
            Ok(&reference),
            "a printed reference parses differently"
        );
        assert!(
            !s.chars().any(char::is_control),
            "a reference with a control character was accepted: {s:?}"
        );
    }
    let shell_safe = |x: &str| {
        x.chars().all(|c| {
            c.is_ascii()
                && !c.is_ascii_control()
                && !c.is_ascii_whitespace()
                && !"\"'`$\\;&|<>(){}*?[]!#~%".contains(c)
        })
    };
    if names::check_name(s).is_ok() {
        assert!(
            !s.is_empty()
                && s.len() <= 63
                && shell_safe(s)
                && !s.starts_with('-')
                && !s.contains('/'),
            "check_name accepted {s:?}"
        );
    }
    if names::check_service_name(s).is_ok() {
        assert!(
            !s.is_empty() && shell_safe(s) && !s.starts_with('-') && !s.contains('/'),
            "check_service_name accepted {s:?}"
        );
    }
    if names::check_host(s).is_ok() {
        assert!(
            !s.is_empty() && s.len() <= 253 && shell_safe(s) && !s.starts_with('-'),
            "check_host accepted {s:?}"
        );
    }
    for allow_slash in [false, true] {
        if names::check_registry_part(s, allow_slash).is_ok() {
            assert!(
                shell_safe(s) && !s.starts_with('-'),
                "check_registry_part accepted {s:?}"
            );
        }
    }
    if names::check_tag(s).is_ok() {
        assert!(
            (1..=128).contains(&s.len()) && shell_safe(s) && !s.starts_with(['-', '.']),
            "check_tag accepted {s:?}"
        );
    }
    if is_env_name(s) {
        assert!(
            !s.is_empty() && shell_safe(s) && !s.starts_with(|c: char| c.is_ascii_digit()),
            "is_env_name accepted {s:?}"
        );
    }
    let _ = inventory::profile_scale(s);
    // Its one caller clamps the offset to a character boundary first (it
    // panics on a byte inside a character, like any `str` slicing).
    let mut offset = s.len() / 2;
    while !s.is_char_boundary(offset) {
        offset -= 1;
    }
    let _ = inventory::line_column(s, offset);
}

// ---------------------------------------------------------------------
// Target `diagnostics`: rendering, and no secret in what is rendered.
// ---------------------------------------------------------------------

/// The literal planted as a secret; `SECRET_MARK` is the part of it that
/// must never be rendered.
pub const PLANTED_SECRET: &str = "zq7PLANTEDzq7";
const SECRET_MARK: &str = "PLANTED";

/// Secret values planted at the start of a TOML file (inventory or
/// stack.toml): under `[secrets]`, `registry.password`, or a key that
/// looks like a secret. `{}` stands for the secret.
const TOML_PLANTS: [&str; 8] = [
    "[secrets]\nAPI_KEY = \"{}\"\n",
    "[registry]\npassword = \"{}\"\n",
    "passwrod = \"{}\"\n",
    "[env]\nDB_PASSWORD = '{}'\n",
    "env = { API_TOKEN = \"{}\" }\n",
    "[secrets]\nPRIVATE_KEY = \"\"\"\n{}\n\"\"\"\n",
    "[secrets]\nK = {}\n",
    "[secrets]\nPASSWORD = [\"{}\",\n  \"{}\"]\n",
];

/// The same at the start of a compose file.
const YAML_PLANTS: [&str; 4] = [
    "x-env:\n  POSTGRES_PASSWORD: {}\n",
    "x-env:\n  - API_TOKEN={}\n",
    "x-key:\n  private_key: |\n    {}\n    {}\n",
    "x-env: {DB_SECRET: \"{}\"}\n",
];

const VALID_INVENTORY: &str = "name = \"lab\"\n\n[registry]\nserver = \"ghcr.io\"\nusername = \"ci\"\npassword = \"op://v/i/f\"\n\n[nodes.node-a]\nhost = \"a.lab\"\nstacks = [\"app\"]\n";
const VALID_STACK: &str = "images = [\"app\"]\n";
const VALID_COMPOSE: &str = "services:\n  web:\n    image: ${REGISTRY}/app:${IMAGE_TAG}\n";

/// Input: byte 0 picks the file (inventory, stack.toml, compose.yml) and
/// the plant; byte 1 how each `\x01` of the text is widened (1 to 80 K of
/// one of ` `, `é`, `界`, tab), so lines reach columns past 65,535; the
/// rest is the file's text after the plant. The other two files are valid.
/// The project is loaded; an error is rendered graphically, narrated and
/// as JSON: no panic, and the planted secret in none of them.
pub fn check_diagnostics(data: &[u8]) {
    let (Some(&pick), Some(&widen)) = (data.first(), data.get(1)) else {
        return;
    };
    let text = String::from_utf8_lossy(&data[2..]);
    if text.contains(SECRET_MARK) {
        return;
    }
    let filler = [" ", "é", "界", "\t"][usize::from(widen % 4)];
    let text = text.replace(
        '\u{1}',
        &filler.repeat(1024 * (1 + usize::from(widen >> 2) % 80)),
    );
    let file = usize::from(pick % 3);
    let plant = if file == 2 {
        YAML_PLANTS[usize::from(pick / 3) % YAML_PLANTS.len()]
    } else {
        TOML_PLANTS[usize::from(pick / 3) % TOML_PLANTS.len()]
    };
    let planted = format!("{}{text}", plant.replace("{}", PLANTED_SECRET));
    let mut files = [VALID_INVENTORY, VALID_STACK, VALID_COMPOSE].map(str::to_string);
    files[file] = planted;

    let scratch = Scratch::new();
    let paths = [
        "inventory/lab.toml",
        "stacks/app/stack.toml",
        "stacks/app/compose.yml",
    ];
    for (path, content) in paths.iter().zip(&files) {
        let path = scratch.0.join(path);
        let _ = std::fs::create_dir_all(path.parent().expect("a parent"));
        std::fs::write(&path, content).expect("write a scratch file");
    }
    let Err(errors) = inventory::load(&scratch.0.join(paths[0])) else {
        return;
    };
    for err in errors.into_errors() {
        check_rendering_hides_the_secret(err);
    }
}

fn check_rendering_hides_the_secret(err: inventory::ConfigError) {
    let mut renderings = vec![String::new(), String::new(), String::new()];
    let _ = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_wrap_lines(false)
        .render_report(&mut renderings[0], &err);
    let _ = miette::NarratableReportHandler::new().render_report(&mut renderings[1], &err);
    let _ = miette::JSONReportHandler::new().render_report(&mut renderings[2], &err);
    renderings.push(format!("{:?}", miette::Report::new(err)));
    for shown in &renderings {
        assert!(
            !shown.contains(SECRET_MARK),
            "the planted secret is rendered:\n{shown}"
        );
    }
}

// ---------------------------------------------------------------------
// Target `history`: the nodes' history lines (they come back over SSH).
// ---------------------------------------------------------------------

/// `HISTORY <json>` lines as the state step prints them, then the scale
/// and rollback decisions made from them.
pub fn check_history(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let records = homectl::remote::steps::history::parse(&text);
    let mut stacks: Vec<&str> = records.iter().map(|r| r.stack.as_str()).collect();
    stacks.push("core");
    stacks.dedup();
    for stack in stacks.into_iter().take(8) {
        let _ = plan::history::current_scale(&records, stack);
        let services: Vec<String> = records
            .iter()
            .flat_map(|r| r.services.iter().cloned())
            .take(4)
            .collect();
        let _ = plan::rollback_plan::rollback_target(&records, stack, &[]);
        let _ = plan::rollback_plan::rollback_target(&records, stack, &services);
    }
}

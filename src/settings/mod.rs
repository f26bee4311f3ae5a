//! What the command line means, resolved once before a command starts: the
//! flags as typed (`cli::args`) become the settings each command takes.
//! Defaults are applied here (TARGET `all`, the inventory's path), and
//! where a flag's meaning depends on the inventory (the tag's length from
//! git HEAD, the selection, `--scale` within each stack's `max_scale`),
//! resolving loads it and checks it, so that an invalid command line is
//! exit 2 before any node is touched (docs/operations.md, "Exit codes").
//! Commands never see clap's types.

use std::path::PathBuf;

use crate::cli::args::{self, Cli};
use crate::error::{Error, Result};
use crate::execution::node_deploy::Target;
use crate::inventory::{self, Project};
use crate::plan::{self, Selection};
use crate::report::Printer;

mod one_command;
pub use one_command::*;

/// The options every command has: `-i`, `--json`, `-v`, `-q`.
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    /// `-i PATH`, else `$HOMECTL_INVENTORY`, else the default.
    pub inventory: PathBuf,
    pub json: bool,
    /// 0: warnings, 1: info, 2 or more: debug.
    pub verbose: u8,
    pub quiet: bool,
}

impl GlobalSettings {
    pub fn resolve(cli: &Cli) -> Self {
        GlobalSettings {
            inventory: inventory::inventory_path(cli.inventory.as_deref()),
            json: cli.json,
            verbose: cli.verbose,
            quiet: cli.quiet,
        }
    }

    pub fn printer(&self) -> Printer {
        Printer {
            json: self.json,
            quiet: self.quiet,
        }
    }
}

/// TARGET [NAME...], not yet looked up (docs/operations.md, "Selecting nodes, stacks and services").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectSettings {
    /// A group, a node or `all` (the default where TARGET is optional).
    pub target: String,
    pub names: Vec<String>,
}

impl SelectSettings {
    fn new(target: Option<String>, names: Vec<String>) -> Self {
        SelectSettings {
            target: target.unwrap_or_else(|| "all".to_string()),
            names,
        }
    }

    /// The nodes, stacks and services of the project this names.
    pub fn select(&self, project: &Project) -> Result<Selection> {
        plan::select(project, Some(&self.target), &self.names)
    }
}

impl From<args::SelectArgs> for SelectSettings {
    fn from(a: args::SelectArgs) -> Self {
        SelectSettings::new(a.target, a.names)
    }
}

impl From<args::RequiredTargetArgs> for SelectSettings {
    fn from(a: args::RequiredTargetArgs) -> Self {
        SelectSettings::new(Some(a.target), a.names)
    }
}

impl From<args::RestartArgs> for SelectSettings {
    fn from(a: args::RestartArgs) -> Self {
        SelectSettings::new(Some(a.target), a.names)
    }
}

/// `prune TARGET [NAME...] [--keep N] [--dry-run]`.
#[derive(Debug, Clone)]
pub struct PruneSettings {
    pub select: SelectSettings,
    /// Versions to keep per stack; `None`: the inventory's `keep`.
    pub keep: Option<usize>,
    pub dry_run: bool,
}

impl From<args::PruneArgs> for PruneSettings {
    fn from(a: args::PruneArgs) -> Self {
        PruneSettings {
            select: SelectSettings::new(Some(a.target), a.names),
            keep: a.keep.map(|k| k as usize),
            dry_run: a.dry_run,
        }
    }
}

/// The project, the selection in it and the tag of a command that runs
/// images: `preflight`, `config` (and, within [`DeploySettings`], deploy).
#[derive(Debug)]
pub struct TaggedSelection {
    pub project: Project,
    pub selection: Selection,
    /// `--tag`, else git HEAD of the current folder cut to `tag_length`.
    pub tag: String,
}

impl TaggedSelection {
    /// `preflight TARGET [NAME...] [--tag T]`: loads the project, selects,
    /// and resolves the tag (docs/operations.md, "Tags"); a work tree with
    /// uncommitted changes is a warning.
    pub fn resolve(a: args::TargetArgs, global: &GlobalSettings) -> Result<Self> {
        let (project, selection) = load_and_select(a.target, a.names, global)?;
        let tag = tag_of(a.tag.as_deref(), &project, global)?;
        Ok(TaggedSelection {
            project,
            selection,
            tag,
        })
    }

    /// `config [TARGET [NAME...]] [--tag T]`: the tag is only shown, so
    /// outside a git work tree it is a placeholder, not an error.
    pub fn resolve_shown(a: args::TargetArgs, global: &GlobalSettings) -> Result<Self> {
        let (project, selection) = load_and_select(a.target, a.names, global)?;
        let cwd = std::env::current_dir().unwrap_or_default();
        let tag = match plan::resolve_tag(a.tag.as_deref(), project.inventory.tag_length, &cwd) {
            Ok((tag, _)) => tag,
            Err(_) => "<--tag or git HEAD>".to_string(),
        };
        Ok(TaggedSelection {
            project,
            selection,
            tag,
        })
    }
}

fn load_and_select(
    target: Option<String>,
    names: Vec<String>,
    global: &GlobalSettings,
) -> Result<(Project, Selection)> {
    let project = inventory::load(&global.inventory)?;
    let selection = SelectSettings::new(target, names).select(&project)?;
    Ok((project, selection))
}

fn tag_of(flag: Option<&str>, project: &Project, global: &GlobalSettings) -> Result<String> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::runtime(format!("cannot read the current folder: {e}")))?;
    let (tag, warning) = plan::resolve_tag(flag, project.inventory.tag_length, &cwd)?;
    if let Some(warning) = warning {
        global.printer().warn(&format!("warning: {warning}"));
    }
    Ok(tag)
}

/// A deploy, or a rollback (which is a deploy in every other respect: two
/// phases, locks, health wait, automatic rollback, a history record).
#[derive(Debug)]
pub struct DeploySettings {
    pub project: Project,
    pub selection: Selection,
    /// What the nodes go to: the tag, a tag as a rollback, or the images
    /// before the last deploy by each node's history.
    pub target: Target,
    /// The tag (`"history"` for a rollback by history: each node's history
    /// says which images come back).
    pub tag: String,
    /// `--scale N`, checked against every selected stack that scales; the
    /// scale rule's other inputs (the node's history, the inventory's
    /// `scale`) are the node's (docs/operations.md, "Scaling up and down").
    pub scale: Option<u32>,
    pub dry_run: bool,
    pub no_rollback: bool,
    /// Every step runs even where nothing changed (a rollback always is).
    pub force: bool,
}

impl DeploySettings {
    /// `deploy TARGET [NAME...] [--tag T] [--scale N] [--dry-run] [--no-rollback] [--force]`.
    pub fn resolve(a: args::DeployArgs, global: &GlobalSettings) -> Result<Self> {
        let (project, warnings) = inventory::check(&global.inventory)?;
        let selection = SelectSettings::new(a.target.target, a.target.names).select(&project)?;
        if a.dry_run {
            // check's warnings first: a secret-looking `[env]` value, which
            // the plan shows as it is, is announced before it
            // (docs/inventory.md, "What check verifies").
            for warning in &warnings {
                global.printer().warn(&warning.warning_text());
            }
        }
        let tag = tag_of(a.target.tag.as_deref(), &project, global)?;
        check_scale(&project, &selection, a.scale)?;
        Ok(DeploySettings {
            project,
            selection,
            target: Target::Tag,
            tag,
            scale: a.scale,
            dry_run: a.dry_run,
            no_rollback: a.no_rollback,
            force: a.force,
        })
    }

    /// `rollback TARGET [NAME...] [--to T] [--no-rollback]`.
    pub fn rollback(a: args::RollbackArgs, global: &GlobalSettings) -> Result<Self> {
        let (project, selection) = load_and_select(Some(a.target.target), a.target.names, global)?;
        let (target, tag) = match a.to.as_deref() {
            Some(to) => (Target::RollbackToTag, tag_of(Some(to), &project, global)?),
            None => (Target::RollbackByHistory, "history".to_string()),
        };
        Ok(DeploySettings {
            project,
            selection,
            target,
            tag,
            scale: None,
            dry_run: false,
            no_rollback: a.no_rollback,
            force: true,
        })
    }
}

/// What `plan` asks about (docs/operations.md, "plan"): a deploy's
/// selection, tag and `--scale`, resolved and checked as `deploy`'s.
#[derive(Debug)]
pub struct PlanSettings {
    pub project: Project,
    pub selection: Selection,
    pub tag: String,
    pub scale: Option<u32>,
}

impl PlanSettings {
    /// `plan TARGET [NAME...] [--tag T] [--scale N]`.
    pub fn resolve(a: args::PlanArgs, global: &GlobalSettings) -> Result<Self> {
        let (project, selection) = load_and_select(a.target.target, a.target.names, global)?;
        let tag = tag_of(a.target.tag.as_deref(), &project, global)?;
        check_scale(&project, &selection, a.scale)?;
        Ok(PlanSettings {
            project,
            selection,
            tag,
            scale: a.scale,
        })
    }
}

/// `--scale N` applies to the selected stacks that scale (`max_scale` > 1),
/// within 1..max_scale of each; the others deploy as they are
/// (docs/operations.md, "Scaling up and down").
fn check_scale(project: &Project, selection: &Selection, scale: Option<u32>) -> Result<()> {
    let Some(n) = scale else { return Ok(()) };
    if n < 1 {
        return Err(Error::usage("--scale 0: a scale is 1 or more"));
    }
    for node in &selection.nodes {
        for s in &node.stacks {
            let max = project.stacks[&s.stack].max_scale;
            if max > 1 && n > max {
                return Err(Error::usage(format!(
                    "--scale {n}: stack `{}` scales within 1..{max} (max_scale in its stack.toml)",
                    s.stack
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn cli(line: &str) -> Cli {
        Cli::try_parse_from(line.split(' ')).unwrap()
    }

    #[test]
    fn an_optional_target_defaults_to_all_and_a_required_one_is_kept() {
        let args::Command::Status(a) = cli("homectl status").command else {
            panic!("not status")
        };
        assert_eq!(
            SelectSettings::from(a),
            SelectSettings {
                target: "all".into(),
                names: vec![]
            }
        );
        let args::Command::Down(a) = cli("homectl down core backend --yes").command else {
            panic!("not down")
        };
        let down = DownSettings::from(a);
        assert!(down.yes);
        assert_eq!(
            down.select,
            SelectSettings {
                target: "core".into(),
                names: vec!["backend".into()]
            }
        );
    }

    fn lab() -> GlobalSettings {
        GlobalSettings::resolve(&cli(&format!(
            "homectl -i {}/inventory/lab.toml status",
            env!("CARGO_MANIFEST_DIR")
        )))
    }

    fn rollback(line: &str) -> Result<DeploySettings> {
        let args::Command::Rollback(a) = cli(line).command else {
            panic!("not rollback")
        };
        DeploySettings::rollback(a, &lab())
    }

    /// A rollback is a deploy that always runs every step, at the scale
    /// each node runs, by history or at `--to T`.
    #[test]
    fn a_rollback_is_a_forced_deploy_by_history_or_at_a_tag() {
        let by_history = rollback("homectl rollback core backend").unwrap();
        assert_eq!(by_history.target, Target::RollbackByHistory);
        assert_eq!(by_history.tag, "history");
        assert!(by_history.force && !by_history.dry_run && !by_history.no_rollback);
        assert_eq!(by_history.scale, None);
        assert_eq!(by_history.selection.nodes.len(), 1);
        let to = rollback("homectl rollback workers --to abc1234 --no-rollback").unwrap();
        assert_eq!(
            (to.target, to.tag.as_str()),
            (Target::RollbackToTag, "abc1234")
        );
        assert!(to.force && to.no_rollback);
        let bad = rollback("homectl rollback core --to a/b").unwrap_err();
        assert_eq!(bad.exit_code(), 2, "{bad}");
    }

    #[test]
    fn a_deploy_checks_its_scale_against_the_selection() {
        let deploy = |line: &str| {
            let args::Command::Deploy(a) = cli(line).command else {
                panic!("not deploy")
            };
            DeploySettings::resolve(a, &lab())
        };
        let ok = deploy("homectl deploy workers --tag abc1234 --scale 2 --dry-run").unwrap();
        assert_eq!((ok.scale, ok.dry_run, ok.force), (Some(2), true, false));
        assert_eq!(ok.target, Target::Tag);
        for line in [
            "homectl deploy workers --tag abc1234 --scale 0",
            "homectl deploy workers --tag abc1234 --scale 99",
            "homectl deploy workers --tag a/b",
            "homectl deploy nowhere --tag abc1234",
        ] {
            assert_eq!(deploy(line).unwrap_err().exit_code(), 2, "{line}");
        }
    }

    #[test]
    fn the_inventory_path_has_its_default() {
        let global = GlobalSettings::resolve(&cli("homectl -i inv.toml --json check"));
        assert_eq!(global.inventory, PathBuf::from("inv.toml"));
        assert!(global.printer().json);
    }
}

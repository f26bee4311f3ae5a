//! The settings of the commands whose flags need no inventory to mean
//! something: plain structs, one per command (docs/architecture.md,
//! "The flow").

use std::path::PathBuf;

use super::SelectSettings;
use crate::cli::args;

/// `history [TARGET] [-n N]`.
#[derive(Debug, Clone)]
pub struct HistorySettings {
    pub select: SelectSettings,
    /// How many records, newest first.
    pub limit: usize,
}

impl HistorySettings {
    pub fn new(target: Option<String>, limit: usize) -> Self {
        HistorySettings {
            select: SelectSettings::new(target, Vec::new()),
            limit,
        }
    }
}

/// `down TARGET [NAME...] [--yes]`.
#[derive(Debug, Clone)]
pub struct DownSettings {
    pub select: SelectSettings,
    /// Do not ask (required when stdin is not a terminal).
    pub yes: bool,
}

impl From<args::DownArgs> for DownSettings {
    fn from(a: args::DownArgs) -> Self {
        DownSettings {
            select: a.target.into(),
            yes: a.yes,
        }
    }
}

/// `logs NODE [SERVICE] [-f] [--tail N]`.
#[derive(Debug, Clone)]
pub struct LogsSettings {
    pub node: String,
    pub service: Option<String>,
    pub follow: bool,
    pub tail: Option<u32>,
}

impl From<args::LogsArgs> for LogsSettings {
    fn from(a: args::LogsArgs) -> Self {
        LogsSettings {
            node: a.node,
            service: a.service,
            follow: a.follow,
            tail: a.tail,
        }
    }
}

/// `exec NODE [stack:S] SERVICE [-it] [--replica N] -- CMD...`.
#[derive(Debug, Clone)]
pub struct ExecSettings {
    pub node: String,
    /// `[stack:S] SERVICE`.
    pub service: Vec<String>,
    pub tty: bool,
    /// The compose replica, 1 or more (none: 1); of a swarm stack, the
    /// task's slot (none: any task on the node).
    pub replica: Option<u32>,
    pub command: Vec<String>,
}

impl From<args::ExecArgs> for ExecSettings {
    fn from(a: args::ExecArgs) -> Self {
        ExecSettings {
            node: a.node,
            service: a.service,
            tty: a.tty,
            replica: a.replica,
            command: a.command,
        }
    }
}

/// `run NODE [stack:S] SERVICE [--raw] -- CMD...`.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub node: String,
    /// `[stack:S] SERVICE`.
    pub service: Vec<String>,
    /// Pass the output unmasked.
    pub raw: bool,
    pub command: Vec<String>,
}

impl From<args::RunArgs> for RunSettings {
    fn from(a: args::RunArgs) -> Self {
        RunSettings {
            node: a.node,
            service: a.service,
            raw: a.raw,
            command: a.command,
        }
    }
}

/// The CI systems `init --ci` writes a workflow for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiWorkflow {
    Github,
}

/// `init [DIR] [--ci github]`.
#[derive(Debug, Clone)]
pub struct InitSettings {
    pub dir: PathBuf,
    pub ci: Option<CiWorkflow>,
}

impl From<args::InitArgs> for InitSettings {
    fn from(a: args::InitArgs) -> Self {
        InitSettings {
            dir: a.dir,
            ci: a.ci.map(|ci| match ci {
                args::CiKind::Github => CiWorkflow::Github,
            }),
        }
    }
}

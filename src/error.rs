//! One error type for the whole tool. Each variant knows its exit code
//! (docs/operations.md, "Exit codes"): 2 for invalid input (nothing was touched),
//! 1 for failures at run time, 130 for an interruption.

use crate::inventory::{ConfigError, ConfigErrors};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory, stack files or compose files are invalid: every
    /// mistake found, up to a cap (inventory/config_errors.rs).
    #[error(transparent)]
    Config(#[from] Box<ConfigErrors>),
    /// The command line is invalid (a bad tag, an unknown name, a scale out of range).
    #[error("{0}")]
    Usage(String),
    /// Something failed at run time: a node, the registry, a secret provider.
    #[error("{0}")]
    Runtime(String),
    /// Something failed at run time on these nodes (the message names them too).
    #[error("{message}")]
    Nodes { message: String, nodes: Vec<String> },
    /// The operator pressed Ctrl-C.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Runtime(_) | Error::Nodes { .. } => 1,
            Error::Interrupted => 130,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Error::Runtime(message.into())
    }

    /// A failure at run time on some nodes, named for `--json` (docs/operations.md, "Exit codes").
    pub fn on_nodes<S: AsRef<str>>(message: impl Into<String>, nodes: &[S]) -> Self {
        Error::Nodes {
            message: message.into(),
            nodes: nodes.iter().map(|n| n.as_ref().to_string()).collect(),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(Box::new(ConfigErrors::one(error)))
    }
}

impl From<ConfigErrors> for Error {
    fn from(errors: ConfigErrors) -> Self {
        Error::Config(Box::new(errors))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Why a node's deploy did not finish: one error type, one message each
//! (what `deploy` prints per node and records in the history's detail).

use super::{StartError, StepError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NodeError {
    #[error("{0}")]
    Connect(String),
    #[error("locked by {holder}; if that deploy is gone, run `homectl unlock {node}`")]
    Locked { holder: String, node: String },
    #[error("no state folder can be created and written on the node (tried {tried})")]
    NoStateDir { tried: String },
    /// The remote shell did not start for another reason.
    #[error("{0}")]
    Start(String),
    /// The step exited non-zero: its last lines, secrets masked.
    #[error("{output}")]
    StepFailed { output: String },
    #[error("no answer within {secs}s")]
    Timeout { secs: u64 },
    #[error("connection lost: {0}")]
    Lost(String),
    #[error("interrupted before this step")]
    Interrupted,
    /// The planner refused (a rollback with nothing to go back to).
    #[error("{0}")]
    Plan(String),
    #[error("cannot read {path}: {error}")]
    Unreadable { path: String, error: String },
    #[error("the history was not written: {0}")]
    RecordNotWritten(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A node's failure: the step it stopped at, why, and what happened after
/// (a rollback, its own failure), one line each.
#[derive(Debug, Clone)]
pub struct NodeFailure {
    pub step: String,
    pub error: NodeError,
    pub notes: Vec<String>,
}

impl NodeFailure {
    pub fn new(step: impl Into<String>, error: NodeError) -> NodeFailure {
        NodeFailure {
            step: step.into(),
            error,
            notes: Vec::new(),
        }
    }

    pub fn interrupted(&self) -> bool {
        self.error == NodeError::Interrupted
    }

    /// The message, then the notes, one a line.
    pub fn reason(&self) -> String {
        std::iter::once(self.error.to_string())
            .chain(self.notes.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

impl NodeError {
    /// Why the remote shell of `node` did not start.
    pub fn of_start(err: StartError, node: &str) -> NodeError {
        match err {
            StartError::Locked(holder) => NodeError::Locked {
                holder,
                node: node.to_string(),
            },
            StartError::NoStateDir(tried) => NodeError::NoStateDir { tried },
            StartError::Other(e) => NodeError::Start(e),
        }
    }

    /// Why a step did not answer within `timeout`.
    pub fn of_step(err: StepError, timeout: std::time::Duration) -> NodeError {
        match err {
            StepError::Timeout => NodeError::Timeout {
                secs: timeout.as_secs(),
            },
            StepError::Lost(e) => NodeError::Lost(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_a_failure_with_its_notes_below() {
        let locked = NodeError::of_start(StartError::Locked("me@host (pid 1)".into()), "node-a");
        assert_eq!(
            locked.to_string(),
            "locked by me@host (pid 1); if that deploy is gone, run `homectl unlock node-a`"
        );
        let mut f = NodeFailure::new(
            "health web",
            NodeError::of_step(StepError::Timeout, std::time::Duration::from_secs(90)),
        );
        assert!(!f.interrupted());
        f.note("rolled back to abc");
        assert_eq!(f.reason(), "no answer within 90s\nrolled back to abc");
        assert!(NodeFailure::new("up", NodeError::Interrupted).interrupted());
        assert_eq!(
            NodeError::of_step(StepError::Lost("eof".into()), Default::default()).to_string(),
            "connection lost: eof"
        );
    }
}

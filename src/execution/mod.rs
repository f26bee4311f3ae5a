//! Stage 4 of the flow: running steps on nodes over SSH.

pub mod fanout;
pub mod interrupt;
pub mod node_deploy;
pub mod node_session;
pub mod operator;
pub mod remote_shell;
pub mod ssh;

pub use remote_shell::{RemoteShell, StartError, StepError, StepOutput};

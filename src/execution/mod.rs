//! Stage 4 of the flow: running steps on nodes over SSH.

pub mod deploy_phases;
pub mod fanout;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod holder_tests;
pub mod interrupt;
pub mod moved_stacks;
pub mod node_deploy;
mod node_deploy_apply;
pub mod node_deploy_error;
pub mod node_prune;
pub mod node_session;
pub mod one_off;
pub mod operator;
pub mod remote_shell;
pub mod reporter;
pub mod ssh;
pub mod step_output;
pub mod swarm_deploy;
pub mod swarm_deploy_prune;
pub mod swarm_down;
pub mod swarm_exec;
pub mod swarm_history;
pub mod swarm_plan;
pub mod swarm_prune;
pub mod swarm_restart;
pub mod swarm_session;
pub mod swarm_status;
pub mod transport;

/// How a one-off command's channel starts: the holder's bootstrap (its
/// code comes first on stdin), see `one_off.rs`.
pub use remote_shell::BOOTSTRAP as ONE_OFF_BOOTSTRAP;
pub use remote_shell::{RemoteShell, StartError, StepError, StepOutput};

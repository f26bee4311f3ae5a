//! One file per subcommand: each wires inventory → plan → remote commands
//! → execution → report for its job.

pub mod check;
pub mod config;
pub mod deploy;
pub mod down;
pub mod exec;
pub mod history;
pub mod init;
pub mod logs;
pub mod plan;
pub mod preflight;
pub mod preflight_folder;
pub mod prune;
pub mod restart;
pub mod run;
pub mod secrets_in_files;
pub mod status;
pub mod swarm_deploy;
pub mod unlock;

/// The async runtime for commands that talk to nodes.
pub fn runtime() -> crate::error::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::Error::runtime(format!("cannot start the async runtime: {e}")))
}

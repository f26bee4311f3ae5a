//! One file per subcommand: each wires inventory → plan → remote commands
//! → execution → report for its job.

pub mod check;
pub mod completions;
pub mod deploy;
pub mod preflight;
pub mod status;
pub mod history;
pub mod init;
pub mod unlock;
pub mod logs;
pub mod rollback;
pub mod down;

/// The async runtime for commands that talk to nodes.
pub fn runtime() -> crate::error::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::Error::runtime(format!("cannot start the async runtime: {e}")))
}

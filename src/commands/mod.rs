//! One file per subcommand: each wires inventory → plan → remote commands
//! → execution → report for its job.

pub mod check;
pub mod preflight;

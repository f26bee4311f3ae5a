#![deny(clippy::print_stdout, clippy::print_stderr)]
//! homectl: deploy docker compose stacks to homelab nodes over SSH.
//!
//! The flow, one folder a stage: `inventory` (files → checked model) →
//! `plan` (selection, tags, what to run) → `remote` (the shell commands a
//! plan becomes) → `execution` (SSH sessions that run them) → `report`
//! (what the operator sees). `commands` wires them together per subcommand.

pub mod cli;
pub mod commands;
pub mod error;
pub mod execution;
pub mod inventory;
pub mod plan;
pub mod remote;
pub mod report;
pub mod secrets;
pub mod settings;

pub use cli::run;

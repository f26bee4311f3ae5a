//! Stage 5 of the flow: what the operator sees (tables, progress, JSON).

pub mod config_view;
pub mod error_json;
pub mod escape;
pub mod plan_summary;
pub mod preflight_table;
pub mod printer;
pub mod progress;
pub mod status_table;
pub mod swarm_plan_summary;
pub mod swarm_status;

pub use printer::Printer;

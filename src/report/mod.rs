//! Stage 5 of the flow: what the operator sees (tables, progress, JSON).

pub mod preflight_table;
pub mod printer;
pub mod progress;

pub use printer::Printer;

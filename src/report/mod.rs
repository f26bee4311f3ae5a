//! Stage 5 of the flow: what the operator sees (tables, progress, JSON).

pub mod preflight_table;

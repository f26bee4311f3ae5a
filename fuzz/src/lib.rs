//! The checks the fuzz targets run; shared with tests/fuzz_props.rs,
//! which includes harness.rs by path.
mod harness;
pub use harness::*;

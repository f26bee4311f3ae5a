//! What the fuzz targets (fuzz/fuzz_targets/) and the property test
//! (tests/fuzz_props.rs) check: each function takes raw bytes, drives one
//! of homectl's input-facing functions with them, and panics only where a
//! property is broken. Errors returned by homectl are fine; a panic inside
//! homectl is the bug being looked for. One target a file here, beside
//! the bundles (several files in one input) and the scratch folder.
//!
//! This folder is compiled twice: as the `homectl_fuzz` library of the fuzz
//! crate, and into tests/fuzz_props.rs by `#[path]`. So it uses nothing
//! but std, homectl and homectl's own dependencies (miette).
#![allow(dead_code)]

mod bundle;
mod diagnostics;
mod history;
mod load;
mod refs_names;
mod scratch;
mod select;

pub use bundle::*;
pub use diagnostics::*;
pub use history::*;
pub use load::*;
pub use refs_names::*;
pub use select::*;

/// Where a bundle's inventory goes when the bundle names no file first.
pub const DEFAULT_INVENTORY: &str = "inventory.toml";

/// At most this many files in a bundle (more are ignored).
const MAX_FILES: usize = 16;

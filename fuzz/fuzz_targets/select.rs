//! `plan::select` with any TARGET and NAMEs (one a line, the first is
//! TARGET) against the repository's inventory/lab.toml.
#![no_main]
use std::path::Path;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let project = homectl_fuzz::lab_project(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")));
    homectl_fuzz::check_select(project, data);
});

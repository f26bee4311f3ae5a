//! The inventory, stack.toml and compose.yml loaders (`inventory::load`):
//! the input is a bundle of files (see `parse_bundle`), written to a
//! scratch folder and loaded. Errors are rendered; valid projects go
//! through selection and deploy planning.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| homectl_fuzz::check_load(data));

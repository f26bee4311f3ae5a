//! Diagnostics of the loaders, rendered graphically, narrated and as
//! JSON, for files with long and wide lines, multi-byte characters and
//! secret-looking keys: no panic, and a secret planted under `[secrets]`
//! (or a key that looks like one) never in the output.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| homectl_fuzz::check_diagnostics(data));

//! `SecretRef::parse` and the name, host, tag and variable-name checks,
//! on the whole input and on each of its lines.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| homectl_fuzz::check_refs_names(data));

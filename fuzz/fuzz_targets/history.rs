//! The nodes' `HISTORY <json>` lines (they come back over SSH) and the
//! scale and rollback decisions made from them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| homectl_fuzz::check_history(data));

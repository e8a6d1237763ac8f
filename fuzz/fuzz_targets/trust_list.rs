#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| icaze_fuzz::trust_list(data));

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| icaze_fuzz::token_text(data));

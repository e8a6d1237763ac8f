#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| icaze_fuzz::regime_toml(data));

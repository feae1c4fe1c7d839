#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    case::fuzzing::subject(data);
    mail::fuzzing::subject(data);
});

//! Every stage that reads untrusted bytes (container, parser, geometry, figures, render) on
//! one input. Any panic, endless loop or runaway allocation is a bug: `exercise` must return.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ork_processor::exercise::exercise(data, &ork_processor::exercise::small_render());
});

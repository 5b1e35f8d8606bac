//! Arbitrary bytes as `.chainsmith.toml` text through `Config::parse` (the
//! size and entry-count limits, TOML, rule keys, globs), then the intent
//! lookup that `lint` runs for every file.
#![no_main]
use std::path::Path;

use chainsmith::lint::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = Config::parse(Path::new("proj/.chainsmith.toml"), text) else {
        return;
    };
    for file in ["proj/trust/ca.pem", "proj/a.crt", "other/b.p12"] {
        let _ = cfg.expect_for(Path::new(file));
        let _ = cfg.relative(Path::new(file));
    }
});

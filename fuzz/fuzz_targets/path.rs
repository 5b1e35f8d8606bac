//! The path validator behind `lint --trust` and `probe --ca-bundle`, with
//! hostile certificates: the first certificate of the input is the target,
//! the rest are the pool, and every self-issued one is also an anchor. Name
//! constraints of every form, path lengths, key usages and the work budget
//! are reached this way. The verdict must be consistent with its path.
#![no_main]
use chainsmith::pki::load::{LoadOptions, load_bytes};
use chainsmith::pki::path::{PathOptions, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = load_bytes("fuzz", data, &LoadOptions::default());
    let Some(target) = f.certs.first() else {
        return;
    };
    let pool: Vec<_> = f.certs[1..].iter().collect();
    let anchors: Vec<_> = f.certs.iter().filter(|c| c.is_self_issued()).collect();
    // A fixed time (2027-01-15) keeps runs repeatable.
    let Ok(now) = time::OffsetDateTime::from_unix_timestamp(1_800_000_000) else {
        return;
    };
    for server in [false, true] {
        let mut opts = PathOptions::new(now);
        opts.server = server;
        let v = validate(target, &pool, &anchors, &opts);
        if v.trusted {
            assert!(!v.path.is_empty(), "a trusted verdict without a path");
            assert_eq!(v.path[0].sha256, target.sha256, "the path starts elsewhere");
        }
    }
});

//! Integration tests: one binary, one file per subcommand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

mod aia;
mod bounds;
mod bundle;
mod clients;
mod consumers;
mod convert;
mod corpus;
mod e2e;
mod escapes;
mod export;
mod faults;
mod generate;
mod help;
#[cfg(unix)]
mod hijack;
mod hostile;
mod imports;
mod inspect;
mod issuance;
mod issue;
mod key_inputs;
mod limits;
mod lint;
mod names;
mod neutral;
mod probe_hostile;
mod probe_many;
mod probe_mtls;
mod properties;
mod quickstart;
mod rollover;
mod rotate;
mod rules;
mod targets;
mod vectors;
mod verdicts;
mod walks;

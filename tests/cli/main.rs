//! Integration tests: one binary, one file per subcommand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

mod bundle;
mod convert;
mod corpus;
mod e2e;
mod export;
mod faults;
mod generate;
mod help;
mod hostile;
mod inspect;
mod issue;
mod limits;
mod lint;
mod properties;
mod quickstart;
mod rules;

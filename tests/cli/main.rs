//! Integration tests: one binary, one file per subcommand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

mod corpus;
mod generate;
mod issue;
mod lint;
mod rules;

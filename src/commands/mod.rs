//! One module per subcommand. Each takes typed options, calls `pki` (and
//! `lint`), and prints only through `report::Printer`.
pub mod generate;
pub mod issue;
pub mod lint;
pub mod rules;

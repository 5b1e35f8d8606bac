//! One module per subcommand. Each takes typed options, calls `pki` (and
//! `lint`), and prints only through `report::Printer`.
pub mod bundle;
pub mod convert;
pub mod generate;
pub mod inputs;
pub mod issue;

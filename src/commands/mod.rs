//! One module per subcommand. Each takes typed options, calls `pki` (and
//! `lint`), and prints only through `report::Printer`.
pub mod bundle;
pub mod completions;
pub mod convert;
pub mod export;
pub mod generate;
pub mod inputs;
pub mod inspect;
pub mod issue;
pub mod lint;
pub mod probe;
pub mod rotate;
pub mod rules;

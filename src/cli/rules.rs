use clap::{Args, ValueEnum};

const AFTER: &str = "EXAMPLES:
  chainsmith rules                 list every rule
  chainsmith rules CS201           explain one rule (a code or a name)
  chainsmith rules --format json   the catalogue as JSON
  chainsmith rules --format markdown > docs/rules.md

EXIT CODES:
  0  success
  2  unknown rule or usage error";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct RulesArgs {
    /// A rule code (CS203) or name (wrong-order) to explain
    pub rule: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
    /// The catalogue as docs/rules.md
    Markdown,
}

//! One module per subcommand, each in three steps: resolve, run, emit.
//!
//! - **Arguments**: the clap structs in `src/cli/<command>.rs`; value enums
//!   become engine types there, through `From` (or `ValueEnum` on the
//!   engine type itself, as for `lint::Expect`).
//! - **Plan**: `<Command>Plan::resolve` here (`LintPlan`, `BundlePlan`,
//!   `InspectPlan`, `IssuePlan`, `GeneratePlan`, `ProbePlan`; rotate's
//!   `resolve`) checks the combination of flags, reads the inputs and asks
//!   for passwords. Flag names in messages belong here, never in `pki`.
//! - **Engine call**: the plan's run calls `pki`, `lint` or `export` (each
//!   export target in `src/export/<target>.rs` returns its files, and
//!   `write` in `commands/export.rs` writes them once).
//! - **Output**: only through `report::Printer`; lint and probe build a
//!   `report::LintReport` (the one place their exit code is computed) and
//!   render it with `report::emit`.
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

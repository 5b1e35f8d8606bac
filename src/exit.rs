//! The exit-code contract, the same for every command and output format.
use std::process::ExitCode;

/// 0 clean, 1 findings at or above `--fail-on`, 2 usage, I/O or failed work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    Clean = 0,
    Findings = 1,
    Error = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

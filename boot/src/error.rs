//! The tool's error type: a one-line message plus the process exit code.
//!
//! Exit codes: 1 = the kernel or a test failed (or the suite could not be
//! completed), 2 = the tool could not do its job (bad usage, missing files,
//! missing QEMU, image build or I/O failure).

use std::fmt;

/// Exit code for "the kernel/test suite failed".
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for usage and environment errors.
pub const EXIT_USAGE: u8 = 2;

/// An error with a user-facing message and the exit code it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub exit_code: u8,
}

impl Error {
    /// Bad command line or environment (missing file, missing QEMU): exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: EXIT_USAGE,
        }
    }

    /// The kernel or the suite failed: exit 1.
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: EXIT_FAILURE,
        }
    }

    /// An I/O problem on the host, with context: exit 2.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Self::usage(format!("{context}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

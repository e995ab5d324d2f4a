//! [`CmdlineError`]: every way a command line or log spec can be rejected,
//! with a `Display` that names the offending word and what was expected.

use alloc::string::String;
use core::fmt;

use crate::options::KNOWN_OPTIONS;

/// Why a command line (or a log spec) was rejected.
///
/// The `Display` text is meant to be shown to the person who typed the
/// command line as is, e.g.
/// ``unknown option `foo` (known: mode, log, ktest.filter, ktest.skip, ktest.timeout, timer.hz, verbose, vmstat, prof, prof.comm)``.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmdlineError {
    /// A key that is not one of [`KNOWN_OPTIONS`].
    UnknownOption {
        /// The key as written.
        key: String,
    },
    /// A word of the form `=value`.
    EmptyKey {
        /// The whole word.
        word: String,
    },
    /// The same key given twice.
    DuplicateOption {
        /// The key.
        key: &'static str,
    },
    /// `key` or `key=` for an option that needs a value.
    MissingValue {
        /// The key.
        key: &'static str,
    },
    /// `key=value` for a flag.
    UnexpectedValue {
        /// The flag.
        key: &'static str,
        /// The value given to it.
        value: String,
    },
    /// `mode=` something other than `demo`, `test`, `bench` or `user`.
    InvalidMode {
        /// The value given.
        value: String,
    },
    /// A numeric option whose value is not all decimal digits.
    InvalidNumber {
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
    },
    /// A numeric option whose value is outside its allowed range.
    NumberOutOfRange {
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// An empty log spec.
    EmptyLogSpec,
    /// A log spec with an empty entry (`info,,uvm=debug`).
    EmptyLogEntry {
        /// The whole spec.
        spec: String,
    },
    /// A word in a log spec that is not a level name.
    InvalidLevel {
        /// The word.
        level: String,
        /// The word stood alone (no `=`), so it may have been meant as a
        /// module path; the message then hints at `path=LEVEL`.
        bare: bool,
    },
    /// A module path in a log spec that is not `ident(::ident)*`.
    InvalidModulePath {
        /// The path as written.
        path: String,
    },
    /// A log spec that gives the default level more than once.
    DuplicateLogDefault {
        /// The whole spec.
        spec: String,
    },
    /// A log spec that gives the same module path more than once.
    DuplicateLogRule {
        /// The module path.
        path: String,
    },
    /// A `"` in the init arguments (after `--`) that is never closed.
    UnterminatedQuote {
        /// The argument read so far (from its start to the end of the line).
        arg: String,
    },
}

/// The list of known keys, comma-separated.
struct Known;

impl fmt::Display for Known {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in KNOWN_OPTIONS.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(k)?;
        }
        Ok(())
    }
}

const LEVELS: &str = "off, error, warn, info, debug or trace";

impl fmt::Display for CmdlineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdlineError::UnknownOption { key } => {
                write!(f, "unknown option `{key}` (known: {Known})")
            }
            CmdlineError::EmptyKey { word } => {
                write!(
                    f,
                    "missing option name before `=` in `{word}` (known: {Known})"
                )
            }
            CmdlineError::DuplicateOption { key } => {
                write!(f, "option `{key}` given more than once")
            }
            CmdlineError::MissingValue { key } => {
                write!(
                    f,
                    "option `{key}` needs a value: `{key}={}`",
                    value_hint(key)
                )
            }
            CmdlineError::UnexpectedValue { key, value } => {
                write!(
                    f,
                    "option `{key}` is a flag and takes no value (got `{key}={value}`)"
                )
            }
            CmdlineError::InvalidMode { value } => {
                write!(
                    f,
                    "invalid mode `{value}` (expected `demo`, `test`, `bench` or `user`)"
                )
            }
            CmdlineError::InvalidNumber { key, value } => {
                write!(
                    f,
                    "invalid value `{value}` for `{key}`: expected a decimal number"
                )
            }
            CmdlineError::NumberOutOfRange {
                key,
                value,
                min,
                max,
            } => write!(
                f,
                "value `{value}` for `{key}` is out of range (allowed {min}..={max})"
            ),
            CmdlineError::EmptyLogSpec => f.write_str(
                "empty log spec (expected LEVEL or module::path=LEVEL, comma-separated)",
            ),
            CmdlineError::EmptyLogEntry { spec } => {
                write!(f, "empty entry in log spec `{spec}`")
            }
            CmdlineError::InvalidLevel { level, bare: false } => {
                write!(f, "invalid log level `{level}` (expected {LEVELS})")
            }
            CmdlineError::InvalidLevel { level, bare: true } => write!(
                f,
                "invalid log level `{level}` (expected {LEVELS}; \
                 to set a module's level write `{level}=LEVEL`)"
            ),
            CmdlineError::InvalidModulePath { path } => write!(
                f,
                "invalid module path `{path}` in log spec \
                 (expected identifiers separated by `::`)"
            ),
            CmdlineError::DuplicateLogDefault { spec } => {
                write!(f, "log spec `{spec}` sets the default level more than once")
            }
            CmdlineError::DuplicateLogRule { path } => {
                write!(f, "log spec sets the level of `{path}` more than once")
            }
            CmdlineError::UnterminatedQuote { arg } => write!(
                f,
                "unterminated `\"` in the init arguments (in `{}`)",
                arg.escape_debug()
            ),
        }
    }
}

impl core::error::Error for CmdlineError {}

fn value_hint(key: &str) -> &'static str {
    match key {
        "mode" => "demo|test|bench|user",
        "log" => "SPEC",
        "ktest.filter" => "SUBSTRING",
        "ktest.timeout" => "MS",
        "prof.comm" => "NAME",
        _ => "N",
    }
}

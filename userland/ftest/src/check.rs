//! What a test program declares: its checks and its helper entries.
//!
//! A check is a named function returning `Err(reason)` on failure, run by
//! the harness in an isolated child. A helper is an entry point the program
//! reaches when it re-executes itself with `--helper NAME ARGS...` (exec and
//! fork checks need a second program image; the program itself is one).
//! This module only describes; running lives in `runner`.

/// The body of a check: `Ok(())` or `Err(reason)` (reason lines are printed
/// indented under the FAILED line).
pub type CheckFn = fn() -> Result<(), String>;

/// The body of a helper: receives the words after `--helper NAME`, returns
/// the process exit status.
pub type HelperFn = fn(&[String]) -> i32;

/// Default time limit of one check, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u32 = 30;

/// One check of a test program.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// Short name; the full name is `user::<prog>::<name>`.
    pub name: &'static str,
    /// The check itself (runs in a forked child).
    pub run: CheckFn,
    /// Only meaningful on Ferrite: reported as skipped elsewhere.
    pub ferrite_only: bool,
    /// Time limit; the child's process group is killed when it expires.
    pub timeout_secs: u32,
}

impl Check {
    /// A check with the default options.
    pub const fn new(name: &'static str, run: CheckFn) -> Self {
        Check {
            name,
            run,
            ferrite_only: false,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }

    /// Marks the check as meaningful on Ferrite only.
    pub const fn ferrite_only(mut self) -> Self {
        self.ferrite_only = true;
        self
    }

    /// Sets the time limit in seconds.
    pub const fn timeout(mut self, secs: u32) -> Self {
        self.timeout_secs = secs;
        self
    }
}

/// A helper entry reached through `prog --helper NAME ARGS...`.
#[derive(Clone, Copy, Debug)]
pub struct Helper {
    pub name: &'static str,
    pub run: HelperFn,
}

/// Builds a `&[Check]` from check functions, named after the functions;
/// options follow as method calls:
///
/// ```ignore
/// const CHECKS: &[ftest::Check] = ftest::checks![
///     exit_status_263_is_7,
///     orphan_ppid_is_1.ferrite_only(),
///     hundred_children.timeout(120),
/// ];
/// ```
#[macro_export]
macro_rules! checks {
    ($($f:ident $(. $opt:ident ( $($arg:expr)? ))* ),* $(,)?) => {
        &[$( $crate::Check::new(stringify!($f), $f) $(.$opt($($arg)?))* ),*]
    };
}

/// Builds a `&[Helper]` from helper functions, named after the functions.
#[macro_export]
macro_rules! helpers {
    ($($f:ident),* $(,)?) => {
        &[$( $crate::Helper { name: stringify!($f), run: $f } ),*]
    };
}

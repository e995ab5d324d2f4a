//! The userland check harness.
//!
//! A test program lists its checks and hands them to [`main`]; every check
//! runs in a forked child in its own process group, under a time limit, and
//! produces exactly one result line (`test user::<prog>::<check> ... ok`),
//! so a crash or a hang fails only that check. The same binaries run on
//! Ferrite and on Linux; Linux is the reference for behaviour.
//!
//! The crate owns the harness (running, isolating, reporting) and the small
//! vocabulary checks are written in (assertion macros, errno helpers, child
//! processes, re-executing the program as a helper). It never decides what a
//! check expects: that belongs to the test programs.

pub mod assert;
pub mod check;
pub mod errno;
pub mod platform;
pub mod proc;
mod report;
mod runner;
pub mod signame;

pub use check::{Check, CheckFn, Helper, HelperFn};
pub use errno::{errname, errno, expect_errno, sys};
pub use platform::{on_ferrite, self_path, tmp_path};
pub use proc::{WaitStatus, run_helper, spawn, wait_pid};
pub use runner::{PROBE_ENV, PROBE_EXIT_STATUS, exit_if_probe, main, main_with_helpers};
pub use signame::signame;

/// `Err(String)` with the failure reason: what every check returns.
pub type CheckResult = Result<(), String>;

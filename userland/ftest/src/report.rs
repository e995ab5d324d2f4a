//! The result lines, exactly as the host tool counts them:
//!
//! ```text
//! test user::<prog>::<check> ... ok
//! test user::<prog>::<check> ... FAILED
//!   reason line
//! test user::<prog>::<check> ... skipped (Ferrite only)
//! ```
//!
//! A result (with its reason lines) goes out in a single write(2) on fd 1,
//! so results of different processes never interleave.

use crate::proc::write_all;

/// The verdict on one check.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Passed,
    Failed(String),
    Skipped,
}

/// The text of one result: the `test ...` line and, for a failure, the
/// reason indented by two spaces (an empty reason still says something).
pub(crate) fn result_text(full_name: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Passed => format!("test {full_name} ... ok\n"),
        Outcome::Skipped => format!("test {full_name} ... skipped (Ferrite only)\n"),
        Outcome::Failed(reason) => {
            let mut text = format!("test {full_name} ... FAILED\n");
            let reason = if reason.trim().is_empty() {
                "no reason given"
            } else {
                reason.trim_end()
            };
            for line in reason.lines() {
                text.push_str("  ");
                text.push_str(line);
                text.push('\n');
            }
            text
        }
    }
}

/// Writes `text` to standard output in one write (retrying only if the
/// kernel takes part of it).
pub(crate) fn emit(text: &str) {
    write_all(1, text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_each_outcome() {
        assert_eq!(
            result_text("user::p::a", &Outcome::Passed),
            "test user::p::a ... ok\n"
        );
        assert_eq!(
            result_text("user::p::a", &Outcome::Skipped),
            "test user::p::a ... skipped (Ferrite only)\n"
        );
        assert_eq!(
            result_text("user::p::a", &Outcome::Failed("x.rs:1: bad\nmore\n".into())),
            "test user::p::a ... FAILED\n  x.rs:1: bad\n  more\n"
        );
        assert_eq!(
            result_text("user::p::a", &Outcome::Failed(String::new())),
            "test user::p::a ... FAILED\n  no reason given\n"
        );
    }
}

//! Counting result lines (`test NAME ... ok|FAILED|skipped (Ferrite only)`)
//! in the output forwarded from test programs. Only whole lines count;
//! reason lines and anything else a program prints pass through uncounted.

/// Which result a line reports, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    Skipped,
}

/// Classifies one output line (without its newline).
pub fn classify(line: &[u8]) -> Option<Verdict> {
    if !line.starts_with(b"test ") {
        return None;
    }
    if line.ends_with(b" ... ok") {
        Some(Verdict::Passed)
    } else if line.ends_with(b" ... FAILED") {
        Some(Verdict::Failed)
    } else if line.ends_with(b" ... skipped (Ferrite only)") {
        Some(Verdict::Skipped)
    } else {
        None
    }
}

/// Running totals over the whole suite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: u32,
    pub failed: u32,
    pub skipped: u32,
}

impl Tally {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Passed => self.passed += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Skipped => self.skipped += 1,
        }
    }

    /// Counts every result line in a block of whole lines.
    pub fn add_lines(&mut self, text: &[u8]) {
        for line in text.split(|&b| b == b'\n') {
            if let Some(v) = classify(line) {
                self.add(v);
            }
        }
    }

    /// The suite's last line.
    pub fn summary(&self) -> String {
        format!(
            "user: {} passed, {} failed, {} skipped\n",
            self.passed, self.failed, self.skipped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_result_lines_only() {
        assert_eq!(classify(b"test user::a::b ... ok"), Some(Verdict::Passed));
        assert_eq!(
            classify(b"test user::a::b ... FAILED"),
            Some(Verdict::Failed)
        );
        assert_eq!(
            classify(b"test user::a::b ... skipped (Ferrite only)"),
            Some(Verdict::Skipped)
        );
        assert_eq!(classify(b"  test user::a::b ... ok"), None);
        assert_eq!(classify(b"test user::a::b ... okay"), None);
        assert_eq!(classify(b"random output"), None);
    }

    #[test]
    fn tallies_blocks_and_prints_the_summary() {
        let mut t = Tally::default();
        t.add_lines(b"test a ... ok\ntest b ... FAILED\n  why\ntest c ... ok\n");
        t.add_lines(b"test d ... skipped (Ferrite only)\n");
        assert_eq!(
            t,
            Tally {
                passed: 2,
                failed: 1,
                skipped: 1
            }
        );
        assert_eq!(t.summary(), "user: 2 passed, 1 failed, 1 skipped\n");
    }
}

//! The performance goals, in one place: for each benchmark (matched by
//! name prefix) the largest Ferrite/Linux ratio that meets its goal, and
//! the goals that compare two figures of the same kernel (fork+exit flat in
//! the number of idle processes, mmap+munmap flat in the number of
//! mappings). The figures come from issues 9 to 14; the report
//! ([`crate::bench_report`]) checks every row against this table.

/// A goal on the ratio Ferrite / Linux of one figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioGoal {
    /// Figures whose name starts with this (`fork_touch` covers
    /// `fork_touch_4m` and `fork_touch_64m`).
    pub prefix: &'static str,
    /// Met when Ferrite / Linux ≤ this.
    pub max_ratio: f64,
}

/// Ferrite / Linux goals. A figure matches the first entry whose prefix
/// it starts with; none of these prefixes is a prefix of another.
pub const RATIO_GOALS: &[RatioGoal] = &[
    RatioGoal {
        prefix: "fork_exit",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "idle_child_memory",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "fork_exec",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "syscall_null",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "pipe_pingpong",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "pagefault_anon",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "mmap_munmap",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "fork_touch",
        max_ratio: 0.7,
    },
    RatioGoal {
        prefix: "mlock_munlock",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "signal_roundtrip",
        max_ratio: 0.5,
    },
    RatioGoal {
        prefix: "sigsegv_roundtrip",
        max_ratio: 0.5,
    },
];

/// The ratio goal of a figure, if it has one.
pub fn ratio_goal(name: &str) -> Option<&'static RatioGoal> {
    RATIO_GOALS.iter().find(|g| name.starts_with(g.prefix))
}

/// A goal on one kernel's own figures: `figure / base ≤ max_ratio`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatGoal {
    pub figure: &'static str,
    pub base: &'static str,
    pub max_ratio: f64,
    /// What it means, for the report.
    pub what: &'static str,
}

/// Flatness goals (checked on Ferrite; Linux shown for reference).
pub const FLAT_GOALS: &[FlatGoal] = &[
    FlatGoal {
        figure: "fork_exit K=4096",
        base: "fork_exit K=0",
        max_ratio: 1.05,
        what: "fork+exit+wait flat in the number of idle processes",
    },
    FlatGoal {
        figure: "mmap_munmap_m20000",
        base: "mmap_munmap_m20",
        max_ratio: 1.3,
        what: "mmap+munmap flat in the number of mappings",
    },
];

/// The goal of a ratio as the report prints it (`≤ 0.5×`).
pub fn describe(max_ratio: f64) -> String {
    format!("≤ {max_ratio}×")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(ratio_goal("fork_exit K=4096").unwrap().max_ratio, 0.5);
        assert_eq!(ratio_goal("fork_exec").unwrap().prefix, "fork_exec");
        assert_eq!(ratio_goal("fork_touch_64m").unwrap().max_ratio, 0.7);
        assert_eq!(ratio_goal("mmap_munmap_m20000").unwrap().max_ratio, 0.5);
        assert_eq!(ratio_goal("ptrace_peekdata"), None);
        assert_eq!(describe(0.5), "≤ 0.5×");
    }

    #[test]
    fn no_prefix_shadows_another() {
        for (i, a) in RATIO_GOALS.iter().enumerate() {
            for (j, b) in RATIO_GOALS.iter().enumerate() {
                assert!(
                    i == j || !b.prefix.starts_with(a.prefix),
                    "{} / {}",
                    a.prefix,
                    b.prefix
                );
            }
        }
    }
}

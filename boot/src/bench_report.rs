//! The table writer (pure): turns the figures of a benchmark suite run
//! into `bench-results/latest.md`: the userland benchmarks side by side
//! with Linux (ratio and goal from [`crate::bench_goals`]), the fork+exit
//! scaling table with the memory cost per idle process and the plot, the
//! flatness goals, and the in-kernel benchmarks. A figure one kernel did
//! not produce shows as `—`; when Linux was not measured at all the
//! report says why at the top and the Linux columns read `n/a`.

use std::fmt::Write;

use crate::bench_goals::{self, FLAT_GOALS};
use crate::bench_result::Figure;

/// The figures of one kind of boot on both kernels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pair {
    pub ferrite: Vec<Figure>,
    /// `None`: Linux was not measured (see [`Report::linux`]).
    pub linux: Option<Vec<Figure>>,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `git rev-parse --short HEAD`, or `unknown`.
    pub commit: String,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The Linux kernel measured (`Ok`: package and version), or why
    /// there is no Linux column (`Err`).
    pub linux: Result<String, String>,
    /// Guest memory of the userland boots and of the scaling boots (MiB).
    pub memory_mib: u32,
    pub scaling_memory_mib: u32,
    /// The userland benchmarks (`None`: not run, e.g. `--only`).
    pub user: Option<Pair>,
    /// The fork+exit scaling benchmark.
    pub scaling: Option<Pair>,
    /// The SVG plot of the scaling benchmark, relative to the report.
    pub plot: Option<String>,
    /// The in-kernel benchmarks (Ferrite only).
    pub kernel: Option<Vec<Figure>>,
    /// What went wrong during the run.
    pub problems: Vec<String>,
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio as the tables print it: two decimals and `×`.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den != 0).then(|| num as f64 / den as f64)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{r:.2}×"))
}

/// Bytes as KiB with one decimal.
fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn lookup<'a>(figures: &'a [Figure], name: &str) -> Option<&'a Figure> {
    figures.iter().find(|f| f.name == name)
}

/// Whether the goal is met, and by how much it is missed.
fn verdict(r: Option<f64>, max: f64) -> String {
    match r {
        None => "—".into(),
        Some(r) if r <= max => "yes".into(),
        Some(r) => format!("no ({:.2}× over)", r / max),
    }
}

/// The K of a `<prefix> K=<k>` figure.
fn k_of(name: &str, prefix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?.strip_prefix(" K=")?.parse().ok()
}

/// The scaling series of one kernel: (K, fork+exit+wait cost), in K order.
pub fn scaling_series(figures: &[Figure]) -> Vec<(u64, u64)> {
    let mut s: Vec<(u64, u64)> = figures
        .iter()
        .filter_map(|f| Some((k_of(&f.name, "fork_exit")?, f.value)))
        .collect();
    s.sort_unstable();
    s
}

impl Report {
    /// The Markdown text.
    pub fn render(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Ferrite benchmarks\n");
        let _ = writeln!(
            md,
            "Guest instructions per operation (bytes for memory figures) under QEMU TCG with \
             `-icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm -cpu \
             qemu64,+smep,+smap`: the guest TSC counts retired guest instructions, so every \
             figure repeats exactly from run to run. Commit {}, {}.\n",
            self.commit, self.date
        );
        match &self.linux {
            Ok(kernel) => {
                let _ = writeln!(
                    md,
                    "Linux: {kernel}, booted in the same run under the same QEMU settings with \
                     `{}`, the same `/init` and the same benchmark binaries.\n",
                    crate::linux::KERNEL_PARAMS
                );
            }
            Err(why) => {
                let _ = writeln!(md, "**Linux was not measured in this run**: {why}.\n");
            }
        }
        if !self.problems.is_empty() {
            let _ = writeln!(md, "**Problems in this run:**\n");
            for p in &self.problems {
                let _ = writeln!(md, "- {p}");
            }
            md.push('\n');
        }
        if let Some(user) = &self.user {
            self.user_table(&mut md, user);
        }
        if let Some(scaling) = &self.scaling {
            self.scaling_table(&mut md, scaling);
        }
        if let Some(kernel) = &self.kernel {
            let _ = writeln!(md, "## In-kernel benchmarks (Ferrite only)\n");
            let _ = writeln!(md, "| benchmark | result |\n| --- | ---: |");
            for f in kernel {
                let unit = f.unit.as_deref().map_or(String::new(), |u| format!(" {u}"));
                let _ = writeln!(md, "| {} | {}{unit} |", f.name, thousands(f.value));
            }
            md.push('\n');
        }
        md
    }

    fn linux_cell(&self, linux: Option<&[Figure]>, name: &str) -> String {
        match linux {
            None => "n/a".into(),
            Some(l) => lookup(l, name).map_or("—".into(), |f| thousands(f.value)),
        }
    }

    fn user_table(&self, md: &mut String, pair: &Pair) {
        let _ = writeln!(
            md,
            "## Userland benchmarks, Ferrite and Linux ({} MiB)\n",
            self.memory_mib
        );
        let _ = writeln!(
            md,
            "| benchmark | Ferrite | Linux | Ferrite / Linux | goal | met |\n\
             | --- | ---: | ---: | ---: | ---: | --- |"
        );
        let linux = pair.linux.as_deref();
        let mut names: Vec<&str> = pair.ferrite.iter().map(|f| f.name.as_str()).collect();
        for f in linux.unwrap_or_default() {
            if !names.contains(&f.name.as_str()) {
                names.push(&f.name);
            }
        }
        for name in names {
            let fe = lookup(&pair.ferrite, name);
            let li = linux.and_then(|l| lookup(l, name));
            let r = fe.zip(li).and_then(|(a, b)| ratio(a.value, b.value));
            let (goal, met) = match bench_goals::ratio_goal(name) {
                Some(g) => (bench_goals::describe(g.max_ratio), verdict(r, g.max_ratio)),
                None => ("—".into(), "—".into()),
            };
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} | {goal} | {met} |",
                fe.map_or("—".into(), |f| thousands(f.value)),
                self.linux_cell(linux, name),
                fmt_ratio(r)
            );
        }
        md.push('\n');
        flat_goals(md, pair);
    }

    fn scaling_table(&self, md: &mut String, pair: &Pair) {
        let _ = writeln!(
            md,
            "## fork+exit scaling ({} MiB)\n\nThe cost of one fork + _exit + waitpid with K idle \
             processes alive (children blocked in read on a pipe), and the memory one idle \
             process costs (free memory before the first idle child minus free memory with K, \
             divided by K; sysinfo(2) on both kernels).\n",
            self.scaling_memory_mib
        );
        if let Some(plot) = &self.plot {
            let _ = writeln!(
                md,
                "![fork+exit+wait cost against idle processes]({plot})\n"
            );
        }
        let _ = writeln!(
            md,
            "| K | Ferrite fork+exit+wait | Linux | Ferrite / Linux | Ferrite memory per idle \
             process | Linux | Ferrite / Linux |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        let linux = pair.linux.as_deref();
        let mut ks: Vec<u64> = scaling_series(&pair.ferrite)
            .into_iter()
            .chain(scaling_series(linux.unwrap_or_default()))
            .map(|(k, _)| k)
            .collect();
        ks.sort_unstable();
        ks.dedup();
        for k in ks {
            let cost = format!("fork_exit K={k}");
            let mem = format!("idle_child_memory K={k}");
            let (fc, lc) = (
                lookup(&pair.ferrite, &cost),
                linux.and_then(|l| lookup(l, &cost)),
            );
            let (fm, lm) = (
                lookup(&pair.ferrite, &mem),
                linux.and_then(|l| lookup(l, &mem)),
            );
            let show_mem = |f: Option<&Figure>| f.map_or("—".into(), |f| kib(f.value));
            let _ = writeln!(
                md,
                "| {k} | {} | {} | {} | {} | {} | {} |",
                fc.map_or("—".into(), |f| thousands(f.value)),
                self.linux_cell(linux, &cost),
                fmt_ratio(fc.zip(lc).and_then(|(a, b)| ratio(a.value, b.value))),
                show_mem(fm),
                if linux.is_none() {
                    "n/a".into()
                } else {
                    show_mem(lm)
                },
                fmt_ratio(fm.zip(lm).and_then(|(a, b)| ratio(a.value, b.value))),
            );
        }
        md.push('\n');
        // The memory goal, at the largest K both kernels have.
        let largest = scaling_series(&pair.ferrite)
            .into_iter()
            .rev()
            .map(|(k, _)| format!("idle_child_memory K={k}"))
            .find(|m| {
                lookup(&pair.ferrite, m).is_some() && linux.is_some_and(|l| lookup(l, m).is_some())
            });
        if let (Some(m), Some(l)) = (largest, linux) {
            let (a, b) = (lookup(&pair.ferrite, &m), lookup(l, &m));
            let r = a.zip(b).and_then(|(a, b)| ratio(a.value, b.value));
            let g = bench_goals::ratio_goal(&m).map_or(0.5, |g| g.max_ratio);
            let _ = writeln!(
                md,
                "- memory per idle process at {}: Ferrite / Linux {} (goal {}: {})",
                m.trim_start_matches("idle_child_memory "),
                fmt_ratio(r),
                bench_goals::describe(g),
                verdict(r, g)
            );
        }
        flat_goals(md, pair);
    }
}

/// The flatness goals whose figures this pair has, as list items.
fn flat_goals(md: &mut String, pair: &Pair) {
    let mut any = false;
    for g in FLAT_GOALS {
        let own = |figs: &[Figure]| {
            let (a, b) = (lookup(figs, g.figure)?, lookup(figs, g.base)?);
            ratio(a.value, b.value)
        };
        let Some(fr) = own(&pair.ferrite) else {
            continue;
        };
        let linux = pair
            .linux
            .as_deref()
            .and_then(own)
            .map_or(String::new(), |r| format!("; Linux {r:.3}×"));
        let _ = writeln!(
            md,
            "- {}: {} / {} = Ferrite {fr:.3}×{linux} (goal {}: {})",
            g.what,
            g.figure,
            g.base,
            bench_goals::describe(g.max_ratio),
            verdict(Some(fr), g.max_ratio)
        );
        any = true;
    }
    if any {
        md.push('\n');
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// The Gregorian date of a day number counted from 1970-01-01 (the
/// days-to-civil algorithm: shift to eras of 400 years starting in March,
/// so that the leap day ends a year).
pub fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(name: &str, value: u64) -> Figure {
        Figure {
            name: name.into(),
            value,
            unit: None,
        }
    }

    fn report() -> Report {
        Report {
            commit: "abc1234".into(),
            date: "2024-01-01".into(),
            linux: Ok("linux-image-6.1.0-56-cloud-amd64 (6.1.192-2)".into()),
            memory_mib: 256,
            scaling_memory_mib: 1024,
            user: None,
            scaling: None,
            plot: None,
            kernel: None,
            problems: Vec::new(),
        }
    }

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(114_478), "114,478");
        assert_eq!(thousands(96_687_753), "96,687,753");
        assert_eq!(ratio(1, 0), None);
        assert_eq!(fmt_ratio(ratio(1, 3)), "0.33×");
        assert_eq!(kib(71_680), "70.0 KiB");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn user_table_with_ratios_and_goals() {
        let mut r = report();
        r.user = Some(Pair {
            ferrite: vec![
                fig("fork_exit K=0", 50_000),
                fig("syscall_null", 300),
                fig("ptrace_peekdata", 1_000),
                fig("only_ferrite", 5),
            ],
            linux: Some(vec![
                fig("fork_exit K=0", 114_478),
                fig("syscall_null", 400),
                fig("ptrace_peekdata", 2_000),
                fig("only_linux", 9),
            ]),
        });
        let md = r.render();
        assert!(
            md.contains("## Userland benchmarks, Ferrite and Linux (256 MiB)"),
            "{md}"
        );
        assert!(
            md.contains("| fork_exit K=0 | 50,000 | 114,478 | 0.44× | ≤ 0.5× | yes |"),
            "{md}"
        );
        assert!(
            md.contains("| syscall_null | 300 | 400 | 0.75× | ≤ 0.5× | no (1.50× over) |"),
            "{md}"
        );
        assert!(
            md.contains("| ptrace_peekdata | 1,000 | 2,000 | 0.50× | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("| only_ferrite | 5 | — | — | ≤")
                || md.contains("| only_ferrite | 5 | — | — | — | — |"),
            "{md}"
        );
        assert!(md.contains("| only_linux | — | 9 | — | — | — |"), "{md}");
        assert!(md.contains(
            "Linux: linux-image-6.1.0-56-cloud-amd64 (6.1.192-2), booted in the same run"
        ));
        assert!(md.contains("Commit abc1234, 2024-01-01."));
        assert!(!md.contains("Problems"));
    }

    #[test]
    fn without_linux_the_table_says_so() {
        let mut r = report();
        r.linux = Err("apt-get download linux-image-6.1.0-56-cloud-amd64 failed".into());
        r.user = Some(Pair {
            ferrite: vec![fig("fork_exec", 250_000)],
            linux: None,
        });
        r.problems = vec!["Ferrite: pipe_pingpong failed (exit status 1)".into()];
        let md = r.render();
        assert!(
            md.contains("**Linux was not measured in this run**: apt-get download"),
            "{md}"
        );
        assert!(
            md.contains("| fork_exec | 250,000 | n/a | — | ≤ 0.5× | — |"),
            "{md}"
        );
        assert!(
            md.contains("- Ferrite: pipe_pingpong failed (exit status 1)"),
            "{md}"
        );
    }

    #[test]
    fn scaling_table_memory_and_flatness() {
        let mut r = report();
        r.plot = Some("fork_scaling.svg".into());
        r.scaling = Some(Pair {
            ferrite: vec![
                fig("fork_exit K=0", 50_000),
                fig("idle_child_memory K=16", 20_480),
                fig("fork_exit K=16", 50_100),
                fig("idle_child_memory K=4096", 30_720),
                fig("fork_exit K=4096", 51_000),
            ],
            linux: Some(vec![
                fig("fork_exit K=0", 114_478),
                fig("idle_child_memory K=16", 71_680),
                fig("fork_exit K=16", 114_500),
                fig("idle_child_memory K=4096", 71_680),
                fig("fork_exit K=4096", 117_727),
            ]),
        });
        let md = r.render();
        assert!(md.contains("## fork+exit scaling (1024 MiB)"), "{md}");
        assert!(md.contains("![fork+exit+wait cost against idle processes](fork_scaling.svg)"));
        assert!(
            md.contains("| 0 | 50,000 | 114,478 | 0.44× | — | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("| 16 | 50,100 | 114,500 | 0.44× | 20.0 KiB | 70.0 KiB | 0.29× |"),
            "{md}"
        );
        assert!(
            md.contains("| 4096 | 51,000 | 117,727 | 0.43× | 30.0 KiB | 70.0 KiB | 0.43× |"),
            "{md}"
        );
        assert!(
            md.contains(
                "- memory per idle process at K=4096: Ferrite / Linux 0.43× (goal ≤ 0.5×: yes)"
            ),
            "{md}"
        );
        assert!(
            md.contains("fork_exit K=4096 / fork_exit K=0 = Ferrite 1.020×; Linux 1.028× (goal ≤ 1.05×: yes)"),
            "{md}"
        );
        // Rows in K order.
        assert!(md.find("| 16 |").unwrap() < md.find("| 4096 |").unwrap());
    }

    #[test]
    fn kernel_table_keeps_units() {
        let mut r = report();
        r.kernel = Some(vec![Figure {
            name: "pool get+put, on-page header, 1 page".into(),
            value: 1366,
            unit: Some("cycles".into()),
        }]);
        let md = r.render();
        assert!(md.contains("## In-kernel benchmarks (Ferrite only)"));
        assert!(
            md.contains("| pool get+put, on-page header, 1 page | 1,366 cycles |"),
            "{md}"
        );
    }

    #[test]
    fn series() {
        let s = scaling_series(&[
            fig("fork_exit K=64", 3),
            fig("idle_child_memory K=64", 1),
            fig("fork_exit K=0", 1),
            fig("fork_exec", 9),
        ]);
        assert_eq!(s, [(0, 1), (64, 3)]);
    }
}

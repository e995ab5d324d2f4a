//! From the profiler's samples to what a reader looks at: symbolised
//! stacks ([`symbolise`], through a [`Resolve`]r that knows the ELF
//! files), folded stacks for the flame graph ([`folded`]), the
//! top-functions table ([`top_functions`]) and the markdown report
//! ([`render_markdown`]) and terminal table ([`render_terminal`]). Pure:
//! the ELF lookups are behind the trait.
//!
//! A stack is rooted at the interrupted thread's name, then `[kernel]` or
//! `[user]`, then the functions outermost first; a function inlined into
//! the one before it is a frame of its own, marked inlined (shown with an
//! ` [inlined]` suffix in the flame graph). The table counts real
//! functions only: a sample's *self* function is its innermost frame that
//! is not inlined (the code the sample hit was compiled into that
//! function), its *total* functions every real function on its stack
//! (each once, whatever the recursion).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::prof_samples::Sample;

/// One frame of a symbolised stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame {
    pub name: String,
    /// Inlined into the frame before it.
    pub inlined: bool,
}

impl Frame {
    pub fn real(name: &str) -> Frame {
        Frame {
            name: name.into(),
            inlined: false,
        }
    }
}

/// The name of a frame nothing is known about.
pub const UNKNOWN: &str = "??";

/// What turns addresses into frames (outermost first, inlined after).
pub trait Resolve {
    /// A kernel address; `ret`: it is a return address (the call is the
    /// instruction before it).
    fn kernel(&mut self, pc: u64, ret: bool) -> Vec<Frame>;
    /// A user rip of thread `thread`.
    fn user(&mut self, thread: &str, pc: u64) -> Vec<Frame>;
}

/// A symbolised stack: thread, user mode, frames outermost first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StackKey {
    pub thread: String,
    pub user: bool,
    pub frames: Vec<Frame>,
}

/// Sample counts per symbolised stack.
pub type Profile = BTreeMap<StackKey, u64>;

/// Late samples (interrupts were off when their period ended) per
/// symbolised stack: `(samples, guest instructions since the previous
/// sample, added up)`.
pub type Late = BTreeMap<StackKey, (u64, u64)>;

/// Symbolises every sample and adds up identical stacks; the late ones
/// are added up in [`Late`] too.
pub fn symbolise(samples: &[Sample], r: &mut dyn Resolve) -> (Profile, Late) {
    let mut profile = Profile::new();
    let mut late = Late::new();
    for s in samples {
        let mut frames = Vec::new();
        if s.user {
            frames.extend(r.user(&s.thread, s.pcs[0]));
        } else {
            // pcs are innermost first; the innermost is where the
            // interrupt hit, the others are return addresses.
            for (i, &pc) in s.pcs.iter().enumerate().rev() {
                let got = r.kernel(pc, i != 0);
                if got.is_empty() {
                    frames.push(Frame::real(UNKNOWN));
                } else {
                    frames.extend(got);
                }
            }
        }
        if frames.is_empty() {
            frames.push(Frame::real(UNKNOWN));
        }
        let key = StackKey {
            thread: s.thread.clone(),
            user: s.user,
            frames,
        };
        if s.late > 0 {
            let e = late.entry(key.clone()).or_default();
            e.0 += s.count;
            e.1 += s.late * s.count;
        }
        *profile.entry(key).or_default() += s.count;
    }
    (profile, late)
}

/// Where interrupts came back on after being off for more than a period:
/// the innermost `depth` real functions of the late samples' stacks, with
/// the late samples and the instructions since their previous samples,
/// most instructions first.
pub fn late_spots(late: &Late, depth: usize) -> Vec<(String, u64, u64)> {
    let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (k, &(n, instructions)) in late {
        let real: Vec<&str> = k
            .frames
            .iter()
            .filter(|f| !f.inlined)
            .map(|f| f.name.as_str())
            .collect();
        let tail = real[real.len().saturating_sub(depth)..].join(" → ");
        let e = m.entry(format!("{}: {tail}", k.thread)).or_default();
        e.0 += n;
        e.1 += instructions;
    }
    let mut v: Vec<(String, u64, u64)> = m.into_iter().map(|(k, (n, i))| (k, n, i)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    v
}

/// A frame name made safe for the folded format (`;` separates frames).
fn folded_name(name: &str) -> String {
    name.replace(';', ",").replace(['\n', '\r'], " ")
}

/// Folded stacks, one line each: `thread;[kernel];f;g;h count`, sorted.
pub fn folded(p: &Profile) -> Vec<String> {
    p.iter()
        .map(|(k, n)| {
            let mut line = folded_name(&k.thread);
            line.push_str(if k.user { ";[user]" } else { ";[kernel]" });
            for f in &k.frames {
                line.push(';');
                line.push_str(&folded_name(&f.name));
                if f.inlined {
                    line.push_str(" [inlined]");
                }
            }
            let _ = write!(line, " {n}");
            line
        })
        .collect()
}

/// One function of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The function, `[user]`-suffixed for user code.
    pub name: String,
    /// Samples that hit code compiled into the function.
    pub self_samples: u64,
    /// Samples with the function anywhere on the stack.
    pub total_samples: u64,
}

fn row_name(f: &Frame, user: bool) -> String {
    if user {
        format!("{} [user]", f.name)
    } else {
        f.name.clone()
    }
}

/// Every real function with its self and total samples, most self
/// samples first (then most total, then by name).
pub fn top_functions(p: &Profile) -> Vec<Row> {
    let mut self_n: BTreeMap<String, u64> = BTreeMap::new();
    let mut total_n: BTreeMap<String, u64> = BTreeMap::new();
    for (k, &n) in p {
        let real: Vec<&Frame> = k.frames.iter().filter(|f| !f.inlined).collect();
        if let Some(leaf) = real.last().copied().or(k.frames.last()) {
            *self_n.entry(row_name(leaf, k.user)).or_default() += n;
        }
        let names: BTreeSet<String> = real.iter().map(|f| row_name(f, k.user)).collect();
        for name in names {
            *total_n.entry(name).or_default() += n;
        }
    }
    let mut rows: Vec<Row> = total_n
        .into_iter()
        .map(|(name, total)| Row {
            self_samples: self_n.get(&name).copied().unwrap_or(0),
            total_samples: total,
            name,
        })
        .collect();
    // A self name with no real frame (all inlined) has no total entry.
    for (name, s) in self_n {
        if !rows.iter().any(|r| r.name == name) {
            rows.push(Row {
                name,
                self_samples: s,
                total_samples: s,
            });
        }
    }
    rows.sort_by(|a, b| {
        b.self_samples
            .cmp(&a.self_samples)
            .then(b.total_samples.cmp(&a.total_samples))
            .then(a.name.cmp(&b.name))
    });
    rows
}

/// Samples per thread name and per mode: `(thread, user, kernel)`, most
/// samples first.
pub fn by_thread(p: &Profile) -> Vec<(String, u64, u64)> {
    let mut m: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (k, &n) in p {
        let e = m.entry(k.thread.as_str()).or_default();
        if k.user {
            e.0 += n;
        } else {
            e.1 += n;
        }
    }
    let mut v: Vec<(String, u64, u64)> = m
        .into_iter()
        .map(|(t, (u, k))| (t.to_string(), u, k))
        .collect();
    v.sort_by(|a, b| (b.1 + b.2).cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
    v
}

fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        "0.0 %".into()
    } else {
        format!("{:.1} %", n as f64 * 100.0 / total as f64)
    }
}

/// What the report says about the run.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The benchmark (`fork_exit`, `kernel`, ...).
    pub name: String,
    /// The sampling period in guest instructions.
    pub period: u64,
    pub dropped: u64,
    /// Guest instructions the window was open (0: not known).
    pub cycles: u64,
    /// The benchmark's own result lines (`bench: ... | n`).
    pub results: Vec<String>,
    pub commit: String,
    /// The flame graph's file name, if written.
    pub svg: Option<String>,
}

/// Markdown table of `rows` (at most `limit`), percentages of `total`.
fn markdown_rows(out: &mut String, rows: &[&Row], total: u64) {
    out.push_str("| # | function | self | self % | total | total % |\n");
    out.push_str("| ---: | --- | ---: | ---: | ---: | ---: |\n");
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} |",
            i + 1,
            r.name.replace('|', "\\|").replace('`', "'"),
            r.self_samples,
            pct(r.self_samples, total),
            r.total_samples,
            pct(r.total_samples, total)
        );
    }
}

/// The report: what was run, where the samples fell by thread and mode,
/// the top `limit` functions by self samples and by total samples.
pub fn render_markdown(meta: &Meta, p: &Profile, late: &Late, limit: usize) -> String {
    let total: u64 = p.values().sum();
    let mut out = String::new();
    let _ = writeln!(out, "# Profile: {}\n", meta.name);
    let _ = writeln!(
        out,
        "Commit {}; one sample every {} guest instructions (`-icount shift=0`), \
         {} samples{}. Each sample stands for about {} instructions of the run.\n",
        meta.commit,
        meta.period,
        total,
        if meta.dropped > 0 {
            format!(" ({} dropped: the buffer was full)", meta.dropped)
        } else {
            String::new()
        },
        meta.period
    );
    if meta.cycles > 0 && meta.period > 0 {
        let periods = meta.cycles / meta.period;
        let _ = writeln!(
            out,
            "The window was open for {} guest instructions, {} periods: {} of them \
             ({}) got a sample. A period that ends while interrupts are off is sampled \
             where they come back on (charged to that spot, e.g. a spin lock's release), \
             and one that ends entirely inside such a stretch gets no sample.\n",
            meta.cycles,
            periods,
            total + meta.dropped,
            pct(total + meta.dropped, periods)
        );
    }
    if !meta.results.is_empty() {
        out.push_str("The benchmark's own figures in this run (the profiler's interrupts add to them):\n\n```\n");
        for r in &meta.results {
            let _ = writeln!(out, "{r}");
        }
        out.push_str("```\n\n");
    }
    if let Some(svg) = &meta.svg {
        let _ = writeln!(out, "Flame graph: [{svg}]({svg})\n");
    }
    out.push_str(
        "## Samples by thread\n\n| thread | user | kernel | all |\n| --- | ---: | ---: | ---: |\n",
    );
    for (t, u, k) in by_thread(p) {
        let _ = writeln!(
            out,
            "| {t} | {} | {} | {} |",
            pct(u, total),
            pct(k, total),
            pct(u + k, total)
        );
    }
    let rows = top_functions(p);
    let _ = writeln!(out, "\n## Top {limit} functions by self samples\n");
    let top: Vec<&Row> = rows.iter().take(limit).collect();
    markdown_rows(&mut out, &top, total);
    let _ = writeln!(out, "\n## Top {limit} functions by total samples\n");
    let mut by_total: Vec<&Row> = rows.iter().collect();
    by_total.sort_by(|a, b| {
        b.total_samples
            .cmp(&a.total_samples)
            .then(b.self_samples.cmp(&a.self_samples))
            .then(a.name.cmp(&b.name))
    });
    by_total.truncate(limit);
    markdown_rows(&mut out, &by_total, total);
    let spots = late_spots(late, 3);
    if !spots.is_empty() {
        let (n, instructions) = spots.iter().fold((0, 0), |(n, i), s| (n + s.1, i + s.2));
        let _ = writeln!(
            out,
            "\n## Where interrupts came back on\n\n{n} samples came late, after \
             interrupts had been off past the end of their period: {instructions} guest \
             instructions passed before them ({} of the window). The profiler cannot see \
             inside those stretches; they end at these spots (innermost functions last):\n",
            pct(instructions, meta.cycles)
        );
        out.push_str("| # | thread: functions | late samples | instructions before them |\n");
        out.push_str("| ---: | --- | ---: | ---: |\n");
        for (i, (spot, n, instr)) in spots.iter().take(limit).enumerate() {
            let _ = writeln!(
                out,
                "| {} | `{}` | {n} | {instr} |",
                i + 1,
                spot.replace('|', "\\|").replace('`', "'")
            );
        }
    }
    out
}

/// The top `limit` functions as a plain-text table for the terminal.
pub fn render_terminal(p: &Profile, limit: usize) -> String {
    let total: u64 = p.values().sum();
    let rows = top_functions(p);
    let mut out = String::new();
    let _ = writeln!(out, "{:>7}  {:>7}  function", "self", "total");
    for r in rows.iter().take(limit) {
        let _ = writeln!(
            out,
            "{:>7}  {:>7}  {}",
            pct(r.self_samples, total),
            pct(r.total_samples, total),
            r.name
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kernel pcs 0x10.. resolve to `k<pc>`; 0x30 to `outer` with `helper`
    /// inlined; 0x99 to nothing. User pcs resolve to `u<pc>` of the thread.
    struct Fake {
        kernel_calls: Vec<(u64, bool)>,
    }

    impl Resolve for Fake {
        fn kernel(&mut self, pc: u64, ret: bool) -> Vec<Frame> {
            self.kernel_calls.push((pc, ret));
            match pc {
                0x99 => vec![],
                0x30 => vec![
                    Frame::real("outer"),
                    Frame {
                        name: "helper".into(),
                        inlined: true,
                    },
                ],
                _ => vec![Frame::real(&format!("k{pc:x}"))],
            }
        }
        fn user(&mut self, thread: &str, pc: u64) -> Vec<Frame> {
            vec![Frame::real(&format!("{thread}:u{pc:x}"))]
        }
    }

    fn s(user: bool, count: u64, thread: &str, pcs: &[u64]) -> Sample {
        Sample {
            user,
            count,
            late: 0,
            thread: thread.into(),
            pcs: pcs.to_vec(),
        }
    }

    fn profile() -> Profile {
        let samples = vec![
            // Innermost first: main (0x10) called run (0x20) called outer (0x30).
            s(false, 3, "fork_exit", &[0x30, 0x20, 0x10]),
            s(false, 1, "fork_exit", &[0x20, 0x10]),
            s(false, 2, "fork_exit", &[0x30, 0x20, 0x10]),
            s(true, 4, "fork_exit", &[0x400]),
            s(false, 1, "idle", &[0x99]),
            // Recursion: k20 twice on one stack counts once in total.
            s(false, 1, "fork_exit", &[0x20, 0x20, 0x10]),
        ];
        let mut r = Fake {
            kernel_calls: vec![],
        };
        let (p, late) = symbolise(&samples, &mut r);
        assert!(late.is_empty());
        // The innermost pc is looked up as is, the others as return addresses.
        assert_eq!(
            &r.kernel_calls[..3],
            &[(0x10, true), (0x20, true), (0x30, false)]
        );
        p
    }

    #[test]
    fn symbolised_stacks_add_up() {
        let p = profile();
        assert_eq!(p.values().sum::<u64>(), 12);
        let key = StackKey {
            thread: "fork_exit".into(),
            user: false,
            frames: vec![
                Frame::real("k10"),
                Frame::real("k20"),
                Frame::real("outer"),
                Frame {
                    name: "helper".into(),
                    inlined: true,
                },
            ],
        };
        assert_eq!(p.get(&key), Some(&5), "identical stacks merged");
    }

    #[test]
    fn folded_lines() {
        let f = folded(&profile());
        assert_eq!(
            f,
            [
                "fork_exit;[kernel];k10;k20 1",
                "fork_exit;[kernel];k10;k20;k20 1",
                "fork_exit;[kernel];k10;k20;outer;helper [inlined] 5",
                "fork_exit;[user];fork_exit:u400 4",
                "idle;[kernel];?? 1",
            ]
        );
        let mut p = Profile::new();
        p.insert(
            StackKey {
                thread: "a b".into(),
                user: false,
                frames: vec![Frame::real("<[u8; 4] as Foo>::bar")],
            },
            2,
        );
        assert_eq!(folded(&p), ["a b;[kernel];<[u8, 4] as Foo>::bar 2"]);
    }

    #[test]
    fn self_and_total() {
        let rows = top_functions(&profile());
        let get = |n: &str| rows.iter().find(|r| r.name == n).cloned().unwrap();
        // outer's self includes the inlined helper's samples.
        assert_eq!(get("outer").self_samples, 5);
        assert_eq!(get("outer").total_samples, 5);
        assert!(!rows.iter().any(|r| r.name == "helper"));
        assert_eq!(get("k20").self_samples, 2);
        assert_eq!(get("k20").total_samples, 7, "recursion counted once");
        assert_eq!(get("k10").self_samples, 0);
        assert_eq!(get("k10").total_samples, 7);
        assert_eq!(get("fork_exit:u400 [user]").self_samples, 4);
        assert_eq!(get("??").self_samples, 1);
        // Ordered by self, then total, then name.
        let order: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            order,
            ["outer", "fork_exit:u400 [user]", "k20", "??", "k10"]
        );
    }

    #[test]
    fn late_samples() {
        let samples = vec![
            Sample {
                late: 30_000,
                ..s(false, 1, "fork_exit", &[0x30, 0x20, 0x10])
            },
            Sample {
                late: 20_000,
                ..s(false, 2, "fork_exit", &[0x30, 0x20, 0x10])
            },
            Sample {
                late: 15_000,
                ..s(false, 1, "init", &[0x20])
            },
            s(false, 5, "init", &[0x20]),
        ];
        let mut r = Fake {
            kernel_calls: vec![],
        };
        let (p, late) = symbolise(&samples, &mut r);
        assert_eq!(p.values().sum::<u64>(), 9, "late samples count as samples");
        assert_eq!(
            late_spots(&late, 2),
            [
                ("fork_exit: k20 → outer".to_string(), 3, 70_000),
                ("init: k20".to_string(), 1, 15_000),
            ]
        );
        let meta = Meta {
            name: "x".into(),
            period: 10000,
            dropped: 0,
            cycles: 170_000,
            results: vec![],
            commit: "c".into(),
            svg: None,
        };
        let md = render_markdown(&meta, &p, &late, 25);
        assert!(
            md.contains("4 samples came late") && md.contains("85000 guest instructions"),
            "{md}"
        );
        assert!(md.contains("(50.0 % of the window)"), "{md}");
        assert!(
            md.contains("| 1 | `fork_exit: k10 → k20 → outer` | 3 | 70000 |"),
            "{md}"
        );
    }

    #[test]
    fn threads_and_reports() {
        let p = profile();
        assert_eq!(
            by_thread(&p),
            [("fork_exit".to_string(), 4, 7), ("idle".to_string(), 0, 1)]
        );
        let meta = Meta {
            name: "fork_exit".into(),
            period: 10000,
            dropped: 0,
            cycles: 150_000,
            results: vec!["bench: fork_exit K=0 | 255258".into()],
            commit: "abc123".into(),
            svg: Some("profile-fork_exit.svg".into()),
        };
        let md = render_markdown(&meta, &p, &Late::new(), 2);
        assert!(!md.contains("came back on"), "no late samples: {md}");
        assert!(md.starts_with("# Profile: fork_exit\n"), "{md}");
        assert!(md.contains("every 10000 guest instructions"), "{md}");
        assert!(md.contains("12 samples."), "{md}");
        assert!(
            md.contains("open for 150000 guest instructions, 15 periods: 12 of them (80.0 %)"),
            "{md}"
        );
        assert!(md.contains("bench: fork_exit K=0 | 255258"), "{md}");
        assert!(
            md.contains("| fork_exit | 33.3 % | 58.3 % | 91.7 % |"),
            "{md}"
        );
        assert!(
            md.contains("| 1 | `outer` | 5 | 41.7 % | 5 | 41.7 % |"),
            "{md}"
        );
        assert!(md.contains("| 2 | `fork_exit:u400 [user]` | 4 | 33.3 % | 4 | 33.3 % |"));
        assert!(!md.contains("| 3 |"), "limited to 2 rows per table: {md}");
        // The by-total table starts with k10 / k20 (7 each; k20 has more self).
        let by_total = md.split("by total samples").nth(1).unwrap();
        assert!(
            by_total.contains("| 1 | `k20` | 2 | 16.7 % | 7 | 58.3 % |"),
            "{md}"
        );
        assert!(
            by_total.contains("| 2 | `k10` | 0 | 0.0 % | 7 | 58.3 % |"),
            "{md}"
        );

        let t = render_terminal(&p, 3);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], " 41.7 %   41.7 %  outer");
        assert_eq!(lines[3], " 16.7 %   58.3 %  k20");
    }
}

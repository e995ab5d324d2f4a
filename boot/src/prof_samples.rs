//! The kernel profiler's console dump (`kern::prof` in the kernel, enabled
//! by `prof=N`): parsing its `prof:` lines into samples. Pure.
//!
//! ```text
//! prof: begin period=10000 samples=5321 dropped=0 cycles=53500000
//! prof: u 1 fork_exit 5555555a1b2c                 user rip
//! prof: k 3 fork_exit ffffffff80012345 ffff...     kernel pcs, innermost first
//! prof: k 1+48000 fork_exit ffffffff80012345 ...   a late sample
//! prof: end
//! ```
//! The number after the kind is how many consecutive identical samples
//! the line stands for; the name is the interrupted thread's (`-` if it
//! had none); addresses are hexadecimal without `0x`. `1+48000` is a
//! sample that came 48,000 guest instructions after the previous one
//! instead of one period: interrupts were off until its address.

/// One line of samples: `count` identical consecutive samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Interrupted in user mode (`pcs` is the one user rip).
    pub user: bool,
    pub count: u64,
    /// Guest instructions since the previous sample if this one came late
    /// (interrupts were off), else 0.
    pub late: u64,
    /// The interrupted thread's name.
    pub thread: String,
    /// Program counters, innermost first.
    pub pcs: Vec<u64>,
}

/// One parsed `prof:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfLine {
    Begin {
        period: u64,
        samples: u64,
        dropped: u64,
        /// Guest instructions the window was open (0 if not said).
        cycles: u64,
    },
    Sample(Sample),
    End,
}

const PREFIX: &str = "prof: ";

/// The `prof:` line `line` (starting with `prof: `, the kernel prints it
/// with `kprintln`, not the logger), `None` for any other line. A
/// malformed `prof:` line is an `Err` naming the problem.
pub fn parse_line(line: &str) -> Option<Result<ProfLine, String>> {
    let rest = line.trim_start().strip_prefix(PREFIX)?.trim_end();
    Some(parse_body(rest).map_err(|e| format!("bad profiler line `{line}`: {e}")))
}

fn parse_body(rest: &str) -> Result<ProfLine, String> {
    let mut words = rest.split_ascii_whitespace();
    match words.next() {
        Some("begin") => {
            let (mut period, mut samples, mut dropped, mut cycles) = (None, None, None, None);
            for w in words {
                let (k, v) = w
                    .split_once('=')
                    .ok_or_else(|| format!("`{w}` is not k=v"))?;
                let v: u64 = v.parse().map_err(|_| format!("`{w}`: not a number"))?;
                match k {
                    "period" => period = Some(v),
                    "samples" => samples = Some(v),
                    "dropped" => dropped = Some(v),
                    "cycles" => cycles = Some(v),
                    _ => {}
                }
            }
            Ok(ProfLine::Begin {
                period: period.ok_or("no period=")?,
                samples: samples.ok_or("no samples=")?,
                dropped: dropped.unwrap_or(0),
                cycles: cycles.unwrap_or(0),
            })
        }
        Some("end") => Ok(ProfLine::End),
        Some(kind @ ("u" | "k")) => {
            let count_word = words.next().ok_or("no count")?;
            let (count, late) = match count_word.split_once('+') {
                Some((c, l)) => (c, l.parse().map_err(|_| "the lateness is not a number")?),
                None => (count_word, 0),
            };
            let count: u64 = count.parse().map_err(|_| "the count is not a number")?;
            let thread = words.next().ok_or("no thread name")?.to_string();
            let pcs = words
                .map(|w| u64::from_str_radix(w, 16).map_err(|_| format!("`{w}` is not an address")))
                .collect::<Result<Vec<u64>, String>>()?;
            if pcs.is_empty() {
                return Err("no address".into());
            }
            if kind == "u" && pcs.len() != 1 {
                return Err("a user sample has one address".into());
            }
            Ok(ProfLine::Sample(Sample {
                user: kind == "u",
                count,
                late,
                thread,
                pcs,
            }))
        }
        Some(other) => Err(format!("unknown kind `{other}`")),
        None => Err("empty".into()),
    }
}

/// A complete dump.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dump {
    pub period: u64,
    /// Samples the kernel says it recorded.
    pub recorded: u64,
    /// Samples the full buffer could not take.
    pub dropped: u64,
    /// Guest instructions the window was open (0: not known).
    pub cycles: u64,
    pub samples: Vec<Sample>,
}

impl Dump {
    /// Samples in `samples` (counting repeats).
    pub fn total(&self) -> u64 {
        self.samples.iter().map(|s| s.count).sum()
    }
}

/// Collects a dump from console lines.
#[derive(Debug, Default)]
pub struct Collector {
    dump: Option<Dump>,
    ended: bool,
    errors: Vec<String>,
}

impl Collector {
    /// Looks at one console line; true if it was a `prof:` line (which the
    /// caller need not show).
    pub fn on_line(&mut self, line: &str) -> bool {
        let Some(parsed) = parse_line(line) else {
            return false;
        };
        match parsed {
            Err(e) => self.errors.push(e),
            Ok(ProfLine::Begin {
                period,
                samples,
                dropped,
                cycles,
            }) => {
                self.dump = Some(Dump {
                    period,
                    recorded: samples,
                    dropped,
                    cycles,
                    samples: Vec::new(),
                });
                self.ended = false;
            }
            Ok(ProfLine::Sample(s)) => match &mut self.dump {
                Some(d) if !self.ended => d.samples.push(s),
                _ => self
                    .errors
                    .push("a profiler sample outside begin/end".into()),
            },
            Ok(ProfLine::End) => self.ended = true,
        }
        true
    }

    /// The dump, or why there is none usable: no dump, an unterminated one
    /// (the console was cut), bad lines, or fewer samples than the kernel
    /// recorded.
    pub fn finish(self) -> Result<Dump, String> {
        if let Some(e) = self.errors.first() {
            return Err(format!("{e} ({} bad line(s))", self.errors.len()));
        }
        let Some(dump) = self.dump else {
            return Err("the kernel printed no profile (`prof: begin` missing)".into());
        };
        if !self.ended {
            return Err(format!(
                "the profile dump was cut off after {} sample lines (`prof: end` missing)",
                dump.samples.len()
            ));
        }
        if dump.total() != dump.recorded {
            return Err(format!(
                "the dump holds {} samples, the kernel recorded {}",
                dump.total(),
                dump.recorded
            ));
        }
        Ok(dump)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(user: bool, count: u64, thread: &str, pcs: &[u64]) -> Sample {
        Sample {
            user,
            count,
            late: 0,
            thread: thread.into(),
            pcs: pcs.to_vec(),
        }
    }

    #[test]
    fn parses_each_kind() {
        assert_eq!(parse_line("hello"), None);
        assert_eq!(
            parse_line("[0.1 INFO] profiler: sampling every 10 ns"),
            None
        );
        assert_eq!(parse_line("x prof: end"), None);
        assert_eq!(
            parse_line("prof: begin period=10000 samples=12 dropped=1 cycles=130000"),
            Some(Ok(ProfLine::Begin {
                period: 10000,
                samples: 12,
                dropped: 1,
                cycles: 130000
            }))
        );
        assert_eq!(
            parse_line("prof: u 2 fork_exit 5555555a1b2c"),
            Some(Ok(ProfLine::Sample(sample(
                true,
                2,
                "fork_exit",
                &[0x5555_555a_1b2c]
            ))))
        );
        assert_eq!(
            parse_line("  prof: k 1 - ffffffff80000010 ffffffff80000020\r"),
            Some(Ok(ProfLine::Sample(sample(
                false,
                1,
                "-",
                &[0xffff_ffff_8000_0010, 0xffff_ffff_8000_0020]
            ))))
        );
        assert_eq!(parse_line("prof: end"), Some(Ok(ProfLine::End)));
        assert_eq!(
            parse_line("prof: k 1+48000 init 10"),
            Some(Ok(ProfLine::Sample(Sample {
                late: 48000,
                ..sample(false, 1, "init", &[0x10])
            })))
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        for (line, why) in [
            ("prof: k 1 x", "no address"),
            ("prof: k one x 10", "count is not a number"),
            ("prof: k 1+x x 10", "lateness is not a number"),
            ("prof: u 1 x 10 20", "one address"),
            ("prof: k 1 x 10 zz", "`zz` is not an address"),
            ("prof: begin samples=1", "no period="),
            ("prof: q", "unknown kind `q`"),
            ("prof: ", "empty"),
        ] {
            let e = parse_line(line).expect("a prof line").expect_err(line);
            assert!(e.contains(why), "{line}: {e}");
        }
    }

    #[test]
    fn collects_a_complete_dump() {
        let mut c = Collector::default();
        assert!(!c.on_line("bench: fork_exit | 1"));
        for l in [
            "prof: begin period=5000 samples=3 dropped=0",
            "prof: u 2 fork_exit 400000",
            "prof: k 1 init ffffffff80000000",
            "prof: end",
        ] {
            assert!(c.on_line(l));
        }
        let d = c.finish().unwrap();
        assert_eq!(d.period, 5000);
        assert_eq!(d.total(), 3);
        assert_eq!(d.samples.len(), 2);
    }

    #[test]
    fn incomplete_dumps_are_errors() {
        let c = Collector::default();
        assert!(c.finish().unwrap_err().contains("printed no profile"));

        let mut c = Collector::default();
        c.on_line("prof: begin period=5000 samples=3 dropped=0");
        c.on_line("prof: u 2 fork_exit 400000");
        assert!(c.finish().unwrap_err().contains("cut off after 1 sample"));

        let mut c = Collector::default();
        c.on_line("prof: begin period=5000 samples=3 dropped=0");
        c.on_line("prof: u 2 fork_exit 400000");
        c.on_line("prof: end");
        assert!(
            c.finish()
                .unwrap_err()
                .contains("holds 2 samples, the kernel recorded 3")
        );

        let mut c = Collector::default();
        c.on_line("prof: u 2 fork_exit 400000");
        assert!(c.finish().unwrap_err().contains("outside begin/end"));
    }
}

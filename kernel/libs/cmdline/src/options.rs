//! [`Options`] and [`parse`]: splitting the command line into words, the
//! table of known keys, their defaults, and validation of each value.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::error::CmdlineError;
use crate::filter::LogFilter;
use crate::init_args::{quote_init_arg, split_init_args};

/// Every key the command line accepts, in the order error messages list them.
pub const KNOWN_OPTIONS: [&str; 10] = [
    "mode",
    "log",
    "ktest.filter",
    "ktest.skip",
    "ktest.timeout",
    "timer.hz",
    "verbose",
    "vmstat",
    "prof",
    "prof.comm",
];

/// Default `ktest.timeout` in milliseconds.
pub const DEFAULT_KTEST_TIMEOUT_MS: u64 = 60_000;
/// Default `timer.hz`.
pub const DEFAULT_TIMER_HZ: u32 = 100;
/// Smallest allowed `timer.hz`.
pub const MIN_TIMER_HZ: u32 = 1;
/// Largest allowed `timer.hz`.
pub const MAX_TIMER_HZ: u32 = 10_000;
/// Smallest allowed `prof` period (guest instructions under `-icount
/// shift=0`, nanoseconds otherwise): below it the profiler's own
/// interrupts would dominate what it measures.
pub const MIN_PROF_PERIOD: u32 = 1_000;
/// Largest allowed `prof` period (one second).
pub const MAX_PROF_PERIOD: u32 = 1_000_000_000;

/// What the kernel does after boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The normal demo run (`mode=demo`, the default).
    #[default]
    Demo,
    /// Run the in-kernel test suite (`mode=test`).
    Test,
    /// Run the in-kernel benchmarks (`mode=bench`).
    Bench,
    /// Boot and run `/init` with [`Options::init_args`] (`mode=user`).
    User,
}

impl Mode {
    /// Every mode, in the order error messages list them.
    pub const ALL: [Mode; 4] = [Mode::Demo, Mode::Test, Mode::Bench, Mode::User];

    /// The value as written on the command line (`demo`, `test`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Demo => "demo",
            Mode::Test => "test",
            Mode::Bench => "bench",
            Mode::User => "user",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The parsed command line. `Default` is what an empty command line gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `mode=demo|test|bench|user`.
    pub mode: Mode,
    /// `log=SPEC`.
    pub log: LogFilter,
    /// `ktest.filter=SUBSTRING`: run only tests whose name contains it.
    pub ktest_filter: Option<String>,
    /// `ktest.skip=N`: skip the first N tests (after filtering).
    pub ktest_skip: usize,
    /// `ktest.timeout=MS`: per-test timeout, at least 1.
    pub ktest_timeout_ms: u64,
    /// `timer.hz=N`: timer interrupt frequency, `1..=10000`.
    pub timer_hz: u32,
    /// `verbose`.
    pub verbose: bool,
    /// `vmstat`: print the pool and malloc-type tables before powering off.
    pub vmstat: bool,
    /// `prof=N`: run the sampling profiler, one sample every N ns of
    /// guest time (N guest instructions under `-icount shift=0`).
    pub prof_period: Option<u32>,
    /// `prof.comm=NAME`: start recording samples only once a thread named
    /// NAME (a program's base name) is interrupted.
    pub prof_comm: Option<String>,
    /// The words after a standalone `--`: the argument vector of `/init`
    /// (`argv[1..]`; quoted words may contain spaces, see
    /// [`split_init_args`](crate::split_init_args)).
    pub init_args: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Demo,
            log: LogFilter::default(),
            ktest_filter: None,
            ktest_skip: 0,
            ktest_timeout_ms: DEFAULT_KTEST_TIMEOUT_MS,
            timer_hz: DEFAULT_TIMER_HZ,
            verbose: false,
            vmstat: false,
            prof_period: None,
            prof_comm: None,
            init_args: Vec::new(),
        }
    }
}

/// Prints the canonical command line: every valued option with its value
/// (`ktest.filter` only when set), then `verbose` and `vmstat` when set,
/// then `--` and the init arguments (quoted where needed) when there are
/// any. Parses back to equal `Options` as long as the filter contains no
/// whitespace.
impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mode={} log={}", self.mode, self.log)?;
        if let Some(filter) = &self.ktest_filter {
            write!(f, " ktest.filter={filter}")?;
        }
        write!(
            f,
            " ktest.skip={} ktest.timeout={} timer.hz={}",
            self.ktest_skip, self.ktest_timeout_ms, self.timer_hz
        )?;
        if self.verbose {
            f.write_str(" verbose")?;
        }
        if self.vmstat {
            f.write_str(" vmstat")?;
        }
        if let Some(period) = self.prof_period {
            write!(f, " prof={period}")?;
        }
        if let Some(comm) = &self.prof_comm {
            write!(f, " prof.comm={comm}")?;
        }
        if !self.init_args.is_empty() {
            f.write_str(" --")?;
            for arg in &self.init_args {
                write!(f, " {}", quote_init_arg(arg))?;
            }
        }
        Ok(())
    }
}

/// Parse an unsigned decimal number (digits only: no sign, no `_`, no
/// spaces) within `min..=max`.
fn number(key: &'static str, value: &str, min: u64, max: u64) -> Result<u64, CmdlineError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CmdlineError::InvalidNumber {
            key,
            value: value.to_string(),
        });
    }
    // Digits only, so the one failure left is overflow.
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(CmdlineError::NumberOutOfRange {
            key,
            value: value.to_string(),
            min,
            max,
        }),
    }
}

/// The words of `s` (separated by ASCII whitespace) with their byte offsets.
fn words(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = s;
    let mut base = 0;
    core::iter::from_fn(move || {
        let start = rest.find(|c: char| !c.is_ascii_whitespace())?;
        let len = rest[start..]
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len() - start);
        let at = base + start;
        let word = &rest[start..start + len];
        rest = &rest[start + len..];
        base = at + len;
        Some((at, word))
    })
}

/// Parse the kernel command line.
///
/// Words are separated by ASCII whitespace; a word is `key=value` (split at
/// the first `=`, so values may contain `=`) or a bare `key`. Keys are
/// case-sensitive; `mode` and log levels are not. Each key may appear at
/// most once. A standalone `--` ends the options: the rest of the line is
/// split into [`Options::init_args`] (double quotes group words, see
/// [`split_init_args`](crate::split_init_args)). An empty line gives
/// [`Options::default`].
pub fn parse(s: &str) -> Result<Options, CmdlineError> {
    let mut o = Options::default();
    let mut seen = [false; KNOWN_OPTIONS.len()];
    for (at, word) in words(s) {
        if word == "--" {
            o.init_args = split_init_args(&s[at + 2..])?;
            break;
        }
        let (k, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (word, None),
        };
        if k.is_empty() {
            return Err(CmdlineError::EmptyKey {
                word: word.to_string(),
            });
        }
        let Some(slot) = KNOWN_OPTIONS.iter().position(|&known| known == k) else {
            return Err(CmdlineError::UnknownOption { key: k.to_string() });
        };
        let key = KNOWN_OPTIONS[slot];
        if core::mem::replace(&mut seen[slot], true) {
            return Err(CmdlineError::DuplicateOption { key });
        }
        if key == "verbose" || key == "vmstat" {
            if let Some(v) = value {
                return Err(CmdlineError::UnexpectedValue {
                    key,
                    value: v.to_string(),
                });
            }
            if key == "verbose" {
                o.verbose = true;
            } else {
                o.vmstat = true;
            }
            continue;
        }
        let v = match value {
            Some(v) if !v.is_empty() => v,
            _ => return Err(CmdlineError::MissingValue { key }),
        };
        match key {
            "mode" => {
                o.mode = Mode::ALL
                    .into_iter()
                    .find(|m| v.eq_ignore_ascii_case(m.as_str()))
                    .ok_or_else(|| CmdlineError::InvalidMode {
                        value: v.to_string(),
                    })?;
            }
            "log" => o.log = LogFilter::parse(v)?,
            "ktest.filter" => o.ktest_filter = Some(v.to_string()),
            "ktest.skip" => {
                // Lossless: the bound is usize::MAX.
                o.ktest_skip = number(key, v, 0, usize::MAX as u64)? as usize;
            }
            "ktest.timeout" => o.ktest_timeout_ms = number(key, v, 1, u64::MAX)?,
            "timer.hz" => {
                o.timer_hz = number(key, v, MIN_TIMER_HZ.into(), MAX_TIMER_HZ.into())? as u32;
            }
            "prof" => {
                o.prof_period =
                    Some(number(key, v, MIN_PROF_PERIOD.into(), MAX_PROF_PERIOD.into())? as u32);
            }
            "prof.comm" => o.prof_comm = Some(v.to_string()),
            _ => unreachable!("every key in KNOWN_OPTIONS is handled"),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use log::LevelFilter;

    fn err(s: &str) -> String {
        parse(s).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        for s in ["", "   ", "\t\n"] {
            let o = parse(s).unwrap();
            assert_eq!(o, Options::default());
        }
        let o = Options::default();
        assert_eq!(o.mode, Mode::Demo);
        assert_eq!(o.log, LogFilter::default());
        assert_eq!(o.log.level_for("anything"), LevelFilter::Info);
        assert_eq!(o.ktest_filter, None);
        assert_eq!(o.ktest_skip, 0);
        assert_eq!(o.ktest_timeout_ms, 60_000);
        assert_eq!(o.timer_hz, 100);
        assert!(!o.verbose);
    }

    #[test]
    fn mode() {
        assert_eq!(parse("mode=demo").unwrap().mode, Mode::Demo);
        assert_eq!(parse("mode=test").unwrap().mode, Mode::Test);
        assert_eq!(parse("mode=TEST").unwrap().mode, Mode::Test);
        assert_eq!(parse("mode=bench").unwrap().mode, Mode::Bench);
        assert_eq!(
            err("mode=tests"),
            "invalid mode `tests` (expected `demo`, `test`, `bench` or `user`)"
        );
        assert_eq!(
            err("mode"),
            "option `mode` needs a value: `mode=demo|test|bench|user`"
        );
        assert_eq!(
            err("mode="),
            "option `mode` needs a value: `mode=demo|test|bench|user`"
        );
        assert_eq!(parse("mode=user").unwrap().mode, Mode::User);
        assert_eq!(parse("mode=User").unwrap().mode, Mode::User);
        assert_eq!(Mode::User.to_string(), "user");
        assert_eq!(Mode::Test.to_string(), "test");
        assert_eq!(Mode::default(), Mode::Demo);
    }

    #[test]
    fn log() {
        let o = parse("log=debug,uvm::fault=trace").unwrap();
        assert_eq!(o.log.default_level(), LevelFilter::Debug);
        assert_eq!(o.log.level_for("ferrite::uvm::fault"), LevelFilter::Trace);
        assert_eq!(o.log.max_level(), LevelFilter::Trace);
        assert_eq!(err("log="), "option `log` needs a value: `log=SPEC`");
        assert_eq!(
            err("log=verbose"),
            "invalid log level `verbose` (expected off, error, warn, info, debug or trace; \
             to set a module's level write `verbose=LEVEL`)"
        );
        assert_eq!(
            parse("log=info,info"),
            Err(CmdlineError::DuplicateLogDefault {
                spec: "info,info".to_string()
            })
        );
    }

    #[test]
    fn ktest_options() {
        let o = parse("ktest.filter=uvm::fault ktest.skip=3 ktest.timeout=250").unwrap();
        assert_eq!(o.ktest_filter.as_deref(), Some("uvm::fault"));
        assert_eq!(o.ktest_skip, 3);
        assert_eq!(o.ktest_timeout_ms, 250);
        // Values may contain '='.
        assert_eq!(
            parse("ktest.filter=a=b").unwrap().ktest_filter.as_deref(),
            Some("a=b")
        );
        assert_eq!(parse("ktest.skip=0").unwrap().ktest_skip, 0);
        assert_eq!(
            parse("ktest.skip=18446744073709551615").unwrap().ktest_skip,
            usize::MAX
        );
        assert_eq!(
            parse("ktest.timeout=18446744073709551615")
                .unwrap()
                .ktest_timeout_ms,
            u64::MAX
        );
        assert_eq!(
            err("ktest.filter="),
            "option `ktest.filter` needs a value: `ktest.filter=SUBSTRING`"
        );
        assert_eq!(
            err("ktest.skip=-1"),
            "invalid value `-1` for `ktest.skip`: expected a decimal number"
        );
        assert_eq!(
            err("ktest.skip=+1"),
            "invalid value `+1` for `ktest.skip`: expected a decimal number"
        );
        assert_eq!(
            err("ktest.skip=18446744073709551616"),
            "value `18446744073709551616` for `ktest.skip` is out of range \
             (allowed 0..=18446744073709551615)"
        );
        assert_eq!(
            err("ktest.timeout=0"),
            "value `0` for `ktest.timeout` is out of range (allowed 1..=18446744073709551615)"
        );
        assert_eq!(
            err("ktest.timeout=1s"),
            "invalid value `1s` for `ktest.timeout`: expected a decimal number"
        );
        assert_eq!(
            err("ktest.timeout"),
            "option `ktest.timeout` needs a value: `ktest.timeout=MS`"
        );
    }

    #[test]
    fn timer_hz() {
        assert_eq!(parse("timer.hz=1").unwrap().timer_hz, 1);
        assert_eq!(parse("timer.hz=1000").unwrap().timer_hz, 1000);
        assert_eq!(parse("timer.hz=10000").unwrap().timer_hz, 10_000);
        assert_eq!(parse("timer.hz=00250").unwrap().timer_hz, 250);
        assert_eq!(
            err("timer.hz=0"),
            "value `0` for `timer.hz` is out of range (allowed 1..=10000)"
        );
        assert_eq!(
            err("timer.hz=10001"),
            "value `10001` for `timer.hz` is out of range (allowed 1..=10000)"
        );
        assert_eq!(
            err("timer.hz=99999999999999999999999"),
            "value `99999999999999999999999` for `timer.hz` is out of range (allowed 1..=10000)"
        );
        assert_eq!(
            err("timer.hz=1e3"),
            "invalid value `1e3` for `timer.hz`: expected a decimal number"
        );
        assert_eq!(
            err("timer.hz= 100"),
            "option `timer.hz` needs a value: `timer.hz=N`"
        );
    }

    #[test]
    fn profiler() {
        let o = parse("prof=10000 prof.comm=fork_exit").unwrap();
        assert_eq!(o.prof_period, Some(10_000));
        assert_eq!(o.prof_comm.as_deref(), Some("fork_exit"));
        assert_eq!(parse(&o.to_string()).unwrap(), o);
        assert_eq!(parse("").unwrap().prof_period, None);
        assert_eq!(
            err("prof=999"),
            "value `999` for `prof` is out of range (allowed 1000..=1000000000)"
        );
        assert_eq!(err("prof"), "option `prof` needs a value: `prof=N`");
        assert_eq!(
            err("prof.comm="),
            "option `prof.comm` needs a value: `prof.comm=NAME`"
        );
    }

    #[test]
    fn verbose_flag() {
        assert!(parse("verbose").unwrap().verbose);
        assert_eq!(
            err("verbose=1"),
            "option `verbose` is a flag and takes no value (got `verbose=1`)"
        );
        assert_eq!(
            err("verbose="),
            "option `verbose` is a flag and takes no value (got `verbose=`)"
        );
    }

    #[test]
    fn everything_together_any_order_any_whitespace() {
        let o = parse(
            "  verbose\ttimer.hz=1000 ktest.timeout=5000\n ktest.skip=2 \
             ktest.filter=vm log=warn,sched=debug mode=test ",
        )
        .unwrap();
        assert_eq!(
            o,
            Options {
                mode: Mode::Test,
                log: LogFilter::parse("warn,sched=debug").unwrap(),
                ktest_filter: Some("vm".to_string()),
                ktest_skip: 2,
                ktest_timeout_ms: 5000,
                timer_hz: 1000,
                verbose: true,
                vmstat: false,
                prof_period: None,
                prof_comm: None,
                init_args: Vec::new(),
            }
        );
        assert!(parse("vmstat").unwrap().vmstat);
        assert!(parse("vmstat=1").is_err());
    }

    #[test]
    fn unknown_and_duplicate_keys() {
        assert_eq!(
            err("foo"),
            "unknown option `foo` (known: mode, log, ktest.filter, ktest.skip, \
             ktest.timeout, timer.hz, verbose, vmstat, prof, prof.comm)"
        );
        assert_eq!(
            err("foo=bar"),
            "unknown option `foo` (known: mode, log, ktest.filter, ktest.skip, \
             ktest.timeout, timer.hz, verbose, vmstat, prof, prof.comm)"
        );
        // Keys are case-sensitive.
        assert_eq!(
            parse("MODE=test"),
            Err(CmdlineError::UnknownOption {
                key: "MODE".to_string()
            })
        );
        assert_eq!(
            parse("ktest"),
            Err(CmdlineError::UnknownOption {
                key: "ktest".to_string()
            })
        );
        assert_eq!(
            err("=test"),
            "missing option name before `=` in `=test` (known: mode, log, ktest.filter, \
             ktest.skip, ktest.timeout, timer.hz, verbose, vmstat, prof, prof.comm)"
        );
        assert_eq!(
            err("mode=demo mode=test"),
            "option `mode` given more than once"
        );
        assert_eq!(
            err("verbose verbose"),
            "option `verbose` given more than once"
        );
        assert_eq!(
            err("log=info timer.hz=10 log=debug"),
            "option `log` given more than once"
        );
        // A duplicate is reported even if the first occurrence was fine and
        // the second is malformed: the first error in the line wins.
        assert_eq!(
            err("timer.hz=5 timer.hz=x"),
            "option `timer.hz` given more than once"
        );
        assert_eq!(
            err("timer.hz=x timer.hz=5"),
            "invalid value `x` for `timer.hz`: expected a decimal number"
        );
    }

    #[test]
    fn display_round_trips() {
        let d = Options::default();
        assert_eq!(
            d.to_string(),
            "mode=demo log=info ktest.skip=0 ktest.timeout=60000 timer.hz=100"
        );
        assert_eq!(parse(&d.to_string()).unwrap(), d);
        let o = parse("mode=test log=OFF,a::b=Trace ktest.filter=x ktest.skip=9 verbose").unwrap();
        assert_eq!(
            o.to_string(),
            "mode=test log=off,a::b=trace ktest.filter=x ktest.skip=9 ktest.timeout=60000 \
             timer.hz=100 verbose"
        );
        assert_eq!(parse(&o.to_string()).unwrap(), o);
    }

    #[test]
    fn init_args_after_double_dash() {
        let o = parse("mode=user log=warn -- /bin/testrun fork").unwrap();
        assert_eq!(o.mode, Mode::User);
        assert_eq!(o.log.default_level(), LevelFilter::Warn);
        assert_eq!(o.init_args, ["/bin/testrun", "fork"]);
        // Words after `--` are not options, even if they look like them,
        // and a second `--` is an argument.
        let o = parse("-- mode=test verbose -- x").unwrap();
        assert_eq!(o.mode, Mode::Demo);
        assert!(!o.verbose);
        assert_eq!(o.init_args, ["mode=test", "verbose", "--", "x"]);
        // Quoted arguments keep their spaces; the `--` may end the line.
        let o = parse(r#"verbose -- /bin/sh -c "echo \"a  b\"" """#).unwrap();
        assert_eq!(o.init_args, ["/bin/sh", "-c", r#"echo "a  b""#, ""]);
        assert_eq!(
            parse("mode=user --").unwrap().init_args,
            Vec::<String>::new()
        );
        assert_eq!(parse("--\t").unwrap().init_args, Vec::<String>::new());
        // `--` must stand alone: glued to something it is an unknown option.
        assert_eq!(
            parse("--x"),
            Err(CmdlineError::UnknownOption {
                key: "--x".to_string()
            })
        );
        assert_eq!(
            parse("a--"),
            Err(CmdlineError::UnknownOption {
                key: "a--".to_string()
            })
        );
        // Errors before `--` are still reported; quotes before it are not
        // special.
        assert_eq!(err("foo -- x"), err("foo"));
        assert_eq!(
            err(r#"-- "open"#),
            "unterminated `\"` in the init arguments (in `open`)"
        );
    }

    #[test]
    fn words_with_offsets() {
        let w: Vec<(usize, &str)> = words(" ab\tc  d ").collect();
        assert_eq!(w, [(1, "ab"), (4, "c"), (7, "d")]);
        assert_eq!(words("").count(), 0);
        assert_eq!(words("é ω").collect::<Vec<_>>(), [(0, "é"), (3, "ω")]);
    }

    #[test]
    fn display_quotes_init_args() {
        let o = Options {
            mode: Mode::User,
            init_args: ["/bin/testrun", "a b", "", r#"q"\"#]
                .map(str::to_string)
                .to_vec(),
            ..Options::default()
        };
        let line = o.to_string();
        assert_eq!(
            line,
            r#"mode=user log=info ktest.skip=0 ktest.timeout=60000 timer.hz=100 -- /bin/testrun "a b" "" "q\"\\""#
        );
        assert_eq!(parse(&line).unwrap(), o);
    }

    #[test]
    fn error_is_core_error() {
        let e: &dyn core::error::Error = &CmdlineError::EmptyLogSpec;
        assert!(e.source().is_none());
    }
}

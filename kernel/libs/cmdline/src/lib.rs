//! Parsing of the Ferrite kernel command line.
//!
//! The host runner passes the kernel a line of words separated by ASCII
//! whitespace; each word is `key=value` (split at the first `=`) or a bare
//! flag. Option values are not quoted, so they cannot contain whitespace.
//! A standalone `--` ends the options: the rest of the line is the
//! argument vector of `/init` ([`Options::init_args`]), in which double
//! quotes group words (`"a b"` is one argument; `\"` and `\\` are a
//! literal `"` and `\`; see [`split_init_args`]).
//!
//! | option            | value                                  | default  |
//! |-------------------|----------------------------------------|----------|
//! | `mode`            | `demo`, `test`, `bench`, `user` (any case; `user` runs `/init`) | `demo` |
//! | `log`             | log spec, see [`LogFilter::parse`]     | `info`   |
//! | `ktest.filter`    | substring of test names (non-empty)    | none     |
//! | `ktest.skip`      | decimal count                          | `0`      |
//! | `ktest.timeout`   | milliseconds, `1..`                    | `60000`  |
//! | `timer.hz`        | decimal, `1..=10000`                   | `100`    |
//! | `verbose`         | flag, takes no value                   | off      |
//! | `vmstat`          | flag: print pool tables at power-off   | off      |
//! | `prof`            | sample period, `1000..=10^9` (ns)      | off      |
//! | `prof.comm`       | program name that opens the window     | none     |
//! | `--`              | the rest of the line: `/init`'s args   | none     |
//!
//! Anything else — an unknown or repeated key, a missing or malformed value,
//! a value given to a flag — is a [`CmdlineError`] whose `Display` says what
//! is wrong. `Options`' `Display` prints the canonical command line, which
//! parses back to the same options.
//!
//! ```
//! use ferrite_cmdline::{parse, Mode, LevelFilter};
//!
//! let o = parse("mode=test log=warn,uvm::fault=trace ktest.filter=vm verbose").unwrap();
//! assert_eq!(o.mode, Mode::Test);
//! assert_eq!(o.log.level_for("ferrite::uvm::fault"), LevelFilter::Trace);
//! assert_eq!(o.log.level_for("ferrite::sched"), LevelFilter::Warn);
//! assert_eq!(o.log.max_level(), LevelFilter::Trace);
//! assert_eq!(o.ktest_filter.as_deref(), Some("vm"));
//! assert!(o.verbose);
//!
//! let o = parse(r#"mode=user -- /bin/sh -c "echo hello world""#).unwrap();
//! assert_eq!(o.mode, Mode::User);
//! assert_eq!(o.init_args, ["/bin/sh", "-c", "echo hello world"]);
//!
//! let e = parse("foo=1").unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "unknown option `foo` (known: mode, log, ktest.filter, ktest.skip, ktest.timeout, timer.hz, verbose, vmstat, prof, prof.comm)"
//! );
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod error;
mod filter;
mod init_args;
mod options;

pub use error::CmdlineError;
pub use filter::LogFilter;
pub use init_args::{quote_init_arg, split_init_args};
pub use log::LevelFilter;
pub use options::{
    DEFAULT_KTEST_TIMEOUT_MS, DEFAULT_TIMER_HZ, KNOWN_OPTIONS, MAX_PROF_PERIOD, MAX_TIMER_HZ,
    MIN_PROF_PERIOD, MIN_TIMER_HZ, Mode, Options, parse,
};

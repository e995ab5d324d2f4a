//! [`LogFilter`]: the parsed `log=` spec (a default level plus per-module
//! rules) and the lookup of the level for a log record's target.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use log::LevelFilter;

use crate::error::CmdlineError;

/// Per-module log levels parsed from a spec such as `warn,uvm::fault=trace`.
///
/// `Default` is level `info` for everything, no rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFilter {
    default: LevelFilter,
    /// (module path, level) in spec order; paths are distinct.
    rules: Vec<(String, LevelFilter)>,
}

impl Default for LogFilter {
    fn default() -> Self {
        LogFilter::new(LevelFilter::Info)
    }
}

/// Parse a level name: off|error|warn|info|debug|trace, any case.
fn parse_level(s: &str) -> Option<LevelFilter> {
    const LEVELS: [(&str, LevelFilter); 6] = [
        ("off", LevelFilter::Off),
        ("error", LevelFilter::Error),
        ("warn", LevelFilter::Warn),
        ("info", LevelFilter::Info),
        ("debug", LevelFilter::Debug),
        ("trace", LevelFilter::Trace),
    ];
    LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map(|&(_, l)| l)
}

/// Lower-case spec name of a level.
fn level_name(l: LevelFilter) -> &'static str {
    match l {
        LevelFilter::Off => "off",
        LevelFilter::Error => "error",
        LevelFilter::Warn => "warn",
        LevelFilter::Info => "info",
        LevelFilter::Debug => "debug",
        LevelFilter::Trace => "trace",
    }
}

/// `ident(::ident)*` with identifiers made of ASCII alphanumerics and `_`.
fn is_module_path(s: &str) -> bool {
    !s.is_empty()
        && s.split("::")
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// Whether module path `target` is `path` or lies below it (`path::...`).
fn under(target: &str, path: &str) -> bool {
    match target.strip_prefix(path) {
        Some(rest) => rest.is_empty() || rest.starts_with("::"),
        None => false,
    }
}

impl LogFilter {
    /// A filter with `default` for every target and no rules.
    pub const fn new(default: LevelFilter) -> Self {
        LogFilter {
            default,
            rules: Vec::new(),
        }
    }

    /// Parse a spec: a comma-separated list of entries, each either `LEVEL`
    /// (sets the default; at most once) or `module::path=LEVEL` (at most once
    /// per path). Levels are `off|error|warn|info|debug|trace` in any case;
    /// paths are identifiers (ASCII alphanumerics and `_`) joined by `::`.
    /// Whitespace around entries, paths and levels is ignored. Without a
    /// `LEVEL` entry the default is `info`.
    pub fn parse(spec: &str) -> Result<LogFilter, CmdlineError> {
        if spec.trim().is_empty() {
            return Err(CmdlineError::EmptyLogSpec);
        }
        let mut default = None;
        let mut rules: Vec<(String, LevelFilter)> = Vec::new();
        for entry in spec.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(CmdlineError::EmptyLogEntry {
                    spec: spec.to_string(),
                });
            }
            match entry.split_once('=') {
                None => {
                    let level = parse_level(entry).ok_or_else(|| CmdlineError::InvalidLevel {
                        level: entry.to_string(),
                        bare: is_module_path(entry),
                    })?;
                    if default.replace(level).is_some() {
                        return Err(CmdlineError::DuplicateLogDefault {
                            spec: spec.to_string(),
                        });
                    }
                }
                Some((path, level)) => {
                    let (path, level) = (path.trim(), level.trim());
                    if !is_module_path(path) {
                        return Err(CmdlineError::InvalidModulePath {
                            path: path.to_string(),
                        });
                    }
                    let level = parse_level(level).ok_or_else(|| CmdlineError::InvalidLevel {
                        level: level.to_string(),
                        bare: false,
                    })?;
                    if rules.iter().any(|(p, _)| p == path) {
                        return Err(CmdlineError::DuplicateLogRule {
                            path: path.to_string(),
                        });
                    }
                    rules.push((path.to_string(), level));
                }
            }
        }
        Ok(LogFilter {
            default: default.unwrap_or(LevelFilter::Info),
            rules,
        })
    }

    /// The level for targets no rule matches.
    pub fn default_level(&self) -> LevelFilter {
        self.default
    }

    /// The per-module rules, in spec order.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = (&str, LevelFilter)> + '_ {
        self.rules.iter().map(|(p, l)| (p.as_str(), *l))
    }

    /// Level for a log record target (a Rust module path such as
    /// `ferrite::uvm::fault`).
    ///
    /// A rule `uvm::fault` matches a target equal to it or starting with
    /// `uvm::fault::`; it also matches after the target's first path
    /// component (the crate name, `ferrite::`) is stripped. The most specific
    /// match wins: the one covering the longest prefix of the target (so for
    /// `ferrite::uvm::fault`, `uvm::fault` beats `ferrite::uvm` beats `uvm`),
    /// a direct match beating a crate-stripped one that covers the same
    /// prefix. `uvm` never matches `uvmfoo`. Without a match: the default.
    /// Cost: O(total length of the rules).
    pub fn level_for(&self, target: &str) -> LevelFilter {
        let stripped = target.split_once("::");
        let mut best: Option<(usize, bool, LevelFilter)> = None;
        for (path, level) in &self.rules {
            let hit = if under(target, path) {
                Some((path.len(), true))
            } else {
                match stripped {
                    Some((krate, rest)) if under(rest, path) => {
                        Some((krate.len() + 2 + path.len(), false))
                    }
                    _ => None,
                }
            };
            if let Some((covered, direct)) = hit
                && best.is_none_or(|(c, d, _)| (covered, direct) > (c, d))
            {
                best = Some((covered, direct, *level));
            }
        }
        best.map_or(self.default, |(_, _, l)| l)
    }

    /// Whether a record of `level` for `target` passes the filter.
    pub fn enabled(&self, target: &str, level: log::Level) -> bool {
        level <= self.level_for(target)
    }

    /// The most verbose level the default or any rule allows: the value for
    /// `log::set_max_level`, so records no rule can pass are dropped cheaply.
    pub fn max_level(&self) -> LevelFilter {
        self.rules
            .iter()
            .map(|(_, l)| *l)
            .fold(self.default, Ord::max)
    }
}

/// Prints the canonical spec: the default level, then the rules in order
/// (`warn,uvm::fault=trace`). It parses back to an equal filter.
impl fmt::Display for LogFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(level_name(self.default))?;
        for (path, level) in &self.rules {
            write!(f, ",{path}={}", level_name(*level))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use log::LevelFilter::*;

    fn f(spec: &str) -> LogFilter {
        LogFilter::parse(spec).unwrap()
    }

    fn err(spec: &str) -> String {
        LogFilter::parse(spec).unwrap_err().to_string()
    }

    #[test]
    fn default_filter_is_info() {
        let d = LogFilter::default();
        assert_eq!(d.default_level(), Info);
        assert_eq!(d.rules().len(), 0);
        assert_eq!(d.level_for("ferrite::uvm"), Info);
        assert_eq!(d.max_level(), Info);
        assert_eq!(d.to_string(), "info");
    }

    #[test]
    fn levels_any_case() {
        for (s, l) in [
            ("off", Off),
            ("ERROR", Error),
            ("Warn", Warn),
            ("info", Info),
            ("dEbUg", Debug),
            ("TRACE", Trace),
        ] {
            assert_eq!(f(s).default_level(), l, "{s}");
            assert_eq!(f(&alloc::format!("m={s}")).level_for("m"), l, "{s}");
        }
    }

    #[test]
    fn rules_without_default_keep_info() {
        let x = f("uvm=debug");
        assert_eq!(x.default_level(), Info);
        assert_eq!(x.rules().collect::<Vec<_>>(), vec![("uvm", Debug)]);
    }

    #[test]
    fn default_may_come_anywhere() {
        assert_eq!(f("uvm=debug,warn").default_level(), Warn);
        assert_eq!(f("  warn , uvm = debug ").level_for("uvm"), Debug);
    }

    #[test]
    fn longest_match_wins() {
        let x = f("error,uvm=warn,uvm::fault=trace,uvm::fault::cow=off");
        assert_eq!(x.level_for("uvm"), Warn);
        assert_eq!(x.level_for("uvm::map"), Warn);
        assert_eq!(x.level_for("uvm::fault"), Trace);
        assert_eq!(x.level_for("uvm::fault::anon"), Trace);
        assert_eq!(x.level_for("uvm::fault::cow"), Off);
        assert_eq!(x.level_for("uvm::fault::cow::deep"), Off);
        assert_eq!(x.level_for("sched"), Error);
        // Rule order does not matter.
        let y = f("uvm::fault::cow=off,uvm::fault=trace,uvm=warn,error");
        for t in [
            "uvm",
            "uvm::map",
            "uvm::fault",
            "uvm::fault::cow::x",
            "sched",
        ] {
            assert_eq!(x.level_for(t), y.level_for(t), "{t}");
        }
    }

    #[test]
    fn crate_prefix_is_stripped() {
        let x = f("off,uvm::fault=trace,uvm=warn");
        assert_eq!(x.level_for("ferrite::uvm::fault"), Trace);
        assert_eq!(x.level_for("ferrite::uvm::fault::cow"), Trace);
        assert_eq!(x.level_for("ferrite::uvm::map"), Warn);
        assert_eq!(x.level_for("ferrite::uvm"), Warn);
        assert_eq!(x.level_for("ferrite"), Off);
        assert_eq!(x.level_for("ferrite::sched"), Off);
        // Only the first component is stripped.
        assert_eq!(x.level_for("a::b::uvm::fault"), Off);
        assert_eq!(x.level_for("other_crate::uvm"), Warn);
    }

    #[test]
    fn full_path_rules_and_stripped_rules_compete_by_specificity() {
        let x = f("ferrite=error,ferrite::uvm=debug,uvm::fault=trace,uvm=warn");
        assert_eq!(x.level_for("ferrite"), Error);
        assert_eq!(x.level_for("ferrite::sched"), Error);
        // "ferrite::uvm" (direct) ties with "uvm" (stripped): direct wins.
        assert_eq!(x.level_for("ferrite::uvm"), Debug);
        assert_eq!(x.level_for("ferrite::uvm::map"), Debug);
        // "uvm::fault" covers more of the target than "ferrite::uvm".
        assert_eq!(x.level_for("ferrite::uvm::fault"), Trace);
        // Without the crate prefix only the short rules can match.
        assert_eq!(x.level_for("uvm::map"), Warn);
    }

    #[test]
    fn no_partial_component_match() {
        let x = f("off,uvm=trace,uvm::fault=debug");
        assert_eq!(x.level_for("uvmfoo"), Off);
        assert_eq!(x.level_for("ferrite::uvmfoo"), Off);
        assert_eq!(x.level_for("uvmfoo::bar"), Off);
        assert_eq!(x.level_for("uvm::faulty"), Trace);
        assert_eq!(x.level_for("ferrite::uvm::faulty"), Trace);
        assert_eq!(x.level_for("xuvm"), Off);
        assert_eq!(x.level_for(""), Off);
        assert_eq!(x.level_for("::uvm"), Trace); // empty crate component stripped
        assert_eq!(x.level_for("uvm:"), Off);
    }

    #[test]
    fn max_level_is_most_verbose() {
        assert_eq!(f("warn").max_level(), Warn);
        assert_eq!(f("off,uvm=debug").max_level(), Debug);
        assert_eq!(f("trace,uvm=off").max_level(), Trace);
        assert_eq!(f("error,a=warn,b=info").max_level(), Info);
        assert_eq!(f("off").max_level(), Off);
    }

    #[test]
    fn enabled_compares_levels() {
        let x = f("warn,uvm=debug");
        assert!(x.enabled("ferrite::uvm", log::Level::Debug));
        assert!(!x.enabled("ferrite::uvm", log::Level::Trace));
        assert!(x.enabled("ferrite::sched", log::Level::Warn));
        assert!(!x.enabled("ferrite::sched", log::Level::Info));
        assert!(!f("off").enabled("x", log::Level::Error));
    }

    #[test]
    fn display_round_trips() {
        for s in ["info", "off,a=trace", "WARN,a::b=Debug,c=off"] {
            let x = f(s);
            assert_eq!(f(&x.to_string()), x);
        }
        assert_eq!(f("a=Debug,WARN").to_string(), "warn,a=debug");
    }

    #[test]
    fn errors() {
        assert_eq!(
            err(""),
            "empty log spec (expected LEVEL or module::path=LEVEL, comma-separated)"
        );
        assert_eq!(LogFilter::parse(" "), Err(CmdlineError::EmptyLogSpec));
        assert_eq!(
            err("info,,a=debug"),
            "empty entry in log spec `info,,a=debug`"
        );
        assert_eq!(err("info,"), "empty entry in log spec `info,`");
        assert_eq!(
            err("loud"),
            "invalid log level `loud` (expected off, error, warn, info, debug or trace; \
             to set a module's level write `loud=LEVEL`)"
        );
        assert_eq!(
            err("1x!"),
            "invalid log level `1x!` (expected off, error, warn, info, debug or trace)"
        );
        assert_eq!(
            err("uvm=loud"),
            "invalid log level `loud` (expected off, error, warn, info, debug or trace)"
        );
        assert_eq!(
            err("uvm="),
            "invalid log level `` (expected off, error, warn, info, debug or trace)"
        );
        assert_eq!(
            err("=debug"),
            "invalid module path `` in log spec (expected identifiers separated by `::`)"
        );
        for bad in ["a:::b", "a::", "::a", "a:b", "a-b", "a::::b", "a.b", "a b"] {
            assert_eq!(
                LogFilter::parse(&alloc::format!("{bad}=info")),
                Err(CmdlineError::InvalidModulePath {
                    path: bad.to_string()
                }),
                "{bad}"
            );
        }
        assert_eq!(
            err("info,debug"),
            "log spec `info,debug` sets the default level more than once"
        );
        assert_eq!(
            err("uvm=info,uvm=debug"),
            "log spec sets the level of `uvm` more than once"
        );
        assert_eq!(
            err("uvm=debug=x"),
            "invalid log level `debug=x` (expected off, error, warn, info, debug or trace)"
        );
    }
}

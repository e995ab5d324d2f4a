//! Property tests: `parse` and `LogFilter::parse` never panic, valid
//! options (init arguments included) survive a print/parse round trip,
//! quoting init arguments splits back to the same arguments, and
//! `level_for` agrees with a component-based reference model of "most
//! specific rule wins".

use ferrite_cmdline::{
    CmdlineError, LevelFilter, LogFilter, Mode, Options, parse, quote_init_arg, split_init_args,
};
use proptest::prelude::*;

const LEVELS: [LevelFilter; 6] = [
    LevelFilter::Off,
    LevelFilter::Error,
    LevelFilter::Warn,
    LevelFilter::Info,
    LevelFilter::Debug,
    LevelFilter::Trace,
];

/// Words that are likely to reach deep into the parser.
fn word() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "mode",
        "log",
        "ktest.filter",
        "ktest.skip",
        "ktest.timeout",
        "timer.hz",
        "verbose",
        "--",
        "\"",
        "",
        "Mode",
        "ktest",
        "timer",
        "x",
    ]);
    let value = prop::sample::select(vec![
        "",
        "demo",
        "test",
        "TEST",
        "info",
        "off",
        "Trace",
        "uvm=debug",
        "warn,uvm::fault=trace",
        "a::b=info,c=off,debug",
        ",",
        "info,,",
        "=",
        "a:::b=info",
        "0",
        "1",
        "100",
        "10000",
        "10001",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "+5",
        "1e3",
        "é",
        "ß=ω",
        "user",
        "\"a b\"",
        "\\\"",
    ]);
    prop_oneof![
        3 => (key.clone(), value).prop_map(|(k, v)| format!("{k}={v}")),
        1 => key.prop_map(str::to_string),
        1 => "[a-z.=,:]{0,12}",
    ]
}

fn level() -> impl Strategy<Value = LevelFilter> {
    prop::sample::select(LEVELS.to_vec())
}

/// A module path over a tiny vocabulary so that rules and targets collide.
fn path(max: usize) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec!["ferrite", "uvm", "fault", "uvmfoo", "a"]),
        1..=max,
    )
}

/// Reference for `level_for`: rules whose components are a prefix of the
/// target's components (covering that many components), or of the target
/// without its first component (covering one more); most components covered
/// wins, a direct match wins a tie.
fn reference(
    default: LevelFilter,
    rules: &[(Vec<&str>, LevelFilter)],
    target: &[&str],
) -> LevelFilter {
    let mut best: Option<(usize, bool, LevelFilter)> = None;
    for (r, l) in rules {
        let hit = if target.starts_with(r) {
            Some((r.len(), true))
        } else if !target.is_empty() && target[1..].starts_with(r) {
            Some((r.len() + 1, false))
        } else {
            None
        };
        if let Some((c, d)) = hit
            && best.is_none_or(|(bc, bd, _)| (c, d) > (bc, bd))
        {
            best = Some((c, d, *l));
        }
    }
    best.map_or(default, |b| b.2)
}

/// Init arguments: mostly awkward characters (quotes, backslashes, spaces
/// of both kinds), sometimes anything at all.
fn init_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z/\"\\\\ \t=-]{0,8}",
        1 => "[ \u{a0}\u{2003}x]{0,3}",
        1 => any::<String>(),
    ]
}

fn options() -> impl Strategy<Value = Options> {
    (
        (
            prop::sample::select(Mode::ALL.to_vec()),
            prop::collection::vec(init_arg(), 0..4),
        ),
        (
            level(),
            prop::collection::btree_map(path(3).prop_map(|p| p.join("::")), level(), 0..4),
        ),
        prop::option::of("[!-~]{1,16}"),
        any::<usize>(),
        1u64..,
        1u32..=10_000,
        any::<bool>(),
    )
        .prop_map(
            |((mode, init_args), (default, rules), filter, skip, timeout, hz, verbose)| {
                let mut spec = default.to_string();
                for (p, l) in rules {
                    spec.push_str(&format!(",{p}={l}"));
                }
                Options {
                    mode,
                    init_args,
                    log: LogFilter::parse(&spec).unwrap(),
                    ktest_filter: filter,
                    ktest_skip: skip,
                    ktest_timeout_ms: timeout,
                    timer_hz: hz,
                    vmstat: verbose && skip % 2 == 0,
                    prof_period: None,
                    prof_comm: None,
                    verbose,
                }
            },
        )
}

fn check_message(e: &CmdlineError) -> Result<(), TestCaseError> {
    let m = e.to_string();
    prop_assert!(!m.is_empty());
    prop_assert!(!m.contains('\n'), "multi-line message: {}", m);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
        if let Err(e) = parse(&s) {
            check_message(&e)?;
        }
    }

    #[test]
    fn parse_never_panics_on_ascii_soup(s in "[ -~\t\n]{0,64}") {
        if let Err(e) = parse(&s) {
            check_message(&e)?;
        }
    }

    #[test]
    fn parse_never_panics_on_word_soup(
        words in prop::collection::vec(word(), 0..8),
        seps in prop::collection::vec(prop::sample::select(vec![" ", "  ", "\t", "\n", ""]), 8),
    ) {
        let mut s = String::new();
        for (w, sep) in words.iter().zip(&seps) {
            s.push_str(w);
            s.push_str(sep);
        }
        match parse(&s) {
            Ok(o) => prop_assert!((1..=10_000).contains(&o.timer_hz) && o.ktest_timeout_ms >= 1),
            Err(e) => check_message(&e)?,
        }
    }

    #[test]
    fn log_filter_never_panics(spec in "[a-zA-Z:=, _]{0,40}", target in "[a-z:]{0,24}") {
        match LogFilter::parse(&spec) {
            Ok(f) => {
                let l = f.level_for(&target);
                prop_assert!(l <= f.max_level());
                prop_assert_eq!(LogFilter::parse(&f.to_string()).unwrap(), f);
            }
            Err(e) => check_message(&e)?,
        }
    }

    #[test]
    fn options_round_trip(o in options()) {
        let line = o.to_string();
        prop_assert_eq!(parse(&line).unwrap(), o, "line: {}", line);
    }

    #[test]
    fn quoted_init_args_split_back(
        args in prop::collection::vec(init_arg(), 0..6),
        seps in prop::collection::vec("[ \t\n\r]{1,3}", 7),
    ) {
        let quoted: Vec<String> = args.iter().map(|a| quote_init_arg(a).into_owned()).collect();
        let line = quoted.join(" ");
        prop_assert_eq!(split_init_args(&line).unwrap(), args.clone(), "line: {}", line);
        // The same with any ASCII whitespace around and between them.
        let mut spaced = seps[6].clone();
        for (q, sep) in quoted.iter().zip(&seps) {
            spaced.push_str(q);
            spaced.push_str(sep);
        }
        prop_assert_eq!(split_init_args(&spaced).unwrap(), args, "line: {:?}", spaced);
    }

    #[test]
    fn init_args_never_panic(s in "[a \"\\\\\t]{0,24}") {
        match split_init_args(&s) {
            // Without quotes, splitting is splitting on whitespace.
            Ok(args) if !s.contains('"') && !s.contains('\\') => {
                let words: Vec<&str> = s.split_ascii_whitespace().collect();
                prop_assert_eq!(args, words);
            }
            Ok(_) => {}
            Err(e) => {
                let unterminated = matches!(e, CmdlineError::UnterminatedQuote { .. });
                prop_assert!(unterminated, "unexpected error {:?}", e);
                check_message(&e)?;
            }
        }
    }

    #[test]
    fn double_dash_splits_options_from_args(
        o in options(),
        args in prop::collection::vec("[a-z=.-]{1,6}", 0..5),
    ) {
        // Whatever follows `--` is arguments, never options.
        let o = Options { init_args: Vec::new(), ..o };
        let line = format!("{o} -- {}", args.join(" "));
        let parsed = parse(&line).unwrap();
        prop_assert_eq!(&parsed.init_args, &args);
        let without_args = Options { init_args: Vec::new(), ..parsed };
        prop_assert_eq!(without_args, o);
    }

    #[test]
    fn level_for_matches_reference(
        default in level(),
        rules in prop::collection::btree_map(path(3), level(), 0..6),
        targets in prop::collection::vec(path(4), 1..8),
    ) {
        let rules: Vec<(Vec<&str>, LevelFilter)> = rules.into_iter().collect();
        let mut spec = default.to_string();
        for (p, l) in &rules {
            spec.push_str(&format!(",{}={l}", p.join("::")));
        }
        let f = LogFilter::parse(&spec).unwrap();
        prop_assert_eq!(f.default_level(), default);
        prop_assert_eq!(f.rules().len(), rules.len());
        let max = rules.iter().map(|r| r.1).fold(default, Ord::max);
        prop_assert_eq!(f.max_level(), max);
        for t in &targets {
            let joined = t.join("::");
            prop_assert_eq!(f.level_for(&joined), reference(default, &rules, t), "target {}", joined);
        }
    }
}

//! `testrun`: the userland suite runner (packed as `/bin/testrun`).
//!
//! `testrun [--dir DIR] [--timeout SECS] [FILTER]` runs every executable in
//! DIR (default `/bin/tests`) in name order, passing FILTER, forwards their
//! result lines and ends with `user: N passed, M failed, K skipped`; it
//! exits 0 iff nothing failed. On Ferrite, a full run (no FILTER) is framed
//! by the kernel's leak snapshot and reports
//! `test user::testrun::no_leaks_after_suite` (see `leak.rs`).
//!
//! This crate owns running and tallying programs; what a program checks and
//! how it reports a single check belong to the programs and to `ftest`.

mod leak;
mod suite;
mod tally;

use std::time::Duration;

use ftest::proc::write_all;
use tally::{Tally, Verdict};

const DEFAULT_DIR: &str = "/bin/tests";
/// Per program; the emulator is slow.
const DEFAULT_TIMEOUT_SECS: u64 = 600;

struct Options {
    dir: String,
    timeout: Duration,
    filter: String,
}

fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            write_all(
                2,
                format!("testrun: {e}\nusage: testrun [--dir DIR] [--timeout SECS] [FILTER]\n")
                    .as_bytes(),
            );
            std::process::exit(2);
        }
    };
    let programs = match list_programs(&opts.dir) {
        Ok(p) => p,
        Err(e) => {
            write_all(2, format!("testrun: {}: {e}\n", opts.dir).as_bytes());
            std::process::exit(2);
        }
    };
    // The worker half of a leak-checked run (see `leak::bracket`): run the
    // programs, hand the counts back, print no summary.
    if let Some(fd) = leak::worker_fd() {
        let tally = run_all(&programs, &opts);
        leak::send_tally(fd, &tally);
        std::process::exit(0);
    }
    let leak_check = ftest::on_ferrite() && opts.filter.is_empty();
    let tally = if leak_check {
        // The whole suite runs in a child (this same program), so nothing
        // this process allocates for the results is counted as a leak.
        let (mut tally, verdict) = leak::bracket();
        let text = match &verdict {
            Ok(()) => "test user::testrun::no_leaks_after_suite ... ok\n".to_string(),
            Err(reason) => {
                format!("test user::testrun::no_leaks_after_suite ... FAILED\n  {reason}\n")
            }
        };
        write_all(1, text.as_bytes());
        tally.add(if verdict.is_ok() {
            Verdict::Passed
        } else {
            Verdict::Failed
        });
        tally
    } else {
        run_all(&programs, &opts)
    };
    write_all(1, tally.summary().as_bytes());
    std::process::exit(if tally.failed == 0 { 0 } else { 1 });
}

/// Runs every program, forwarding and counting their results.
fn run_all(programs: &[(String, String)], opts: &Options) -> Tally {
    let mut tally = Tally::default();
    for (path, name) in programs {
        suite::run_program(path, name, &opts.filter, opts.timeout, &mut tally);
    }
    tally
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        dir: DEFAULT_DIR.to_string(),
        timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        filter: String::new(),
    };
    let mut filter = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => opts.dir = args.next().ok_or("--dir needs a directory")?,
            "--timeout" => {
                let secs = args.next().ok_or("--timeout needs a number of seconds")?;
                let secs: u64 = secs
                    .parse()
                    .map_err(|_| format!("bad --timeout {secs:?}"))?;
                opts.timeout = Duration::from_secs(secs);
            }
            a if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ if filter.is_some() => return Err("more than one FILTER".to_string()),
            _ => filter = Some(arg),
        }
    }
    opts.filter = filter.unwrap_or_default();
    Ok(opts)
}

/// The executable regular files in `dir`, sorted by name: `(path, name)`.
fn list_programs(dir: &str) -> Result<Vec<(String, String)>, std::io::Error> {
    use std::os::unix::fs::PermissionsExt;
    let mut programs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = std::fs::metadata(entry.path())?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            let name = entry.file_name().to_string_lossy().into_owned();
            programs.push((format!("{}/{name}", dir.trim_end_matches('/')), name));
        }
    }
    programs.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(programs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_options_and_filter() {
        let o = parse(&[]).unwrap();
        assert_eq!(
            (o.dir.as_str(), o.timeout.as_secs(), o.filter.as_str()),
            ("/bin/tests", 600, "")
        );
        let o = parse(&["--dir", "/d", "user::fork::", "--timeout", "5"]).unwrap();
        assert_eq!(
            (o.dir.as_str(), o.timeout.as_secs(), o.filter.as_str()),
            ("/d", 5, "user::fork::")
        );
        assert!(parse(&["--timeout", "x"]).is_err());
        assert!(parse(&["--dir"]).is_err());
        assert!(parse(&["a", "b"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
    }
}

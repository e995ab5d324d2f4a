//! Command-line parsing: turns `argv` into a [`Command`] with validated
//! [`Options`]. Hand written (no clap); every mistake becomes an
//! [`Error::usage`] naming the problem and what to do.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::initramfs::{self, AddSpec};

pub const USAGE: &str = "\
usage: ferrite-boot <command> [options]

commands:
  image --kernel ELF [--out DIR] [--uefi] [--verbose] [initramfs options]
        build the BIOS disk image (and the UEFI one if OVMF is installed or
        --uefi is given) and print their paths
  run   --kernel ELF [common options] [-- PROG ARGS...]
        boot the kernel in demo mode, stream the serial console (backtraces
        symbolised); exit 0 when the kernel powers off successfully.
        With `-- PROG ARGS...`: boot in user mode, /init runs PROG ARGS, and
        exit with PROG's status (128+N if signal N killed it).
        With --shell: boot in user mode, /init runs an interactive /bin/sh
        on the serial console, which this terminal (stdin) types into; exit
        with the shell's status when it exits (no timeout unless --timeout)
  bench --kernel ELF [common options]
        boot the kernel in benchmark mode with deterministic guest time
        (--icount implied) and stream its `bench:` result lines
  bench --suite --kernel ELF --userland DIR [bench options] [common options]
        the whole suite: the in-kernel benchmarks, every /bin/bench program
        (/init runs /bin/benchrun) on Ferrite and on a stock Debian Linux
        kernel under the same QEMU settings (--memory, default 256), the
        fork+exit scaling benchmark on both (1024 MiB); writes latest.md and
        fork_scaling.svg into --results DIR and prints the table
  bench --user --kernel ELF --userland DIR [bench options]
        the userland benchmarks on Ferrite only (prints the table)
  bench --linux VMLINUZ --userland DIR [bench options]
        the userland benchmarks on that Linux kernel only (prints the table)
  bench --profile NAME --kernel ELF [--userland DIR] [--profile-period N]
        profile one benchmark (a /bin/bench program, or `kernel`) with the
        kernel's sampling profiler; writes profile-NAME.md (top functions),
        .svg (flame graph) and .folded into --results DIR
  test  --kernel ELF [common options] [--filter F] [--test-timeout SECS]
        [--summary FILE] [--user]
        run the in-kernel test suite (rebooting after panics and hangs) and
        print `<P> passed, <F> failed` as the last line; with --user, run the
        userland suite instead (/init runs `/bin/testrun [F]`; one boot)

common options:
  --kernel ELF          the kernel ELF (required)
  --out DIR             where disk images go (default: next to the ELF)
  --memory MIB          guest memory (default 512)
  --uefi                boot through OVMF instead of BIOS
  --verbose             show the bootloader log and the QEMU command line
  --log SPEC            kernel log filter, e.g. info,uvm::fault=trace
  --timeout SECS        whole-boot timeout (run: default 300; test: none)
  --icount              deterministic execution (-icount, fixed RTC)
  --cmdline-extra \"k=v ...\"  extra kernel command-line words
  --qemu PATH           QEMU binary (default: qemu-system-x86_64 from PATH)
  --cpu-flags FLAGS     extra CPU features for the qemu64 model, e.g. +pdpe1gb

initramfs options (all commands; the gzipped archive is the ramdisk):
  --userland DIR        pack cargo's userland output directory
                        (target/x86_64-unknown-linux-musl/userland): init as
                        /init, any other executable as /bin/NAME; for every
                        program P that `utests --multicall-list` prints, a
                        link /bin/tests/P -> /bin/utests (ubench: /bin/bench/P
                        -> /bin/ubench; ftools: /bin/P -> /bin/ftools);
                        utest-P as /bin/tests/P, ubench-N as /bin/bench/N
  --add HOST[:GUEST]    also pack a host file, keeping its permissions
                        (GUEST defaults to /bin/<file name>); repeatable
  --busybox HOST        pack a static BusyBox as /bin/busybox with a link
                        /bin/A -> /bin/busybox for every applet A that
                        `HOST --list` prints and no other file occupies

run options:
  --shell               /init runs an interactive /bin/sh (needs /bin/sh in
                        the initramfs, e.g. from --busybox)

test options:
  --filter F            only tests whose path contains F
  --test-timeout SECS   per-test host timeout (default 60; with --user: the
                        longest silence allowed, default 660)
  --summary FILE        also write `passed=P` / `failed=F` lines to FILE
  --user                run the userland suite (needs --userland)

bench options (--suite, --user, --linux):
  --only NAME[,NAME]    only these benchmarks: program names of /bin/bench,
                        `fork_scaling` (the scaling benchmark), `kernel` (the
                        in-kernel ones, --suite only); repeatable
  --linux VMLINUZ       the Linux kernel to compare with (--suite: instead
                        of fetching the Debian one)
  --no-linux            --suite without the Linux boots
  --linux-cache DIR     where the Debian kernel is cached (default
                        ~/.cache/ferrite/linux)
  --results DIR         where --suite and --profile write (default bench-results)
  --profile NAME        profile benchmark NAME instead (see above)
  --profile-period N    guest instructions between samples (default 10000;
                        20000 for `kernel`)

exit status: 0 success, 1 kernel or test failure, 2 usage/environment error;
`run -- PROG` exits with PROG's status";

pub const DEFAULT_MEMORY_MIB: u32 = 512;
pub const DEFAULT_RUN_TIMEOUT_SECS: u64 = 300;
pub const DEFAULT_TEST_TIMEOUT_SECS: u64 = 60;
/// The user suite prints a line per check only when the check ends, and
/// testrun gives a program up to 600 s: allow that much silence and more.
pub const DEFAULT_USER_TEST_TIMEOUT_SECS: u64 = 660;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Image(Options),
    Run(Options),
    Bench(Options),
    Test(Options),
}

/// All options; which ones are accepted depends on the subcommand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub kernel: PathBuf,
    pub out_dir: Option<PathBuf>,
    pub memory_mib: u32,
    pub uefi: bool,
    pub verbose: bool,
    pub log: Option<String>,
    /// Whole-boot timeout; `None` means the subcommand default.
    pub timeout_secs: Option<u64>,
    pub icount: bool,
    pub cmdline_extra: Vec<String>,
    pub qemu: Option<PathBuf>,
    /// Extra CPU feature flags (`+name`/`-name`, comma separated).
    pub cpu_flags: Option<String>,
    pub filter: Option<String>,
    /// `--test-timeout`; `None` means the default (see [`Options::test_timeout`]).
    pub test_timeout_secs: Option<u64>,
    pub summary: Option<PathBuf>,
    /// `--userland DIR`.
    pub userland: Option<PathBuf>,
    /// `--add HOST[:GUEST]`, in order.
    pub add: Vec<AddSpec>,
    /// `test --user`: the userland suite.
    pub user: bool,
    /// `run ... -- PROG ARGS`: `/init`'s arguments (user mode).
    pub init_args: Option<Vec<String>>,
    /// `--busybox HOST`.
    pub busybox: Option<PathBuf>,
    /// `run --shell`: an interactive shell on the console.
    pub shell: bool,
    /// `bench --suite`: the whole benchmark suite with the report.
    pub suite: bool,
    /// `bench --linux VMLINUZ`.
    pub linux: Option<PathBuf>,
    /// `bench --no-linux`.
    pub no_linux: bool,
    /// `bench --linux-cache DIR`.
    pub linux_cache: Option<PathBuf>,
    /// `bench --only NAME[,NAME]`, in order.
    pub only: Vec<String>,
    /// `bench --results DIR`.
    pub results_dir: Option<PathBuf>,
    /// `bench --profile NAME`.
    pub profile: Option<String>,
    /// `bench --profile-period N`.
    pub profile_period: Option<u32>,
}

impl Options {
    /// The per-test (kernel suite) or silence (user suite) timeout.
    pub fn test_timeout(&self) -> u64 {
        self.test_timeout_secs.unwrap_or(if self.user {
            DEFAULT_USER_TEST_TIMEOUT_SECS
        } else {
            DEFAULT_TEST_TIMEOUT_SECS
        })
    }

    /// Whether an initramfs is to be packed.
    pub fn has_initramfs(&self) -> bool {
        self.userland.is_some() || !self.add.is_empty() || self.busybox.is_some()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sub {
    Image,
    Run,
    Bench,
    Test,
}

impl Sub {
    fn name(self) -> &'static str {
        match self {
            Sub::Image => "image",
            Sub::Run => "run",
            Sub::Bench => "bench",
            Sub::Test => "test",
        }
    }
}

/// Which subcommands accept an option.
fn allowed(option: &str, sub: Sub) -> bool {
    match option {
        "--kernel" | "--out" | "--uefi" | "--verbose" | "--userland" | "--add" | "--busybox" => {
            true
        }
        "--shell" => sub == Sub::Run,
        "--memory" | "--log" | "--timeout" | "--icount" | "--cmdline-extra" | "--qemu"
        | "--cpu-flags" => sub != Sub::Image,
        "--filter" | "--test-timeout" | "--summary" => sub == Sub::Test,
        "--user" => matches!(sub, Sub::Test | Sub::Bench),
        "--suite" | "--linux" | "--no-linux" | "--linux-cache" | "--only" | "--results"
        | "--profile" | "--profile-period" => sub == Sub::Bench,
        _ => false,
    }
}

fn takes_value(option: &str) -> bool {
    !matches!(
        option,
        "--uefi" | "--verbose" | "--icount" | "--user" | "--suite" | "--no-linux" | "--shell"
    )
}

/// Validate `+feature,-feature,...` (letters, digits, `_`, `-`, `.`).
fn cpu_flags(name: &str, value: String) -> Result<String> {
    let ok = !value.is_empty()
        && value.split(',').all(|f| {
            let mut chars = f.chars();
            matches!(chars.next(), Some('+' | '-'))
                && f.len() > 1
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
    if ok {
        Ok(value)
    } else {
        Err(Error::usage(format!(
            "{name} `{value}` is not a list of CPU features like `+pdpe1gb,-x2apic`"
        )))
    }
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Command>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    let Some(first) = args.first() else {
        return Err(Error::usage(
            "no command given; use `ferrite-boot image|run|test --kernel ELF` (see --help)",
        ));
    };
    let sub = match first.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "image" => Sub::Image,
        "run" => Sub::Run,
        "bench" => Sub::Bench,
        "test" => Sub::Test,
        other => {
            return Err(Error::usage(format!(
                "unknown command `{other}`; expected `image`, `run`, `bench` or `test` (see --help)"
            )));
        }
    };

    let mut kernel = None;
    let mut opts = Options {
        kernel: PathBuf::new(),
        out_dir: None,
        memory_mib: DEFAULT_MEMORY_MIB,
        uefi: false,
        verbose: false,
        log: None,
        timeout_secs: None,
        icount: false,
        cmdline_extra: Vec::new(),
        qemu: None,
        cpu_flags: None,
        filter: None,
        test_timeout_secs: None,
        summary: None,
        userland: None,
        add: Vec::new(),
        user: false,
        init_args: None,
        busybox: None,
        shell: false,
        suite: false,
        linux: None,
        no_linux: false,
        linux_cache: None,
        only: Vec::new(),
        results_dir: None,
        profile: None,
        profile_period: None,
    };
    let mut memory_given = false;

    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        if arg == "--" {
            if sub != Sub::Run {
                return Err(Error::usage(format!(
                    "`--` (a program to run) is only accepted by `run`, not `{}` (see --help)",
                    sub.name()
                )));
            }
            let program: Vec<String> = rest.by_ref().cloned().collect();
            if program.is_empty() {
                return Err(Error::usage(
                    "`--` must be followed by the program to run, e.g. `-- /bin/testrun fork`",
                ));
            }
            opts.init_args = Some(program);
            break;
        }
        let (name, inline_value) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if !name.starts_with("--") {
            return Err(Error::usage(format!(
                "unexpected argument `{arg}` for `{}`; options start with `--` (see --help)",
                sub.name()
            )));
        }
        if !allowed(name, sub) {
            let known = [Sub::Image, Sub::Run, Sub::Bench, Sub::Test]
                .iter()
                .any(|s| allowed(name, *s));
            return Err(Error::usage(if known {
                format!(
                    "option `{name}` is not accepted by `{}` (see --help)",
                    sub.name()
                )
            } else {
                format!("unknown option `{name}` (see --help)")
            }));
        }
        let value = if takes_value(name) {
            match inline_value {
                Some(v) => v,
                None => match rest.next() {
                    Some(v) => v.clone(),
                    None => {
                        return Err(Error::usage(format!("option `{name}` needs a value")));
                    }
                },
            }
        } else {
            if inline_value.is_some() {
                return Err(Error::usage(format!("option `{name}` takes no value")));
            }
            String::new()
        };

        match name {
            "--kernel" => kernel = Some(PathBuf::from(non_empty(name, value)?)),
            "--out" => opts.out_dir = Some(PathBuf::from(non_empty(name, value)?)),
            "--uefi" => opts.uefi = true,
            "--verbose" => opts.verbose = true,
            "--icount" => opts.icount = true,
            "--memory" => {
                memory_given = true;
                let mib = parse_number(name, &value, "a size in MiB")?;
                opts.memory_mib = u32::try_from(mib)
                    .ok()
                    .filter(|m| (16..=1 << 20).contains(m))
                    .ok_or_else(|| {
                        Error::usage(format!(
                            "--memory {mib} is out of range; use 16..1048576 MiB"
                        ))
                    })?;
            }
            "--timeout" => opts.timeout_secs = Some(parse_number(name, &value, "seconds")?),
            "--test-timeout" => {
                opts.test_timeout_secs = Some(parse_number(name, &value, "seconds")?);
            }
            "--userland" => opts.userland = Some(PathBuf::from(non_empty(name, value)?)),
            "--add" => opts
                .add
                .push(initramfs::parse_add(&non_empty(name, value)?)?),
            "--user" => opts.user = true,
            "--busybox" => opts.busybox = Some(PathBuf::from(non_empty(name, value)?)),
            "--shell" => opts.shell = true,
            "--log" => opts.log = Some(single_word(name, value)?),
            "--filter" => opts.filter = Some(single_word(name, value)?),
            "--cmdline-extra" => opts
                .cmdline_extra
                .extend(value.split_whitespace().map(str::to_string)),
            "--qemu" => opts.qemu = Some(PathBuf::from(non_empty(name, value)?)),
            "--cpu-flags" => opts.cpu_flags = Some(cpu_flags(name, value)?),
            "--summary" => opts.summary = Some(PathBuf::from(non_empty(name, value)?)),
            "--suite" => opts.suite = true,
            "--no-linux" => opts.no_linux = true,
            "--linux" => opts.linux = Some(PathBuf::from(non_empty(name, value)?)),
            "--linux-cache" => opts.linux_cache = Some(PathBuf::from(non_empty(name, value)?)),
            "--results" => opts.results_dir = Some(PathBuf::from(non_empty(name, value)?)),
            "--profile" => opts.profile = Some(single_word(name, value)?),
            "--profile-period" => {
                let n = parse_number(name, &value, "guest instructions")?;
                let (lo, hi) = (
                    ferrite_cmdline::MIN_PROF_PERIOD,
                    ferrite_cmdline::MAX_PROF_PERIOD,
                );
                opts.profile_period = Some(
                    u32::try_from(n)
                        .ok()
                        .filter(|n| (lo..=hi).contains(n))
                        .ok_or_else(|| {
                            Error::usage(format!(
                                "--profile-period {n} is out of range; use {lo}..{hi}"
                            ))
                        })?,
                );
            }
            "--only" => {
                for n in non_empty(name, value)?.split(',') {
                    opts.only.push(single_word(name, n.trim().to_string())?);
                }
            }
            _ => {
                return Err(Error::usage(format!(
                    "unknown option `{name}` (see --help)"
                )));
            }
        }
    }

    if sub == Sub::Bench {
        check_bench(&mut opts, kernel.is_some(), memory_given)?;
    }
    // `bench --linux VMLINUZ` alone boots no Ferrite kernel.
    let linux_only = sub == Sub::Bench && opts.linux.is_some() && !opts.suite && !opts.user;
    if linux_only && kernel.is_none() {
        return Ok(Command::Bench(Options {
            icount: true,
            ..opts
        }));
    }
    opts.kernel = kernel.ok_or_else(|| {
        Error::usage(format!(
            "missing --kernel ELF; build the kernel first (cargo kbuild) and pass \
             `ferrite-boot {} --kernel target/x86_64-unknown-none/release/ferrite`",
            sub.name()
        ))
    })?;
    if opts.user && sub == Sub::Test && opts.userland.is_none() {
        return Err(Error::usage(
            "--user needs --userland DIR (the userland binaries, with testrun and the \
             utests multi-call binary)",
        ));
    }
    if opts.shell && opts.init_args.is_some() {
        return Err(Error::usage(
            "--shell runs /bin/sh; it does not take `-- PROG` (type the program at the prompt)",
        ));
    }
    if opts.shell && !opts.has_initramfs() {
        return Err(Error::usage(
            "--shell needs an initramfs with /init and /bin/sh: pass --userland DIR and \
             --busybox HOST",
        ));
    }
    if opts.init_args.is_some() && !opts.has_initramfs() {
        return Err(Error::usage(
            "`-- PROG` needs an initramfs to find PROG in: pass --userland DIR and/or \
             --add HOST[:GUEST]",
        ));
    }

    Ok(match sub {
        Sub::Image => Command::Image(opts),
        Sub::Run => Command::Run(opts),
        Sub::Bench => Command::Bench(Options {
            icount: true,
            ..opts
        }),
        Sub::Test => Command::Test(opts),
    })
}

/// The benchmark options' rules: the userland modes (`--suite`,
/// `--user`, `--linux`) need `--userland` and default to 256 MiB; the
/// bench options need one of those modes.
fn check_bench(opts: &mut Options, has_kernel: bool, memory_given: bool) -> Result<()> {
    if let Some(name) = &opts.profile {
        return check_profile(opts, name.clone(), has_kernel, memory_given);
    }
    if opts.profile_period.is_some() {
        return Err(Error::usage(
            "--profile-period goes with `bench --profile NAME` (see --help)",
        ));
    }
    let userland_mode = opts.suite || opts.user || opts.linux.is_some();
    if !userland_mode {
        let stray = [
            (opts.no_linux, "--no-linux"),
            (opts.linux_cache.is_some(), "--linux-cache"),
            (!opts.only.is_empty(), "--only"),
            (opts.results_dir.is_some(), "--results"),
        ];
        if let Some((_, name)) = stray.iter().find(|(set, _)| *set) {
            return Err(Error::usage(format!(
                "{name} goes with `bench --suite`, `--user` or `--linux VMLINUZ` (see --help)"
            )));
        }
        return Ok(());
    }
    if opts.suite && opts.user {
        return Err(Error::usage(
            "--suite already runs the userland benchmarks on Ferrite; drop --user",
        ));
    }
    if opts.no_linux && (opts.linux.is_some() || !opts.suite) {
        return Err(Error::usage(
            "--no-linux goes with `bench --suite` and without --linux",
        ));
    }
    if (opts.suite || opts.user) && !has_kernel {
        return Err(Error::usage(
            "missing --kernel ELF: `bench --suite` and `bench --user` boot Ferrite",
        ));
    }
    if opts.userland.is_none() {
        return Err(Error::usage(
            "the userland benchmarks need --userland DIR (with init, benchrun and ubench)",
        ));
    }
    if !memory_given {
        opts.memory_mib = crate::bench_suite::USER_MEMORY_MIB;
    }
    Ok(())
}

/// `bench --profile NAME`: one Ferrite boot, no other bench mode; a
/// userland benchmark needs --userland and defaults to the userland
/// boots' memory.
fn check_profile(
    opts: &mut Options,
    name: String,
    has_kernel: bool,
    memory_given: bool,
) -> Result<()> {
    let conflicts = [
        (opts.suite, "--suite"),
        (opts.user, "--user"),
        (opts.linux.is_some(), "--linux"),
        (opts.no_linux, "--no-linux"),
        (!opts.only.is_empty(), "--only"),
    ];
    if let Some((_, other)) = conflicts.iter().find(|(set, _)| *set) {
        return Err(Error::usage(format!(
            "--profile profiles one benchmark on Ferrite; drop {other}"
        )));
    }
    if !has_kernel {
        return Err(Error::usage(
            "missing --kernel ELF: `bench --profile` boots Ferrite",
        ));
    }
    if name != crate::bench_suite::KERNEL_PART {
        if opts.userland.is_none() {
            return Err(Error::usage(format!(
                "--profile {name} needs --userland DIR (with init, benchrun and ubench)"
            )));
        }
        if !memory_given {
            opts.memory_mib = crate::bench_suite::USER_MEMORY_MIB;
        }
    }
    Ok(())
}

fn non_empty(name: &str, value: String) -> Result<String> {
    if value.is_empty() {
        Err(Error::usage(format!(
            "option `{name}` needs a non-empty value"
        )))
    } else {
        Ok(value)
    }
}

/// A value that becomes one kernel command-line word: no whitespace.
fn single_word(name: &str, value: String) -> Result<String> {
    let value = non_empty(name, value)?;
    if value.chars().any(char::is_whitespace) {
        return Err(Error::usage(format!(
            "{name} `{value}` contains whitespace; the kernel command line is split on \
             spaces, so pass a single word"
        )));
    }
    Ok(value)
}

fn parse_number(name: &str, value: &str, what: &str) -> Result<u64> {
    match value.parse::<u64>() {
        Ok(0) => Err(Error::usage(format!("{name} must be greater than 0"))),
        Ok(n) => Ok(n),
        Err(_) => Err(Error::usage(format!(
            "{name} expects {what} (a positive integer), got `{value}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(args: &[&str]) -> Command {
        parse(args.iter().copied()).expect("should parse")
    }

    fn parse_err(args: &[&str]) -> Error {
        parse(args.iter().copied()).expect_err("should fail")
    }

    fn opts(cmd: Command) -> Options {
        match cmd {
            Command::Image(o) | Command::Run(o) | Command::Bench(o) | Command::Test(o) => o,
            Command::Help => panic!("got help"),
        }
    }

    #[test]
    fn cpu_flags_are_validated() {
        match parse_ok(&["run", "--kernel", "k", "--cpu-flags", "+pdpe1gb,-x2apic"]) {
            Command::Run(o) => assert_eq!(o.cpu_flags.as_deref(), Some("+pdpe1gb,-x2apic")),
            other => panic!("{other:?}"),
        }
        for bad in ["pdpe1gb", "+", "+a b", "+x,,+y"] {
            assert!(
                parse(["run", "--kernel", "k", "--cpu-flags", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn bench_suite_options() {
        let o = opts(parse_ok(&[
            "bench",
            "--suite",
            "--kernel",
            "k",
            "--userland",
            "u",
            "--only",
            "fork_exit,kernel",
            "--only=fork_scaling",
            "--no-linux",
            "--results",
            "out",
            "--linux-cache",
            "c",
        ]));
        assert!(o.suite && o.no_linux && o.icount);
        assert_eq!(o.only, ["fork_exit", "kernel", "fork_scaling"]);
        assert_eq!(o.results_dir, Some(PathBuf::from("out")));
        assert_eq!(o.linux_cache, Some(PathBuf::from("c")));
        assert_eq!(
            o.memory_mib, 256,
            "the userland benchmarks default to 256 MiB"
        );
        let o = opts(parse_ok(&[
            "bench",
            "--user",
            "--kernel",
            "k",
            "--userland",
            "u",
            "--memory",
            "512",
        ]));
        assert!(o.user && !o.suite);
        assert_eq!(o.memory_mib, 512);
        // Linux alone needs no Ferrite kernel.
        let o = opts(parse_ok(&[
            "bench",
            "--linux",
            "vmlinuz",
            "--userland",
            "u",
        ]));
        assert_eq!(o.linux, Some(PathBuf::from("vmlinuz")));
        assert_eq!(o.kernel, PathBuf::new());
        // The in-kernel mode keeps the runner's default memory.
        assert_eq!(opts(parse_ok(&["bench", "--kernel", "k"])).memory_mib, 512);
    }

    #[test]
    fn bench_profile_options() {
        let o = opts(parse_ok(&[
            "bench",
            "--profile",
            "fork_exit",
            "--kernel",
            "k",
            "--userland",
            "u",
            "--profile-period=5000",
        ]));
        assert_eq!(o.profile.as_deref(), Some("fork_exit"));
        assert_eq!(o.profile_period, Some(5000));
        assert_eq!(o.memory_mib, 256, "a userland benchmark's memory");
        assert!(o.icount);
        let o = opts(parse_ok(&["bench", "--profile", "kernel", "--kernel", "k"]));
        assert_eq!(o.memory_mib, 512, "the in-kernel benchmarks' memory");
        assert_eq!(o.profile_period, None);
        let cases: &[(&[&str], &str)] = &[
            (
                &["bench", "--profile", "fork_exit", "--kernel", "k"],
                "--profile fork_exit needs --userland",
            ),
            (&["bench", "--profile", "kernel"], "missing --kernel"),
            (
                &["bench", "--profile", "kernel", "--kernel", "k", "--suite"],
                "drop --suite",
            ),
            (
                &[
                    "bench",
                    "--profile",
                    "kernel",
                    "--kernel",
                    "k",
                    "--only",
                    "x",
                ],
                "drop --only",
            ),
            (
                &["bench", "--kernel", "k", "--profile-period", "5000"],
                "--profile-period goes with",
            ),
            (
                &[
                    "bench",
                    "--profile",
                    "kernel",
                    "--kernel",
                    "k",
                    "--profile-period",
                    "10",
                ],
                "--profile-period 10 is out of range; use 1000..1000000000",
            ),
            (
                &["test", "--profile", "kernel", "--kernel", "k"],
                "not accepted by `test`",
            ),
        ];
        for (args, want) in cases {
            let e = parse_err(args);
            assert!(e.message.contains(want), "{args:?}: {}", e.message);
        }
    }

    #[test]
    fn bench_option_errors() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["bench", "--kernel", "k", "--only", "x"],
                "--only goes with",
            ),
            (
                &["bench", "--kernel", "k", "--no-linux"],
                "--no-linux goes with",
            ),
            (&["bench", "--suite", "--kernel", "k"], "need --userland"),
            (&["bench", "--suite", "--userland", "u"], "missing --kernel"),
            (
                &[
                    "bench",
                    "--suite",
                    "--user",
                    "--kernel",
                    "k",
                    "--userland",
                    "u",
                ],
                "drop --user",
            ),
            (
                &[
                    "bench",
                    "--suite",
                    "--kernel",
                    "k",
                    "--userland",
                    "u",
                    "--no-linux",
                    "--linux",
                    "v",
                ],
                "without --linux",
            ),
            (
                &[
                    "bench",
                    "--user",
                    "--kernel",
                    "k",
                    "--userland",
                    "u",
                    "--no-linux",
                ],
                "--no-linux goes with",
            ),
            (
                &[
                    "bench",
                    "--suite",
                    "--kernel",
                    "k",
                    "--userland",
                    "u",
                    "--only",
                    "a b",
                ],
                "whitespace",
            ),
            (
                &["run", "--kernel", "k", "--suite"],
                "not accepted by `run`",
            ),
        ];
        for (args, needle) in cases {
            let err = parse_err(args);
            assert_eq!(err.exit_code, 2, "{args:?}");
            assert!(
                err.message.contains(needle),
                "{args:?}: `{}` should contain `{needle}`",
                err.message
            );
        }
    }

    #[test]
    fn bench_implies_icount() {
        match parse_ok(&["bench", "--kernel", "k.elf"]) {
            Command::Bench(o) => assert!(o.icount),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn run_defaults() {
        let o = opts(parse_ok(&["run", "--kernel", "k.elf"]));
        assert_eq!(o.kernel, PathBuf::from("k.elf"));
        assert_eq!(o.memory_mib, 512);
        assert_eq!(o.timeout_secs, None);
        assert_eq!(o.test_timeout_secs, None);
        assert_eq!(o.test_timeout(), 60);
        assert!(!o.uefi && !o.verbose && !o.icount && !o.user);
        assert!(o.cmdline_extra.is_empty());
        assert!(o.userland.is_none() && o.add.is_empty() && o.init_args.is_none());
        assert!(!o.has_initramfs());
    }

    #[test]
    fn initramfs_options() {
        let o = opts(parse_ok(&[
            "run",
            "--kernel",
            "k",
            "--userland",
            "target/x86_64-unknown-linux-musl/userland",
            "--add",
            "busybox:/bin/sh",
            "--add=notes.txt",
        ]));
        assert_eq!(
            o.userland,
            Some(PathBuf::from("target/x86_64-unknown-linux-musl/userland"))
        );
        assert_eq!(
            o.add,
            [
                AddSpec {
                    host: "busybox".into(),
                    guest: "/bin/sh".into()
                },
                AddSpec {
                    host: "notes.txt".into(),
                    guest: "/bin/notes.txt".into()
                }
            ]
        );
        assert!(o.has_initramfs());
        for sub in ["image", "bench", "test"] {
            assert!(opts(parse_ok(&[sub, "--kernel", "k", "--add", "f"])).has_initramfs());
        }
    }

    #[test]
    fn shell_and_busybox_options() {
        let o = opts(parse_ok(&[
            "run",
            "--kernel",
            "k",
            "--userland",
            "u",
            "--busybox",
            "bb",
            "--shell",
        ]));
        assert!(o.shell && o.init_args.is_none());
        assert_eq!(o.busybox, Some(PathBuf::from("bb")));
        // --busybox alone makes an initramfs; --shell needs one.
        assert!(opts(parse_ok(&["image", "--kernel", "k", "--busybox", "bb"])).has_initramfs());
        for (args, why) in [
            (
                &["run", "--kernel", "k", "--shell"][..],
                "needs an initramfs",
            ),
            (
                &[
                    "run",
                    "--kernel",
                    "k",
                    "--busybox",
                    "bb",
                    "--shell",
                    "--",
                    "/bin/ls",
                ][..],
                "does not take",
            ),
            (
                &["test", "--kernel", "k", "--shell"][..],
                "not accepted by `test`",
            ),
            (&["run", "--kernel", "k", "--shell=1"][..], "takes no value"),
        ] {
            let e = parse_err(args);
            assert!(e.to_string().contains(why), "{args:?}: {e}");
        }
    }

    #[test]
    fn program_after_double_dash() {
        let o = opts(parse_ok(&[
            "run",
            "--kernel",
            "k",
            "--add",
            "x",
            "--",
            "/bin/x",
            "--verbose",
            "a b",
            "--",
        ]));
        assert_eq!(
            o.init_args.as_deref(),
            Some(
                ["/bin/x", "--verbose", "a b", "--"]
                    .map(String::from)
                    .as_slice()
            )
        );
        // Options after `--` belong to the program.
        assert!(!o.verbose);
    }

    #[test]
    fn user_suite_options() {
        let o = opts(parse_ok(&[
            "test",
            "--kernel",
            "k",
            "--user",
            "--userland",
            "u",
            "--filter",
            "fork",
        ]));
        assert!(o.user);
        assert_eq!(o.filter.as_deref(), Some("fork"));
        assert_eq!(o.test_timeout(), 660);
        let o = opts(parse_ok(&[
            "test",
            "--kernel",
            "k",
            "--user",
            "--userland",
            "u",
            "--test-timeout",
            "5",
        ]));
        assert_eq!(o.test_timeout(), 5);
    }

    #[test]
    fn test_all_options() {
        let cmd = parse_ok(&[
            "test",
            "--kernel=k",
            "--memory",
            "1024",
            "--uefi",
            "--verbose",
            "--log",
            "info,uvm::fault=trace",
            "--timeout",
            "10",
            "--icount",
            "--cmdline-extra",
            "a=1  b=2",
            "--cmdline-extra=c",
            "--qemu",
            "/opt/qemu",
            "--filter",
            "mm::",
            "--test-timeout",
            "5",
            "--summary",
            "s.txt",
            "--out",
            "img",
        ]);
        assert!(matches!(cmd, Command::Test(_)));
        let o = opts(cmd);
        assert_eq!(o.memory_mib, 1024);
        assert!(o.uefi && o.verbose && o.icount);
        assert_eq!(o.log.as_deref(), Some("info,uvm::fault=trace"));
        assert_eq!(o.timeout_secs, Some(10));
        assert_eq!(o.cmdline_extra, ["a=1", "b=2", "c"]);
        assert_eq!(o.qemu, Some(PathBuf::from("/opt/qemu")));
        assert_eq!(o.filter.as_deref(), Some("mm::"));
        assert_eq!(o.test_timeout(), 5);
        assert_eq!(o.summary, Some(PathBuf::from("s.txt")));
        assert_eq!(o.out_dir, Some(PathBuf::from("img")));
    }

    #[test]
    fn help() {
        assert_eq!(parse_ok(&["--help"]), Command::Help);
        assert_eq!(parse_ok(&["run", "-h"]), Command::Help);
    }

    #[test]
    fn errors_are_usage_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "no command"),
            (&["boot"], "unknown command `boot`"),
            (&["run"], "missing --kernel"),
            (&["run", "--kernel"], "needs a value"),
            (
                &["run", "--kernel", "k", "--bogus"],
                "unknown option `--bogus`",
            ),
            (
                &["run", "--kernel", "k", "--filter", "x"],
                "not accepted by `run`",
            ),
            (
                &["image", "--kernel", "k", "--memory", "64"],
                "not accepted by `image`",
            ),
            (
                &["run", "--kernel", "k", "--memory", "lots"],
                "expects a size in MiB",
            ),
            (&["run", "--kernel", "k", "--memory", "4"], "out of range"),
            (
                &["run", "--kernel", "k", "--timeout", "0"],
                "greater than 0",
            ),
            (
                &["test", "--kernel", "k", "--filter", "a b"],
                "contains whitespace",
            ),
            (
                &["run", "--kernel", "k", "--log", "info debug"],
                "contains whitespace",
            ),
            (&["run", "--kernel", "k", "--uefi=yes"], "takes no value"),
            (&["run", "stray"], "unexpected argument `stray`"),
            (&["run", "--kernel", "k", "--user"], "not accepted by `run`"),
            (
                &["test", "--kernel", "k", "--user"],
                "--user needs --userland",
            ),
            (&["test", "--kernel", "k", "--user=1"], "takes no value"),
            (
                &["run", "--kernel", "k", "--", "/bin/x"],
                "needs an initramfs",
            ),
            (
                &["run", "--kernel", "k", "--add", "x", "--"],
                "must be followed",
            ),
            (
                &["test", "--kernel", "k", "--", "x"],
                "only accepted by `run`",
            ),
            (
                &["run", "--kernel", "k", "--add", ":/x"],
                "missing the host file",
            ),
            (
                &["run", "--kernel", "k", "--add", "f:/.."],
                "must not contain",
            ),
            (&["run", "--kernel", "k", "--userland="], "non-empty value"),
        ];
        for (args, needle) in cases {
            let err = parse_err(args);
            assert_eq!(err.exit_code, 2, "{args:?}");
            assert!(
                err.message.contains(needle),
                "{args:?}: `{}` should contain `{needle}`",
                err.message
            );
        }
    }
}

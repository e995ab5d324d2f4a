//! `ferrite-boot bench --profile NAME`: one boot of Ferrite with the
//! kernel's sampling profiler on (`prof=N`, and `prof.comm=NAME` so the
//! window opens when the benchmark program first runs), the benchmark
//! running under `-icount shift=0,sleep=off`; then the samples are
//! symbolised (kernel addresses against the kernel ELF, user addresses
//! against the userland binary the interrupted program runs) and written
//! as `profile-NAME.folded`, `profile-NAME.md` (top functions) and
//! `profile-NAME.svg` (a flame graph drawn by `inferno`) into the results
//! directory; the top ten functions go to the terminal.
//!
//! NAME is a program of `/bin/bench` (booted as `/init /bin/benchrun
//! NAME`) or `kernel` (the in-kernel benchmarks, `mode=bench`, profiled
//! from the timer's start).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::bench_result::parse_figure;
use crate::bench_suite::KERNEL_PART;
use crate::cli::Options;
use crate::console::Console;
use crate::error::{Error, Result};
use crate::ktest::BootEnd;
use crate::multicall;
use crate::prof_report::{self, Frame, Meta, Resolve, UNKNOWN};
use crate::prof_samples::Collector;
use crate::protocol::{self, Event, KernelCmdline, Mode};
use crate::qemu::{Output, QemuExit};
use crate::runner::{self, say};
use crate::symbolize::Symbolizer;

/// The sampling period unless `--profile-period`: one sample every 10,000
/// guest instructions (a fork+exit+wait is about 25 samples).
pub const DEFAULT_PERIOD: u32 = 10_000;
/// The in-kernel benchmarks' default period: they run about 800 million
/// instructions, which at 10,000 would overflow the kernel's buffer.
pub const DEFAULT_KERNEL_PERIOD: u32 = 20_000;
/// Rows of the markdown tables.
pub const REPORT_ROWS: usize = 25;
/// Rows printed on the terminal.
pub const TERMINAL_ROWS: usize = 10;
/// Whole-boot timeout unless `--timeout`.
const DEFAULT_TIMEOUT_SECS: u64 = 1800;

/// Resolves addresses against the kernel ELF and the userland binaries.
struct ElfResolver {
    kernel: Symbolizer,
    /// runtime = ELF address + offset (`ferrite: image offset`).
    kernel_offset: u64,
    userland: Option<PathBuf>,
    /// Per thread name: the binary's symboliser and load bias, if found.
    users: HashMap<String, Option<(Symbolizer, u64)>>,
    programs: Vec<String>,
    cache: HashMap<(bool, u64, bool, String), Vec<Frame>>,
    warned: Vec<String>,
}

impl ElfResolver {
    /// The userland binary a thread named `thread` runs: a /bin/bench
    /// program is the `ubench` multi-call binary (or its own `ubench-NAME`),
    /// anything else a binary of that name.
    fn user_binary(&self, thread: &str) -> Option<PathBuf> {
        let dir = self.userland.as_deref()?;
        let candidates = if self.programs.iter().any(|p| p == thread) {
            vec![dir.join(format!("ubench-{thread}")), dir.join("ubench")]
        } else {
            vec![dir.join(thread)]
        };
        candidates.into_iter().find(|p| p.is_file())
    }

    fn user_symbolizer(&mut self, thread: &str) -> Option<&mut (Symbolizer, u64)> {
        if !self.users.contains_key(thread) {
            let loaded = self
                .user_binary(thread)
                .and_then(|path| match load_bias(&path) {
                    Ok(bias) => Some((Symbolizer::new(&path), bias)),
                    Err(e) => {
                        self.warn(format!("{}: {e}", path.display()));
                        None
                    }
                });
            self.users.insert(thread.to_string(), loaded);
        }
        self.users.get_mut(thread)?.as_mut()
    }

    fn warn(&mut self, msg: String) {
        if !self.warned.contains(&msg) {
            say(&format!("profile: {msg}"));
            self.warned.push(msg);
        }
    }
}

/// Where Ferrite's exec loads `path` (the ELF's bias: 0 for ET_EXEC).
fn load_bias(path: &Path) -> std::result::Result<u64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    ferrite_elfload::LoadPlan::new(&bytes, &ferrite_elfload::LoadParams::default())
        .map(|p| p.bias)
        .map_err(|e| format!("not a loadable ELF: {e:?}"))
}

/// The symboliser's frames as report frames (the first is the real
/// function, the rest inlined into it).
fn to_frames(found: Vec<crate::symbolize::FrameInfo>) -> Vec<Frame> {
    found
        .into_iter()
        .enumerate()
        .map(|(i, f)| Frame {
            name: f.function.unwrap_or_else(|| UNKNOWN.to_string()),
            inlined: i > 0,
        })
        .collect()
}

impl Resolve for ElfResolver {
    fn kernel(&mut self, pc: u64, ret: bool) -> Vec<Frame> {
        let key = (false, pc, ret, String::new());
        if let Some(f) = self.cache.get(&key) {
            return f.clone();
        }
        let addr = pc.wrapping_sub(self.kernel_offset) - u64::from(ret);
        let frames = match self.kernel.lookup(addr) {
            Ok(found) => to_frames(found),
            Err(e) => {
                self.warn(format!("kernel symbols: {e}"));
                Vec::new()
            }
        };
        self.cache.insert(key, frames.clone());
        frames
    }

    fn user(&mut self, thread: &str, pc: u64) -> Vec<Frame> {
        let key = (true, pc, false, thread.to_string());
        if let Some(f) = self.cache.get(&key) {
            return f.clone();
        }
        let frames = match self.user_symbolizer(thread) {
            Some((sym, bias)) => {
                let addr = pc.wrapping_sub(*bias);
                match sym.lookup(addr) {
                    Ok(found) => to_frames(found),
                    Err(_) => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        // Without symbols (the packed userland is stripped) the user code
        // of a program is one bucket.
        let frames = if frames.is_empty() || frames[0].name == UNKNOWN {
            vec![Frame::real(&format!("{thread} (no symbols)"))]
        } else {
            frames
        };
        self.cache.insert(key, frames.clone());
        frames
    }
}

/// The short commit id of the working directory's repository.
fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// `ferrite-boot bench --profile NAME`.
pub fn run(opts: &Options) -> Result<u8> {
    let name = opts.profile.clone().expect("--profile given");
    let in_kernel = name == KERNEL_PART;
    let period = opts.profile_period.unwrap_or(if in_kernel {
        DEFAULT_KERNEL_PERIOD
    } else {
        DEFAULT_PERIOD
    });
    let programs = match &opts.userland {
        Some(dir) => multicall::programs(&dir.join("ubench"))?,
        None => Vec::new(),
    };
    if !in_kernel && !programs.contains(&name) {
        return Err(Error::usage(format!(
            "--profile {name}: no such benchmark; the benchmarks are {KERNEL_PART}, {}",
            programs.join(", ")
        )));
    }
    let mut extra = opts.cmdline_extra.clone();
    extra.push(format!("prof={period}"));
    let init_args: Vec<String>;
    let (mode, boot_opts) = if in_kernel {
        init_args = Vec::new();
        (
            Mode::Bench,
            Options {
                userland: None,
                add: Vec::new(),
                icount: true,
                ..opts.clone()
            },
        )
    } else {
        extra.push(format!("prof.comm={name}"));
        init_args = vec!["/bin/benchrun".to_string(), name.clone()];
        (
            Mode::User,
            Options {
                icount: true,
                ..opts.clone()
            },
        )
    };
    let machine = runner::prepare(&boot_opts)?;
    let cmdline = KernelCmdline {
        mode,
        log: opts.log.as_deref(),
        filter: None,
        skip: None,
        test_timeout_ms: None,
        verbose: opts.verbose,
        extra: &extra,
        init_args: &init_args,
    }
    .render();
    say(&format!(
        "profiling {name}: one sample every {period} guest instructions"
    ));
    let timeout = opts.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut console = Console::new(std::io::stdout(), &opts.kernel);
    let mut session = runner::spawn(&machine, &boot_opts, cmdline)?;
    let mut collector = Collector::default();
    let mut offset = None;
    let mut results = Vec::new();
    let mut panicked = false;
    let end = loop {
        match session.next(deadline)? {
            Some(Output::Line(l)) => {
                if collector.on_line(&l) {
                    continue;
                }
                console.line(&l);
                match protocol::parse_line(&l) {
                    Event::ImageOffset(o) => offset = Some(o),
                    Event::Panic => panicked = true,
                    _ => {}
                }
                if parse_figure(&l).is_some() {
                    results.push(l.trim_end().to_string());
                }
            }
            Some(Output::Partial(p)) => console.partial(&p),
            Some(Output::Exited(e)) => break BootEnd::Exited(e),
            None => {
                session.kill();
                break BootEnd::BootTimeout { secs: timeout };
            }
        }
    };
    console.end_partial();
    if let BootEnd::Exited(e) = end {
        runner::check_qemu_started(&session, e)?;
    }
    if panicked || end != BootEnd::Exited(QemuExit::Success) {
        say(&format!(
            "profile: the boot did not end cleanly ({}); using what was printed",
            if panicked {
                "the kernel panicked".to_string()
            } else {
                end.describe()
            }
        ));
    }
    let dump = collector
        .finish()
        .map_err(|e| Error::usage(format!("no profile: {e}")))?;
    let offset = offset.ok_or_else(|| {
        Error::usage("no profile: the kernel did not print its image offset".to_string())
    })?;
    let mut resolver = ElfResolver {
        kernel: Symbolizer::new(&opts.kernel),
        kernel_offset: offset,
        userland: opts.userland.clone(),
        users: HashMap::new(),
        programs,
        cache: HashMap::new(),
        warned: Vec::new(),
    };
    let (profile, late) = prof_report::symbolise(&dump.samples, &mut resolver);
    let folded = prof_report::folded(&profile);

    let dir = opts
        .results_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("bench-results"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let write = |file: &str, text: &[u8]| -> Result<PathBuf> {
        let path = dir.join(file);
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        say(&format!("wrote {}", path.display()));
        Ok(path)
    };
    write(
        &format!("profile-{name}.folded"),
        folded.join("\n").as_bytes(),
    )?;
    let svg_file = format!("profile-{name}.svg");
    let svg = match flame_graph(&name, period, &folded) {
        Ok(svg) => {
            write(&svg_file, &svg)?;
            Some(svg_file)
        }
        Err(e) => {
            say(&format!("profile: no flame graph: {e}"));
            None
        }
    };
    let meta = Meta {
        name: name.clone(),
        period: dump.period,
        dropped: dump.dropped,
        cycles: dump.cycles,
        results,
        commit: commit(),
        svg,
    };
    write(
        &format!("profile-{name}.md"),
        prof_report::render_markdown(&meta, &profile, &late, REPORT_ROWS).as_bytes(),
    )?;
    println!(
        "\nprofile of {name}: {} samples, one every {} guest instructions{}\n{}",
        dump.total(),
        dump.period,
        if dump.dropped > 0 {
            format!(" ({} dropped: buffer full)", dump.dropped)
        } else {
            String::new()
        },
        prof_report::render_terminal(&profile, TERMINAL_ROWS)
    );
    Ok(0)
}

/// The flame graph of the folded stacks.
fn flame_graph(name: &str, period: u32, folded: &[String]) -> std::result::Result<Vec<u8>, String> {
    let mut options = inferno::flamegraph::Options::default();
    options.title = format!("Ferrite: {name}");
    options.subtitle = Some(format!(
        "one sample every {period} guest instructions (-icount shift=0)"
    ));
    options.count_name = "samples".into();
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut options, folded.iter().map(String::as_str), &mut svg)
        .map_err(|e| e.to_string())?;
    Ok(svg)
}

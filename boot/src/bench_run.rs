//! The benchmark boots (processes and clocks; the decisions are in
//! [`crate::bench_result`]):
//! - [`kernel_benchmarks`]: Ferrite in `mode=bench`, the in-kernel
//!   benchmarks;
//! - [`ferrite_user`]: Ferrite in `mode=user`, `/init` running the given
//!   program (`/bin/benchrun ...`);
//! - [`linux_user`]: the stock Linux kernel with the same initramfs (see
//!   [`crate::linux`]), `/init` running the same program.
//!
//! Each streams the console to standard output as it comes (Ferrite's
//! through the symbolising [`Console`]), so a long boot shows its
//! progress, and returns the figures and problems of the boot.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::bench_result::{RunLog, RunOutcome, parse_figure};
use crate::cli::Options;
use crate::console::Console;
use crate::error::{Error, Result};
use crate::initramfs::Initramfs;
use crate::ktest::BootEnd;
use crate::linux;
use crate::protocol::{self, Event, KernelCmdline, Mode};
use crate::qemu::{self, Output, QemuConfig, QemuExit, Session};
use crate::runner::{self, Machine};

/// What the console produced: a complete line or the current partial one.
enum Seen<'a> {
    Line(&'a str),
    Partial(&'a str),
}

/// Reads the session until QEMU exits or `timeout_secs` pass (then kills
/// it), handing every line and partial line to `on`.
fn pump(session: &mut Session, timeout_secs: u64, on: &mut dyn FnMut(Seen<'_>)) -> Result<BootEnd> {
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        match session.next(deadline)? {
            Some(Output::Line(l)) => on(Seen::Line(&l)),
            Some(Output::Partial(p)) => on(Seen::Partial(&p)),
            Some(Output::Exited(e)) => return Ok(BootEnd::Exited(e)),
            None => {
                session.kill();
                return Ok(BootEnd::BootTimeout { secs: timeout_secs });
            }
        }
    }
}

/// Options for one boot at `memory_mib`, with deterministic time.
fn at_memory(opts: &Options, memory_mib: u32) -> Options {
    Options {
        memory_mib,
        icount: true,
        ..opts.clone()
    }
}

/// The in-kernel benchmarks: one boot in `mode=bench`. Complete when the
/// kernel powered off with success and did not panic.
pub fn kernel_benchmarks(opts: &Options, timeout_secs: u64) -> Result<RunOutcome> {
    let plain = Options {
        userland: None,
        add: Vec::new(),
        ..opts.clone()
    };
    let machine = runner::prepare(&plain)?;
    let cmdline = KernelCmdline {
        mode: Mode::Bench,
        log: opts.log.as_deref(),
        filter: None,
        skip: None,
        test_timeout_ms: None,
        verbose: opts.verbose,
        extra: &opts.cmdline_extra,
        init_args: &[],
    }
    .render();
    let mut console = Console::new(std::io::stdout(), &opts.kernel);
    let mut session = runner::spawn(&machine, &plain, cmdline)?;
    let mut figures = Vec::new();
    let mut panicked = false;
    let end = pump(&mut session, timeout_secs, &mut |seen| match seen {
        Seen::Line(l) => {
            console.line(l);
            if let Some(f) = parse_figure(l) {
                figures.push(f);
            }
            panicked |= matches!(protocol::parse_line(l), Event::Panic);
        }
        Seen::Partial(p) => console.partial(p),
    })?;
    console.end_partial();
    if let BootEnd::Exited(e) = end {
        runner::check_qemu_started(&session, e)?;
    }
    let mut problems = Vec::new();
    if panicked {
        problems.push("Ferrite in-kernel benchmarks: the kernel panicked".to_string());
    } else if end != BootEnd::Exited(QemuExit::Success) {
        problems.push(format!("Ferrite in-kernel benchmarks: {}", end.describe()));
    }
    Ok(RunOutcome { figures, problems })
}

/// Prepares Ferrite's machine (image with the initramfs) once for the
/// userland boots.
pub fn ferrite_machine(opts: &Options) -> Result<Machine> {
    let machine = runner::prepare(opts)?;
    match &machine.initramfs {
        Some(i) if i.contains("/bin/benchrun") && i.contains("/init") => Ok(machine),
        _ => Err(Error::usage(
            "the initramfs has no /init or /bin/benchrun: pass --userland with the built \
             userland (scripts/lib.sh: build_userland)",
        )),
    }
}

/// Ferrite in `mode=user` at `memory_mib`, `/init` running `init_args`.
pub fn ferrite_user(
    opts: &Options,
    machine: &Machine,
    init_args: &[String],
    memory_mib: u32,
    timeout_secs: u64,
) -> Result<RunOutcome> {
    let boot_opts = at_memory(opts, memory_mib);
    let cmdline = KernelCmdline {
        mode: Mode::User,
        log: opts.log.as_deref(),
        filter: None,
        skip: None,
        test_timeout_ms: None,
        verbose: opts.verbose,
        extra: &opts.cmdline_extra,
        init_args,
    }
    .render();
    let mut console = Console::new(std::io::stdout(), &opts.kernel);
    let mut session = runner::spawn(machine, &boot_opts, cmdline)?;
    let mut log = RunLog::new();
    let end = pump(&mut session, timeout_secs, &mut |seen| match seen {
        Seen::Line(l) => {
            console.line(l);
            log.on_line(l);
        }
        Seen::Partial(p) => console.partial(p),
    })?;
    console.end_partial();
    if let BootEnd::Exited(e) = end {
        runner::check_qemu_started(&session, e)?;
    }
    Ok(log.finish(end, "Ferrite"))
}

/// The Linux initrd written to a file for QEMU, removed on drop.
pub struct Initrd {
    pub path: PathBuf,
}

impl Initrd {
    /// Writes [`linux::initrd`] of Ferrite's archive.
    pub fn write(archive: &Initramfs) -> Result<Initrd> {
        let path = std::env::temp_dir().join(format!(
            "ferrite-linux-initrd-{}-{:016x}.gz",
            std::process::id(),
            archive.hash
        ));
        std::fs::write(&path, linux::initrd(&archive.archive))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(Initrd { path })
    }
}

impl Drop for Initrd {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Linux (`vmlinuz`) with `initrd` at `memory_mib`, `/init` running
/// `init_args`: the same QEMU arguments as Ferrite's but for the disk
/// image and command line (see [`linux::qemu_args`]).
pub fn linux_user(
    opts: &Options,
    vmlinuz: &Path,
    initrd: &Initrd,
    init_args: &[String],
    memory_mib: u32,
    timeout_secs: u64,
) -> Result<RunOutcome> {
    let qemu_bin = qemu::find_qemu(opts.qemu.as_deref())?;
    let base = qemu::qemu_args(&QemuConfig {
        memory_mib,
        image: PathBuf::from("unused"),
        firmware: None,
        icount: true,
        cpu_flags: opts.cpu_flags.clone(),
        cmdline: String::new(),
    });
    let args: Vec<OsString> =
        linux::qemu_args(&base, vmlinuz, &initrd.path, &linux::cmdline(init_args));
    if opts.verbose {
        runner::say(&format!(
            "running: {}",
            qemu::display_command(&qemu_bin, &args)
        ));
    }
    let mut session = Session::spawn(&qemu_bin, &args)?;
    let mut log = RunLog::new();
    // Linux's lines go out as they are (no symbols to resolve); partial
    // lines wait for their end.
    let end = pump(&mut session, timeout_secs, &mut |seen| {
        if let Seen::Line(l) = seen {
            println!("{l}");
            log.on_line(l);
        }
    })?;
    if let BootEnd::Exited(e) = end {
        runner::check_qemu_started(&session, e)?;
    }
    Ok(log.finish(end, "Linux"))
}

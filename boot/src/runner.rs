//! The process side of `run` and `test`: prepares the initramfs, image and
//! firmware, boots QEMU (once for `run`, as many times as needed for
//! `test`), pumps its serial output through the [`Console`] and, for
//! `test`, the [`Driver`], enforcing the timeouts. `run` exits with
//! `/init`'s status when the kernel reports it. (`test --user` is in
//! [`crate::usertest`], on the helpers here.)

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::{DEFAULT_RUN_TIMEOUT_SECS, Options};
use crate::console::Console;
use crate::error::{Error, Result};
use crate::image::{self, Flavor};
use crate::initramfs::{self, Initramfs};
use crate::ktest::{BootEnd, Driver, Next, Summary};
use crate::protocol::{self, Event, InitExit, KernelCmdline, Mode};
use crate::qemu::{self, Output, QemuConfig, QemuExit, Session};

/// Everything that stays the same across boots.
pub(crate) struct Machine {
    pub(crate) qemu: PathBuf,
    pub(crate) image: PathBuf,
    pub(crate) firmware: Option<qemu::Firmware>,
    /// The packed initramfs, if any.
    pub(crate) initramfs: Option<Initramfs>,
}

pub(crate) fn say(msg: &str) {
    eprintln!("ferrite-boot: {msg}");
}

/// Checks the inputs, packs the initramfs, finds QEMU (and OVMF for
/// --uefi), builds the image.
pub(crate) fn prepare(opts: &Options) -> Result<Machine> {
    image::check_kernel(&opts.kernel)?;
    let initramfs = initramfs::build(opts.userland.as_deref(), &opts.add, opts.busybox.as_deref())?;
    if let Some(i) = &initramfs {
        if opts.verbose {
            say(&format!(
                "initramfs: {} files and links, {} bytes before gzip (content hash {:016x})",
                i.files.len(),
                i.archive.len(),
                i.hash
            ));
        }
        if !i.contains("/init") {
            say("warning: the initramfs has no /init (no `init` in --userland DIR)");
        }
    }
    let qemu = qemu::find_qemu(opts.qemu.as_deref())?;
    let (flavor, ovmf) = if opts.uefi {
        let ovmf = qemu::find_ovmf().ok_or_else(|| {
            Error::usage(
                "--uefi needs OVMF firmware (/usr/share/ovmf/OVMF.fd or \
                 /usr/share/OVMF/OVMF_CODE.fd); apt-get install ovmf, or boot without --uefi",
            )
        })?;
        (Flavor::Uefi, Some(ovmf))
    } else {
        (Flavor::Bios, None)
    };
    let (image, rebuilt) = image::ensure_image(
        &opts.kernel,
        opts.out_dir.as_deref(),
        flavor,
        opts.verbose,
        initramfs.as_ref(),
    )?;
    if opts.verbose {
        let what = if rebuilt { "built" } else { "up to date:" };
        say(&format!("image {what} {}", image.display()));
    }
    let firmware = match &ovmf {
        Some(o) => {
            let scratch = image.parent().unwrap_or(Path::new("."));
            Some(qemu::prepare_firmware(o, scratch)?)
        }
        None => None,
    };
    Ok(Machine {
        qemu,
        image,
        firmware,
        initramfs,
    })
}

pub(crate) fn spawn(machine: &Machine, opts: &Options, cmdline: String) -> Result<Session> {
    protocol::check_cmdline_len(&cmdline).map_err(Error::usage)?;
    let cfg = QemuConfig {
        memory_mib: opts.memory_mib,
        image: machine.image.clone(),
        firmware: machine.firmware.clone(),
        icount: opts.icount,
        cpu_flags: opts.cpu_flags.clone(),
        cmdline,
    };
    let args: Vec<OsString> = qemu::qemu_args(&cfg);
    if opts.verbose {
        say(&format!("kernel command line: {}", cfg.cmdline));
        say(&format!(
            "running: {}",
            qemu::display_command(&machine.qemu, &args)
        ));
    }
    Session::spawn(&machine.qemu, &args)
}

/// QEMU exiting with status 1 before printing anything means QEMU itself
/// refused to start (its reason is on stderr).
pub(crate) fn check_qemu_started(session: &Session, exit: QemuExit) -> Result<()> {
    if exit == QemuExit::Code(1) && session.bytes_seen() == 0 {
        Err(Error::usage(
            "QEMU failed to start (exit status 1, see its message above); check --qemu, \
             --memory and the QEMU installation (scripts/setup.sh)",
        ))
    } else {
        Ok(())
    }
}

/// Checks that an absolute `PROG` of `run -- PROG` is in the initramfs.
fn check_program(machine: &Machine, program: &str) -> Result<()> {
    let Some(initramfs) = &machine.initramfs else {
        return Ok(());
    };
    if program.starts_with('/') && !initramfs.contains(program) {
        return Err(Error::usage(format!(
            "{program} is not in the initramfs; the packed programs are: {}",
            initramfs.files.join(" ")
        )));
    }
    Ok(())
}

/// `ferrite-boot run` / `bench`: one boot in demo (or benchmark) mode, or
/// in user mode when `-- PROG ARGS` was given. Returns the exit code:
/// `/init`'s if the kernel reported it, else 0 for a successful power-off.
pub fn run(opts: &Options, mode: Mode) -> Result<u8> {
    let machine = prepare(opts)?;
    let (mode, init_args): (Mode, &[String]) = match &opts.init_args {
        Some(args) => {
            check_program(&machine, &args[0])?;
            (Mode::User, args)
        }
        None => (mode, &[]),
    };
    let cmdline = KernelCmdline {
        mode,
        log: opts.log.as_deref(),
        filter: None,
        skip: None,
        test_timeout_ms: None,
        verbose: opts.verbose,
        extra: &opts.cmdline_extra,
        init_args,
    }
    .render();
    let timeout = opts.timeout_secs.unwrap_or(DEFAULT_RUN_TIMEOUT_SECS);
    let mut console = Console::new(std::io::stdout(), &opts.kernel);
    let mut session = spawn(&machine, opts, cmdline)?;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    // `/init`'s end as the kernel reported it: (exit code, error message).
    let mut init_end: Option<(u8, Option<String>)> = None;
    let exit = loop {
        match session.next(deadline)? {
            Some(Output::Line(l)) => {
                console.line(&l);
                if let Event::InitExit(e) = protocol::parse_line(&l) {
                    init_end = Some((e.exit_code(), init_error(e)));
                }
            }
            Some(Output::Partial(p)) => console.partial(&p),
            Some(Output::Exited(e)) => break e,
            None => {
                session.kill();
                console.end_partial();
                return Err(Error::failure(format!(
                    "the kernel did not power off within {timeout} s (--timeout {timeout}); \
                     killed QEMU"
                )));
            }
        }
    };
    console.end_partial();
    check_qemu_started(&session, exit)?;
    match (init_end, exit) {
        (Some((code, message)), _) => {
            if let Some(m) = message {
                say(&format!("error: {m}"));
            }
            Ok(code)
        }
        (None, QemuExit::Success) => Ok(0),
        (None, other) => Err(Error::failure(format!(
            "kernel failed: {}",
            other.describe()
        ))),
    }
}

/// The error `run` prints for an init killed by a signal (the exit status
/// speaks for itself otherwise).
fn init_error(e: InitExit<'_>) -> Option<String> {
    match e {
        InitExit::Status(_) => None,
        InitExit::Signal { number, name } => Some(format!(
            "init killed by signal {number} ({name}); exiting with {}",
            e.exit_code()
        )),
    }
}

/// The longest a test boot may take to report its first line of progress
/// (the test list), whatever `--test-timeout` says.
const BOOT_GRACE: Duration = Duration::from_secs(120);

/// `ferrite-boot test`: runs the suite to completion. Returns the exit code.
pub fn test(opts: &Options) -> Result<u8> {
    let machine = prepare(opts)?;
    let mut console = Console::new(std::io::stdout(), &opts.kernel);
    let mut driver = Driver::new();
    let test_timeout = Duration::from_secs(opts.test_timeout());

    loop {
        let skip = driver.start_boot();
        console.new_boot();
        let cmdline = KernelCmdline {
            mode: Mode::Test,
            log: opts.log.as_deref(),
            filter: opts.filter.as_deref(),
            skip: Some(skip),
            test_timeout_ms: Some(opts.test_timeout().saturating_mul(1000)),
            verbose: opts.verbose,
            extra: &opts.cmdline_extra,
            init_args: &[],
        }
        .render();
        let mut session = spawn(&machine, opts, cmdline)?;
        let boot_start = Instant::now();
        let boot_deadline = opts
            .timeout_secs
            .map(|s| boot_start + Duration::from_secs(s));
        let mut anchor = boot_start;
        // Until its first test starts the kernel is still booting: a
        // loaded host may take longer than a test's limit for that.

        let end = loop {
            let limit = if driver.boot_progressed() {
                test_timeout
            } else {
                test_timeout.max(BOOT_GRACE)
            };
            let test_deadline = anchor + limit;
            let deadline = boot_deadline.map_or(test_deadline, |b| b.min(test_deadline));
            let reset = match session.next(deadline)? {
                Some(Output::Line(l)) => {
                    console.line(&l);
                    match driver.on_line(&l) {
                        Ok(reset) => reset,
                        Err(e) => {
                            session.kill();
                            return Ok(abandon(&mut console, &mut driver, opts, &e.to_string()));
                        }
                    }
                }
                Some(Output::Partial(p)) => {
                    console.partial(&p);
                    driver.on_partial(&p)
                }
                Some(Output::Exited(e)) => {
                    check_qemu_started(&session, e)?;
                    break BootEnd::Exited(e);
                }
                None => {
                    session.kill();
                    break match (boot_deadline, opts.timeout_secs) {
                        (Some(b), Some(secs)) if Instant::now() >= b => {
                            BootEnd::BootTimeout { secs }
                        }
                        _ => BootEnd::TestTimeout {
                            secs: limit.as_secs(),
                        },
                    };
                }
            };
            if reset {
                anchor = Instant::now();
            }
        };
        drop(session);
        console.end_partial();

        match driver.end_boot(end) {
            Ok(step) => {
                for m in &step.messages {
                    console.message(m);
                }
                match step.next {
                    Next::Reboot { .. } => continue,
                    Next::Done => break,
                    Next::NoTests => {
                        let msg = match &opts.filter {
                            Some(f) => format!("ktest: no test matches filter \"{f}\""),
                            None => "ktest: the kernel has no tests".to_string(),
                        };
                        console.message(&msg);
                        return Ok(1);
                    }
                }
            }
            Err(e) => return Ok(abandon(&mut console, &mut driver, opts, &e.to_string())),
        }
    }
    finish(&mut console, &driver, opts)
}

/// Stops the run after a driver error: the tests that did not run count
/// as failed (if the test count is known, so the summary stays honest).
fn abandon<W: Write>(
    console: &mut Console<W>,
    driver: &mut Driver,
    opts: &Options,
    why: &str,
) -> u8 {
    console.end_partial();
    say(&format!("error: {why}"));
    if driver.summary().total.is_none() {
        say("error: the kernel never reported its test list; no summary");
        return 1;
    }
    for m in driver.fill_missing("not run: the runner gave up") {
        console.message(&m);
    }
    match finish(console, driver, opts) {
        Ok(_) => 1,
        Err(e) => {
            say(&format!("error: {e}"));
            1
        }
    }
}

/// Prints the failure list and the summary lines; writes --summary.
fn finish<W: Write>(console: &mut Console<W>, driver: &Driver, opts: &Options) -> Result<u8> {
    let failed = driver.failed_tests();
    if !failed.is_empty() {
        console.message("ktest: failed tests:");
        for path in &failed {
            console.message(&format!("    {path}"));
        }
    }
    let s: Summary = driver.summary();
    if let Some(file) = &opts.summary {
        std::fs::write(file, format!("passed={}\nfailed={}\n", s.passed, s.failed))
            .map_err(|e| Error::io(format!("writing the summary to {}", file.display()), e))?;
    }
    console.message(&format!("ktest: {} passed, {} failed", s.passed, s.failed));
    console.message(&format!("{} passed, {} failed", s.passed, s.failed));
    Ok(if s.success() { 0 } else { 1 })
}

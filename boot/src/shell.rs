//! `run --shell`: one interactive boot. `/init --shell` starts `/bin/sh`
//! on the serial console, and the console is wired to this process's
//! terminal: QEMU reads its standard input (inherited) as the serial
//! port's input, with `signal=off` so that ^C, ^Z and ^\ reach the guest's
//! line discipline instead of stopping QEMU (QEMU puts a terminal on
//! stdin into raw mode itself and restores it when it exits). The serial
//! output is copied to stdout byte by byte, as it comes (a prompt has no
//! newline), and also read line by line for the kernel's report of init's
//! end, whose status becomes the exit status.
//!
//! The same wiring drives the shell from a program: with stdin and
//! stdout pipes (the host test `tests/tests/shell.rs`) the bytes written
//! to stdin are what is typed.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cli::Options;
use crate::error::{Error, Result};
use crate::protocol::{self, Event, KernelCmdline, Mode};
use crate::qemu::{self, LineBuffer, QemuConfig, QemuExit};
use crate::runner::{self, say};

/// `/init`'s argument that makes it start the interactive shell.
pub const INIT_SHELL_ARG: &str = "--shell";
/// What the shell needs in the initramfs.
const NEEDED: [&str; 2] = ["/init", "/bin/sh"];
/// The id of the serial port's character device on the QEMU command line.
const CHARDEV_ID: &str = "console";

/// The QEMU arguments of an interactive boot (pure): those of a normal
/// boot with `-serial stdio` replaced by a stdio character device that
/// leaves the signal characters to the guest.
pub fn interactive_args(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len() + 2);
    let mut it = args.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "-serial" && it.peek().is_some_and(|v| v == "stdio") {
            it.next();
            out.push("-chardev".into());
            out.push(format!("stdio,id={CHARDEV_ID},signal=off").into());
            out.push("-serial".into());
            out.push(format!("chardev:{CHARDEV_ID}").into());
        } else {
            out.push(a);
        }
    }
    out
}

/// `ferrite-boot run --shell`. Returns the shell's exit status (from the
/// kernel's `init exited` report), or an error if the kernel did not
/// power off cleanly or `--timeout` passed.
pub fn run(opts: &Options) -> Result<u8> {
    let machine = runner::prepare(opts)?;
    if let Some(initramfs) = &machine.initramfs
        && let Some(missing) = NEEDED.iter().find(|p| !initramfs.contains(p))
    {
        return Err(Error::usage(format!(
            "--shell needs {missing} in the initramfs: pass --userland DIR (for /init) and \
             --busybox HOST (for /bin/sh; scripts/setup.sh fetches Debian's busybox-static)"
        )));
    }
    let init_args = [INIT_SHELL_ARG.to_string()];
    let cmdline = KernelCmdline {
        mode: Mode::User,
        log: opts.log.as_deref(),
        filter: None,
        skip: None,
        test_timeout_ms: None,
        verbose: opts.verbose,
        extra: &opts.cmdline_extra,
        init_args: &init_args,
    }
    .render();
    protocol::check_cmdline_len(&cmdline).map_err(Error::usage)?;
    let cfg = QemuConfig {
        memory_mib: opts.memory_mib,
        image: machine.image.clone(),
        firmware: machine.firmware.clone(),
        icount: opts.icount,
        cpu_flags: opts.cpu_flags.clone(),
        cmdline,
    };
    let args = interactive_args(qemu::qemu_args(&cfg));
    if opts.verbose {
        say(&format!("kernel command line: {}", cfg.cmdline));
        say(&format!(
            "running: {}",
            qemu::display_command(&machine.qemu, &args)
        ));
    }
    let mut child = Command::new(&machine.qemu)
        .args(&args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io(format!("starting {}", machine.qemu.display()), e))?;
    let mut serial = child
        .stdout
        .take()
        .ok_or_else(|| Error::usage("QEMU's stdout could not be captured"))?;

    // The copier: serial bytes to stdout at once; the init report when
    // its line is complete. It ends when QEMU closes the serial port.
    let (tx, rx) = mpsc::channel::<u8>();
    let copier = thread::Builder::new()
        .name("qemu-serial".into())
        .spawn(move || {
            let mut out = std::io::stdout();
            let mut lines = LineBuffer::default();
            let mut buf = [0u8; 4096];
            let mut seen = false;
            while let Ok(n) = serial.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen = true;
                let _ = out.write_all(&buf[..n]);
                let _ = out.flush();
                for line in lines.push(&buf[..n]) {
                    if let Event::InitExit(e) = protocol::parse_line(&line) {
                        let _ = tx.send(e.exit_code());
                    }
                }
            }
            seen
        })
        .map_err(|e| Error::io("starting the serial copier thread", e))?;

    let deadline = opts
        .timeout_secs
        .map(|s| Instant::now() + Duration::from_secs(s));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(Error::io("waiting for QEMU", e)),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            stop(&mut child);
            let _ = copier.join();
            return Err(Error::failure(format!(
                "the shell was still running after --timeout {} s; stopped QEMU",
                opts.timeout_secs.unwrap_or(0)
            )));
        }
        thread::sleep(Duration::from_millis(50));
    };
    let seen = copier.join().unwrap_or(true);
    let exit = QemuExit::from_status(status);
    if exit == QemuExit::Code(1) && !seen {
        return Err(Error::usage(
            "QEMU failed to start (exit status 1, see its message above); check --qemu, \
             --memory and the QEMU installation (scripts/setup.sh)",
        ));
    }
    match (rx.try_recv().ok(), exit) {
        (Some(code), _) => Ok(code),
        (None, QemuExit::Success) => Ok(0),
        (None, other) => Err(Error::failure(format!(
            "kernel failed: {}",
            other.describe()
        ))),
    }
}

/// Ends QEMU: SIGTERM first (QEMU then restores the terminal it put into
/// raw mode), SIGKILL if it is still there a second later.
fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let grace = Instant::now() + Duration::from_secs(1);
    while Instant::now() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serial_port_leaves_signal_characters_to_the_guest() {
        let args: Vec<OsString> = ["-m", "512M", "-serial", "stdio", "-monitor", "none"]
            .map(OsString::from)
            .to_vec();
        let got: Vec<String> = interactive_args(args)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            got,
            [
                "-m",
                "512M",
                "-chardev",
                "stdio,id=console,signal=off",
                "-serial",
                "chardev:console",
                "-monitor",
                "none"
            ]
        );
    }

    #[test]
    fn a_normal_boot_has_the_stdio_serial_port_this_replaces() {
        let cfg = QemuConfig {
            memory_mib: 64,
            image: "x.img".into(),
            firmware: None,
            icount: false,
            cpu_flags: None,
            cmdline: String::new(),
        };
        let args = interactive_args(qemu::qemu_args(&cfg));
        let joined = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains("-serial chardev:console") && !joined.contains("-serial stdio"),
            "{joined}"
        );
    }
}

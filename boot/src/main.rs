//! `ferrite-boot`: the host tool of the Ferrite kernel. Builds BIOS/UEFI
//! disk images from the kernel ELF, boots them in QEMU, streams and
//! symbolises the serial console, and drives the in-kernel test suite.
//!
//! This file only dispatches the subcommands; see the modules:
//! - [`cli`]: argument parsing;
//! - [`initramfs`]: the newc archive packed as the bootloader's ramdisk;
//! - [`multicall`]: the multi-call userland binaries and their links;
//! - [`busybox`]: `--busybox`, BusyBox and its applet links;
//! - [`compress`]: the ramdisk's gzip compression;
//! - [`image`]: disk images (bootloader crate) and their cache;
//! - [`qemu`]: QEMU command line, process and serial line reader;
//! - [`protocol`]: parsing of the kernel's serial lines, kernel cmdline;
//! - [`console`]: forwarding output, symbolising backtraces;
//! - [`symbolize`]: DWARF / symbol-table lookups, path shortening;
//! - [`ktest`]: the pure test-driver state machine;
//! - [`usuite`]: the pure userland-suite driver;
//! - [`runner`]: the boot loops of `run` and `test`;
//! - [`usertest`]: the boot of `test --user`;
//! - [`shell`]: the interactive boot of `run --shell`;
//! - [`bench_suite`]: `bench --suite | --user | --linux` (with
//!   [`bench_run`], [`bench_result`], [`bench_report`], [`bench_plot`],
//!   [`bench_goals`] and [`linux`], the reference kernel);
//! - [`prof_run`]: `bench --profile NAME` (with [`prof_samples`], the
//!   kernel profiler's dump, and [`prof_report`], the tables and stacks).

mod bench_goals;
mod bench_plot;
mod bench_report;
mod bench_result;
mod bench_run;
mod bench_suite;
mod busybox;
mod cli;
mod compress;
mod console;
mod error;
mod image;
mod initramfs;
mod ktest;
mod linux;
mod multicall;
mod prof_report;
mod prof_run;
mod prof_samples;
mod protocol;
mod qemu;
mod runner;
mod shell;
mod symbolize;
mod usertest;
mod usuite;

use std::process::ExitCode;

use cli::{Command, Options};
use error::Result;
use image::Flavor;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferrite-boot: error: {e}");
            eprintln!("(run `ferrite-boot --help` for usage)");
            return ExitCode::from(e.exit_code);
        }
    };
    let result = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(0)
        }
        Command::Image(opts) => image_cmd(&opts),
        Command::Run(opts) if opts.shell => shell::run(&opts),
        Command::Run(opts) => runner::run(&opts, protocol::Mode::Demo),
        Command::Bench(opts) if opts.profile.is_some() => prof_run::run(&opts),
        Command::Bench(opts) if opts.suite || opts.user || opts.linux.is_some() => {
            bench_suite::run(&opts)
        }
        Command::Bench(opts) => runner::run(&opts, protocol::Mode::Bench),
        Command::Test(opts) if opts.user => usertest::run(&opts),
        Command::Test(opts) => runner::test(&opts),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ferrite-boot: error: {e}");
            ExitCode::from(e.exit_code)
        }
    }
}

/// `ferrite-boot image`: BIOS image always, UEFI image when OVMF is
/// installed (so it can be booted) or `--uefi` asks for it; with the
/// initramfs if `--userland` / `--add` were given. `--verbose` says
/// whether each image was built or already up to date.
fn image_cmd(opts: &Options) -> Result<u8> {
    image::check_kernel(&opts.kernel)?;
    let out = opts.out_dir.as_deref();
    let ramdisk = initramfs::build(opts.userland.as_deref(), &opts.add, opts.busybox.as_deref())?;
    let mut flavors = vec![Flavor::Bios];
    if opts.uefi || qemu::find_ovmf().is_some() {
        flavors.push(Flavor::Uefi);
    }
    for flavor in flavors {
        let (path, rebuilt) =
            image::ensure_image(&opts.kernel, out, flavor, opts.verbose, ramdisk.as_ref())?;
        if opts.verbose {
            let what = if rebuilt { "built" } else { "up to date:" };
            eprintln!("ferrite-boot: image {what} {}", path.display());
        }
        println!("{}", path.display());
    }
    Ok(0)
}

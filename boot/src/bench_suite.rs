//! The benchmark suite (`ferrite-boot bench --suite`, and the one-kernel
//! runs `bench --user` / `bench --linux VMLINUZ`): decides which parts run
//! ([`Parts`], pure), fetches the Linux kernel unless told not to, runs the
//! boots in order with a numbered progress line before each, and writes
//! the report and the plot.
//!
//! | part | boot | memory |
//! |------|------|--------|
//! | `kernel` | Ferrite `mode=bench` (in-kernel benchmarks) | 512 MiB (the runner's default) |
//! | every `/bin/bench` program | `/bin/benchrun [NAMES]` on Ferrite, then on Linux | `--memory`, default 256 MiB |
//! | `fork_scaling` | `/bin/benchrun --args fork_exit 0 16 64 256 1024 4096` on both | 1 GiB |
//!
//! `--only NAME` (repeatable, or comma separated) picks parts: a program
//! name, `kernel` or `fork_scaling`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::bench_plot::{self, Series};
use crate::bench_report::{self, Pair, Report, scaling_series};
use crate::bench_result::RunOutcome;
use crate::bench_run::{self, Initrd};
use crate::cli::{DEFAULT_MEMORY_MIB, Options};
use crate::error::{Error, Result};
use crate::initramfs;
use crate::linux::{self, HostApt, LinuxKernel};
use crate::multicall;
use crate::runner::say;

/// The `--only` name of the in-kernel benchmarks.
pub const KERNEL_PART: &str = "kernel";
/// The `--only` name of the fork+exit scaling benchmark.
pub const SCALING_PART: &str = "fork_scaling";
/// The K values of the scaling benchmark.
pub const SCALING_KS: [u32; 6] = [0, 16, 64, 256, 1024, 4096];
/// Guest memory of the scaling boots: enough for 4096 idle processes on
/// both kernels.
pub const SCALING_MEMORY_MIB: u32 = 1024;
/// Guest memory of the userland benchmark boots unless `--memory`.
pub const USER_MEMORY_MIB: u32 = 256;
/// Whole-boot timeout unless `--timeout` (TCG is slow; a scaling boot
/// takes minutes).
pub const DEFAULT_BOOT_TIMEOUT_SECS: u64 = 3600;
/// The plot's file name, next to the report.
pub const PLOT_FILE: &str = "fork_scaling.svg";
/// The report's file name.
pub const REPORT_FILE: &str = "latest.md";

/// Which parts run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub kernel: bool,
    /// The userland programs to run (empty: none).
    pub programs: Vec<String>,
    pub scaling: bool,
}

impl Parts {
    /// From `--only` (empty: everything) and the benchmark programs the
    /// userland has (`ubench --multicall-list`), sorted by name. An
    /// unknown name is an error listing the known ones. `with_kernel`:
    /// whether the in-kernel part exists in this mode.
    pub fn select(only: &[String], programs: &[String], with_kernel: bool) -> Result<Parts> {
        let mut programs: Vec<String> = programs.to_vec();
        programs.sort();
        if only.is_empty() {
            return Ok(Parts {
                kernel: with_kernel,
                programs,
                scaling: true,
            });
        }
        let mut parts = Parts {
            kernel: false,
            programs: Vec::new(),
            scaling: false,
        };
        for name in only {
            if name == KERNEL_PART && with_kernel {
                parts.kernel = true;
            } else if name == SCALING_PART {
                parts.scaling = true;
            } else if programs.contains(name) {
                if !parts.programs.contains(name) {
                    parts.programs.push(name.clone());
                }
            } else {
                let kernel = if with_kernel {
                    format!("{KERNEL_PART}, ")
                } else {
                    String::new()
                };
                return Err(Error::usage(format!(
                    "--only {name}: no such benchmark; the benchmarks are {kernel}{SCALING_PART}, {}",
                    programs.join(", ")
                )));
            }
        }
        parts.programs.sort();
        Ok(parts)
    }
}

/// `/init`'s arguments for the userland boot of `programs` (all of them:
/// no names, benchrun finds them).
pub fn user_init_args(programs: &[String], all: &[String]) -> Vec<String> {
    let mut args = vec!["/bin/benchrun".to_string()];
    let mut sorted_all = all.to_vec();
    sorted_all.sort();
    if programs != sorted_all.as_slice() {
        args.extend(programs.iter().cloned());
    }
    args
}

/// `/init`'s arguments for the scaling boot.
pub fn scaling_init_args() -> Vec<String> {
    ["/bin/benchrun", "--args", "fork_exit"]
        .iter()
        .map(|s| s.to_string())
        .chain(SCALING_KS.iter().map(u32::to_string))
        .collect()
}

/// Which kernels to run, from the options.
enum Mode {
    /// `--suite`: both kernels, the report written.
    Suite,
    /// `--user`: Ferrite only.
    Ferrite,
    /// `--linux VMLINUZ` without `--suite`: Linux only.
    Linux,
}

/// Where the Linux column comes from.
fn linux_kernel(opts: &Options, mode: &Mode) -> std::result::Result<LinuxKernel, String> {
    if let Some(v) = &opts.linux {
        return if v.is_file() {
            Ok(LinuxKernel {
                package: v.display().to_string(),
                deb: String::new(),
                vmlinuz: v.clone(),
            })
        } else {
            Err(format!("--linux {}: no such file", v.display()))
        };
    }
    match mode {
        Mode::Ferrite => Err("not requested (`bench --user` runs Ferrite only)".into()),
        Mode::Linux => unreachable!("Linux mode has --linux"),
        Mode::Suite if opts.no_linux => Err("skipped (--no-linux)".into()),
        Mode::Suite => {
            let cache = opts
                .linux_cache
                .clone()
                .unwrap_or_else(linux::default_cache_dir);
            let mut apt = HostApt {
                verbose: opts.verbose,
            };
            linux::fetch(&mut apt, &cache, &mut |m| say(m)).map_err(|e| {
                format!(
                    "the package {} depends on could not be had ({})",
                    linux::META_PACKAGE,
                    e.message
                )
            })
        }
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

/// Numbered progress lines.
struct Progress {
    step: usize,
    total: usize,
    started: Instant,
}

impl Progress {
    fn step(&mut self, what: &str) -> Instant {
        self.step += 1;
        say(&format!(
            "[{}/{}] {what} (suite time so far {} s)",
            self.step,
            self.total,
            self.started.elapsed().as_secs()
        ));
        Instant::now()
    }

    fn done(&self, what: &str, since: Instant, outcome: &RunOutcome) {
        say(&format!(
            "[{}/{}] {what}: {} figures, {} in {} s",
            self.step,
            self.total,
            outcome.figures.len(),
            if outcome.clean() {
                "no problems".to_string()
            } else {
                format!("{} problem(s)", outcome.problems.len())
            },
            since.elapsed().as_secs()
        ));
    }
}

/// `ferrite-boot bench --suite | --user | --linux VMLINUZ`. Returns the
/// exit code: 0 if every boot ran cleanly, 1 if anything failed (the
/// report is written all the same).
pub fn run(opts: &Options) -> Result<u8> {
    let mode = if opts.suite {
        Mode::Suite
    } else if opts.user {
        Mode::Ferrite
    } else {
        Mode::Linux
    };
    let userland = opts
        .userland
        .as_deref()
        .ok_or_else(|| Error::usage("the userland benchmarks need --userland DIR"))?;
    let all = multicall::programs(&userland.join("ubench"))?;
    let parts = Parts::select(&opts.only, &all, matches!(mode, Mode::Suite))?;
    let timeout = opts.timeout_secs.unwrap_or(DEFAULT_BOOT_TIMEOUT_SECS);
    let user_mem = opts.memory_mib;
    let linux = linux_kernel(opts, &mode);
    let ferrite = !matches!(mode, Mode::Linux);
    match &linux {
        Ok(k) => say(&format!("Linux kernel: {}", k.vmlinuz.display())),
        Err(why) if !matches!(mode, Mode::Ferrite) => {
            say(&format!("Linux will not be measured: {why}"));
        }
        Err(_) => {}
    }
    if let (Mode::Linux, Err(why)) = (&mode, &linux) {
        return Err(Error::usage(why.clone()));
    }
    let kernels = usize::from(ferrite) + usize::from(linux.is_ok());
    let boots = usize::from(parts.kernel)
        + kernels * (usize::from(!parts.programs.is_empty()) + usize::from(parts.scaling));
    let mut progress = Progress {
        step: 0,
        total: boots,
        started: Instant::now(),
    };
    let mut problems = Vec::new();

    let kernel = if parts.kernel {
        let t = progress.step("Ferrite in-kernel benchmarks (mode=bench)");
        let out = bench_run::kernel_benchmarks(
            &Options {
                memory_mib: DEFAULT_MEMORY_MIB,
                ..opts.clone()
            },
            timeout,
        )?;
        progress.done("Ferrite in-kernel benchmarks", t, &out);
        problems.extend(out.problems.iter().cloned());
        Some(out.figures)
    } else {
        None
    };

    let need_userland = !parts.programs.is_empty() || parts.scaling;
    let machine = if need_userland && ferrite {
        Some(bench_run::ferrite_machine(opts)?)
    } else {
        None
    };
    let initrd = match (&machine, &linux) {
        (_, Err(_)) => None,
        _ if !need_userland => None,
        (Some(m), Ok(_)) => Some(Initrd::write(
            m.initramfs.as_ref().expect("ferrite_machine checked it"),
        )?),
        (None, Ok(_)) => {
            let archive = initramfs::build(Some(userland), &opts.add, opts.busybox.as_deref())?
                .expect("--userland was given");
            Some(Initrd::write(&archive)?)
        }
    };

    // One kind of boot on each kernel: (Ferrite figures, Linux figures).
    let mut both = |what: &str, init_args: &[String], memory: u32| -> Result<Pair> {
        let mut pair = Pair::default();
        if let Some(machine) = &machine {
            let title = format!("Ferrite: {what} ({memory} MiB)");
            let t = progress.step(&title);
            let out = bench_run::ferrite_user(opts, machine, init_args, memory, timeout)?;
            progress.done(&title, t, &out);
            problems.extend(out.problems.iter().cloned());
            pair.ferrite = out.figures;
        }
        if let (Ok(k), Some(initrd)) = (&linux, &initrd) {
            let title = format!("Linux: {what} ({memory} MiB)");
            let t = progress.step(&title);
            let out = bench_run::linux_user(opts, &k.vmlinuz, initrd, init_args, memory, timeout)?;
            progress.done(&title, t, &out);
            problems.extend(out.problems.iter().cloned());
            pair.linux = Some(out.figures);
        }
        Ok(pair)
    };

    let user = if parts.programs.is_empty() {
        None
    } else {
        let args = user_init_args(&parts.programs, &all);
        Some(both("userland benchmarks", &args, user_mem)?)
    };
    let scaling = if parts.scaling {
        Some(both(
            "fork+exit scaling",
            &scaling_init_args(),
            SCALING_MEMORY_MIB,
        )?)
    } else {
        None
    };
    drop(initrd);

    let linux_desc = linux.as_ref().map(|k| {
        if k.deb.is_empty() {
            k.package.clone()
        } else {
            format!("Debian `{}` (from `{}`)", k.package, k.deb)
        }
    });
    let mut report = Report {
        commit: commit(),
        date: bench_report::today(),
        linux: linux_desc.map_err(Clone::clone),
        memory_mib: user_mem,
        scaling_memory_mib: SCALING_MEMORY_MIB,
        user,
        scaling,
        plot: None,
        kernel,
        problems,
    };
    let plot_svg = report.scaling.as_ref().and_then(plot);
    if matches!(mode, Mode::Suite) {
        let dir = opts
            .results_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("bench-results"));
        write_results(&dir, &mut report, plot_svg.as_deref())?;
    }
    println!("\n{}", report.render());
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

/// The SVG of the scaling pair, or `None` with a message if nothing can
/// be plotted.
fn plot(pair: &Pair) -> Option<String> {
    let ferrite = scaling_series(&pair.ferrite);
    let linux = pair
        .linux
        .as_deref()
        .map(scaling_series)
        .unwrap_or_default();
    let mut series = vec![
        Series {
            label: "Ferrite",
            points: &ferrite,
        },
        Series {
            label: "Linux",
            points: &linux,
        },
    ];
    series.retain(|s| !s.points.is_empty());
    match bench_plot::render_svg(&series) {
        Ok(svg) => Some(svg),
        Err(e) => {
            say(&format!("no plot: {e}"));
            None
        }
    }
}

/// Writes the report (and the plot) into `dir`.
fn write_results(dir: &Path, report: &mut Report, svg: Option<&str>) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    if let Some(svg) = svg {
        let path = dir.join(PLOT_FILE);
        std::fs::write(&path, svg)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        report.plot = Some(PLOT_FILE.into());
        say(&format!("wrote {}", path.display()));
    }
    let path = dir.join(REPORT_FILE);
    std::fs::write(&path, report.render())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    say(&format!("wrote {}", path.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn everything_by_default() {
        let p = Parts::select(&[], &s(&["syscall_null", "fork_exit", "fork_exec"]), true).unwrap();
        assert_eq!(
            p,
            Parts {
                kernel: true,
                programs: s(&["fork_exec", "fork_exit", "syscall_null"]),
                scaling: true
            }
        );
        assert!(!Parts::select(&[], &s(&["a"]), false).unwrap().kernel);
    }

    #[test]
    fn only_picks_parts() {
        let all = s(&["fork_exec", "fork_exit", "syscall_null"]);
        let p = Parts::select(
            &s(&["syscall_null", "fork_exec", "syscall_null"]),
            &all,
            true,
        )
        .unwrap();
        assert_eq!(
            p,
            Parts {
                kernel: false,
                programs: s(&["fork_exec", "syscall_null"]),
                scaling: false
            }
        );
        let p = Parts::select(&s(&["kernel", "fork_scaling"]), &all, true).unwrap();
        assert!(p.kernel && p.scaling && p.programs.is_empty());
        let e = Parts::select(&s(&["nope"]), &all, true).unwrap_err();
        assert!(
            e.message.contains("--only nope: no such benchmark")
                && e.message
                    .contains("kernel, fork_scaling, fork_exec, fork_exit, syscall_null"),
            "{}",
            e.message
        );
        // No in-kernel part in the one-kernel modes.
        assert!(Parts::select(&s(&["kernel"]), &all, false).is_err());
    }

    #[test]
    fn init_arguments() {
        let all = s(&["b", "a"]);
        assert_eq!(user_init_args(&s(&["a", "b"]), &all), ["/bin/benchrun"]);
        assert_eq!(user_init_args(&s(&["b"]), &all), ["/bin/benchrun", "b"]);
        assert_eq!(
            scaling_init_args(),
            s(&[
                "/bin/benchrun",
                "--args",
                "fork_exit",
                "0",
                "16",
                "64",
                "256",
                "1024",
                "4096"
            ])
        );
    }
}

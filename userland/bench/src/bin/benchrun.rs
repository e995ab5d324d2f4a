//! `benchrun`: the benchmark runner that `/init` starts in a benchmark boot
//! (packed as `/bin/benchrun`; the same binary runs on Ferrite and, in the
//! host tool's Linux boot, on a stock Linux kernel).
//!
//! ```text
//! benchrun                    every benchmark in /bin/bench, in name order
//! benchrun NAME...            those benchmarks, in the order given
//! benchrun --args NAME ARG... one benchmark with arguments
//! ```
//!
//! A benchmark is an entry of `/bin/bench` that is a symbolic link to the
//! multi-call binary `/bin/ubench`; anything else there (`exit0`, the
//! program `fork_exec` runs) is a helper and is not run. Each benchmark runs
//! in a forked child with the runner's standard output, so its
//! `bench: <name> | <value>` lines reach the console as it prints them.
//! The runner's own lines, which the host tool reads for progress and the
//! verdict:
//!
//! ```text
//! benchrun: running <name>
//! benchrun: <name> FAILED (exit status <n> | killed by signal <n> (<SIG>) | cannot start: ...)
//! benchrun: done, <ran> ran, <failed> failed
//! ```
//!
//! A failing benchmark does not stop the others. The exit status is 0 if
//! every benchmark exited 0, else 1 (2 for a usage error).

use std::ffi::CString;
use std::os::raw::c_char;

/// Where the benchmark links live.
const BENCH_DIR: &str = "/bin/bench";
/// What a benchmark link points to.
const MULTICALL: &str = "/bin/ubench";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: Vec<(String, Vec<String>)> = match args.first().map(String::as_str) {
        Some("--args") => match args.get(1) {
            Some(name) => vec![(name.clone(), args[2..].to_vec())],
            None => usage("--args needs a benchmark name"),
        },
        Some(opt) if opt.starts_with('-') => usage(&format!("unknown option {opt}")),
        Some(_) => args.iter().map(|n| (n.clone(), Vec::new())).collect(),
        None => benchmarks().into_iter().map(|n| (n, Vec::new())).collect(),
    };
    let mut failed = 0;
    for (name, extra) in &runs {
        say(&format!("benchrun: running {name}\n"));
        if let Err(why) = run(name, extra) {
            say(&format!("benchrun: {name} FAILED ({why})\n"));
            failed += 1;
        }
    }
    say(&format!(
        "benchrun: done, {} ran, {failed} failed\n",
        runs.len()
    ));
    std::process::exit(if failed == 0 { 0 } else { 1 });
}

fn usage(msg: &str) -> ! {
    say(&format!(
        "benchrun: {msg}\nusage: benchrun [NAME...] | benchrun --args NAME [ARG...]\n"
    ));
    std::process::exit(2)
}

/// The benchmark names in [`BENCH_DIR`], sorted (see the module docs).
fn benchmarks() -> Vec<String> {
    let entries = match std::fs::read_dir(BENCH_DIR) {
        Ok(e) => e,
        Err(e) => {
            say(&format!("benchrun: cannot list {BENCH_DIR}: {e}\n"));
            return Vec::new();
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.as_os_str() == MULTICALL))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Runs `/bin/bench/<name> ARGS` and waits for it; `Err` says why it
/// failed.
fn run(name: &str, extra: &[String]) -> Result<(), String> {
    let path = format!("{BENCH_DIR}/{name}");
    let argv: Vec<CString> = std::iter::once(path.as_str())
        .chain(extra.iter().map(String::as_str))
        .map(|a| CString::new(a).map_err(|_| format!("NUL in argument {a:?}")))
        .collect::<Result<_, _>>()?;
    let mut ptrs: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let envp: [*const c_char; 1] = [std::ptr::null()];
    // SAFETY: the runner is single-threaded; the child only execs or exits.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(format!("cannot fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: NULL-terminated vectors of live C strings.
        unsafe { libc::execve(ptrs[0], ptrs.as_ptr(), envp.as_ptr()) };
        let e = std::io::Error::last_os_error();
        say(&format!("benchrun: cannot start {path}: {e}\n"));
        // SAFETY: leave the forked child without running exit handlers.
        unsafe { libc::_exit(127) };
    }
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if r == -1 && e.raw_os_error() != Some(libc::EINTR) {
            return Err(format!("waitpid: {e}"));
        }
    }
    if libc::WIFEXITED(status) {
        match libc::WEXITSTATUS(status) {
            0 => Ok(()),
            code => Err(format!("exit status {code}")),
        }
    } else if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        Err(format!("killed by signal {sig} ({})", ftest::signame(sig)))
    } else {
        Err(format!("wait status {status:#x}"))
    }
}

/// Writes a line to standard output in one write (so that it is not
/// interleaved with a benchmark's lines).
fn say(msg: &str) {
    // SAFETY: msg is valid for its length; a failed write is ignored.
    unsafe { libc::write(1, msg.as_ptr().cast(), msg.len()) };
}

//! `user::tools`: the tools of the `ftools` binary (ps, pmap, vmstat) run
//! as programs and read back: ps shows us and a stopped child, pmap a
//! mapping we just made, vmstat the fault counters; every tool answers
//! `--help` and refuses a bad option. The binary is `/bin/ftools` on
//! Ferrite and the `ftools` next to this program's own file elsewhere
//! (the build directory on Linux); each tool is started as `ftools` with
//! the tool's name as `argv[0]`, as through its link.

use std::os::unix::ffi::OsStrExt;

use ftest::proc::{Captured, WaitStatus, run_capture, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, sys};
use utests::mem::{Mapping, PAGE};

const CHECKS: &[ftest::Check] = checks![
    ps_shows_us_and_a_stopped_child,
    ps_p_selects_processes,
    pmap_shows_a_new_mapping,
    vmstat_counts_faults_and_forks,
    vmstat_shows_the_uvm_cases_and_the_pools.ferrite_only(),
    every_tool_has_help_and_refuses_bad_options,
    ktrace_has_help,
];

pub fn main() {
    ftest::main("tools", CHECKS)
}

/// The multi-call binary of the tools.
fn ftools() -> Result<String, String> {
    if std::path::Path::new("/bin/ftools").exists() {
        return Ok("/bin/ftools".into());
    }
    let exe = std::fs::canonicalize("/proc/self/exe").map_err(|e| format!("exe: {e}"))?;
    let beside = exe.with_file_name("ftools");
    if beside.exists() {
        return Ok(String::from_utf8_lossy(beside.as_os_str().as_bytes()).into_owned());
    }
    Err(format!("no /bin/ftools and no {}", beside.display()))
}

/// Runs `tool args...` and returns what it did.
fn run(tool: &str, args: &[&str]) -> Result<Captured, String> {
    let path = ftools()?;
    let mut argv = vec![tool];
    argv.extend_from_slice(args);
    run_capture(&path, &argv, &[] as &[&str])
}

/// Runs `tool args...` with its output (both streams) thrown away; returns
/// how it ended.
fn run_silenced(tool: &str, args: &[&str]) -> Result<WaitStatus, String> {
    let path = ftest::proc::cstrings(&[ftools()?])?;
    let mut argv = vec![tool];
    argv.extend_from_slice(args);
    let argv = ftest::proc::cstrings(&argv)?;
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    let null = c"/dev/null";
    let pid = spawn(|| {
        // SAFETY: in the child: output to /dev/null, then execve with
        // NULL-terminated arrays of live C strings.
        unsafe {
            let fd = libc::open(null.as_ptr(), libc::O_WRONLY);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            libc::execve(path[0].as_ptr(), ptrs.as_ptr(), envp.as_ptr());
        }
        127
    })?;
    wait_pid(pid)
}

/// Runs a tool that must succeed; returns its output.
fn output(tool: &str, args: &[&str]) -> Result<String, String> {
    let c = run(tool, args)?;
    ensure_eq!(
        c.status,
        WaitStatus::Exited(0),
        "{tool} {args:?}: {}",
        c.text()
    );
    Ok(c.text())
}

fn getpid() -> i32 {
    // SAFETY: no preconditions.
    unsafe { libc::getpid() }
}

/// The `ps` row of `pid`, split in columns (the command joined again).
fn ps_row(text: &str, pid: i32) -> Option<Vec<String>> {
    text.lines().skip(1).find_map(|l| {
        let cols: Vec<&str> = l.split_whitespace().collect();
        (cols.first()? == &pid.to_string().as_str()).then(|| {
            let mut row: Vec<String> = cols[..6].iter().map(|s| s.to_string()).collect();
            row.push(cols[6..].join(" "));
            row
        })
    })
}

fn ps_shows_us_and_a_stopped_child() -> CheckResult {
    let child = spawn(|| {
        // SAFETY: stopping ourselves.
        unsafe { libc::raise(libc::SIGSTOP) };
        0
    })?;
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    sys(
        unsafe { libc::waitpid(child, &mut status, libc::WUNTRACED) },
        "waitpid",
    )?;
    let r = (|| -> CheckResult {
        let text = output("ps", &[])?;
        check!(
            text.starts_with("  PID ") || text.lines().next().is_some_and(|h| h.contains("PID")),
            "header: {text}"
        );
        let me = ps_row(&text, getpid()).ok_or_else(|| format!("we are not listed:\n{text}"))?;
        let c = ps_row(&text, child).ok_or_else(|| format!("the child is not listed:\n{text}"))?;
        ensure_eq!(c[1], getpid().to_string(), "the child's parent");
        ensure_eq!(c[3].as_str(), "T", "the stopped child's state");
        check!(
            me[3] == "S" || me[3] == "R",
            "our state while ps runs: {}",
            me[3]
        );
        let args: Vec<String> = std::env::args().collect();
        ensure_eq!(c[6], args.join(" "), "the child's command (our arguments)");
        let rss: u64 = me[4].parse().map_err(|_| "RSS")?;
        let vsz: u64 = me[5].parse().map_err(|_| "VSZ")?;
        check!(rss > 0 && vsz >= rss, "RSS {rss} VSZ {vsz}");
        Ok(())
    })();
    // SAFETY: our child.
    unsafe { libc::kill(child, libc::SIGKILL) };
    wait_pid(child)?;
    r
}

fn ps_p_selects_processes() -> CheckResult {
    // SAFETY: no preconditions.
    let parent = unsafe { libc::getppid() };
    let text = output("ps", &["-p", &format!("{},{}", getpid(), parent)])?;
    let lines: Vec<&str> = text.lines().collect();
    ensure_eq!(lines.len(), 3, "header and two rows:\n{text}");
    check!(ps_row(&text, getpid()).is_some() && ps_row(&text, parent).is_some());
    Ok(())
}

fn pmap_shows_a_new_mapping() -> CheckResult {
    let m = Mapping::anon(5 * PAGE, libc::PROT_NONE)?;
    let mid = m.addr + PAGE;
    // SAFETY: our own mapping.
    sys(
        unsafe {
            libc::mprotect(
                mid as *mut libc::c_void,
                3 * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        },
        "mprotect",
    )?;
    // SAFETY: the page is readable and writable now.
    unsafe { (mid as *mut u8).write_volatile(1) };
    let text = output("pmap", &[&getpid().to_string()])?;
    let range = format!("{:016x}-{:016x}", mid, mid + 3 * PAGE);
    let line = text
        .lines()
        .find(|l| l.starts_with(&range))
        .ok_or_else(|| format!("no row for {range}:\n{text}"))?;
    let cols: Vec<&str> = line.split_whitespace().collect();
    ensure_eq!(cols[1], "12K", "size in {line:?}");
    check!(cols[2].starts_with("rw-"), "protection in {line:?}");
    check!(
        text.lines().any(|l| l.starts_with("total ")),
        "no total line:\n{text}"
    );
    Ok(())
}

/// The counter after `key` in vmstat's summary line `key N ...`.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let at = text.find(key)? + key.len();
    text[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn vmstat_counts_faults_and_forks() -> CheckResult {
    let a = output("vmstat", &[])?;
    let before = number_after(&a, "faults:").ok_or_else(|| format!("no faults:\n{a}"))?;
    let forks = number_after(&a, "forks").ok_or_else(|| format!("no forks:\n{a}"))?;
    let free = number_after(&a, "free").ok_or_else(|| format!("no free pages:\n{a}"))?;
    check!(before > 0 && forks > 0 && free > 0, "{a}");
    let mut m = Mapping::anon(16 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    for p in m.bytes_mut().chunks_mut(PAGE) {
        p[0] = 1;
    }
    let b = output("vmstat", &[])?;
    let after = number_after(&b, "faults:").ok_or("no faults")?;
    let forks_after = number_after(&b, "forks").ok_or("no forks")?;
    check!(after >= before + 16, "faults {before} -> {after}");
    // Running vmstat forked once more at least.
    check!(forks_after > forks, "forks {forks} -> {forks_after}");
    Ok(())
}

fn vmstat_shows_the_uvm_cases_and_the_pools() -> CheckResult {
    let text = output("vmstat", &[])?;
    for case in ["1A", "1B", "2A", "2B"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(case))
            .ok_or_else(|| format!("no case {case}:\n{text}"))?;
        check!(
            line.split_whitespace()
                .last()
                .is_some_and(|v| v.parse::<u64>().is_ok()),
            "case {case} has no count: {line:?}"
        );
    }
    let zero = text
        .lines()
        .find(|l| l.contains("zero fill"))
        .and_then(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .ok_or("no zero fills")?;
    check!(zero > 0, "zero fills {zero}");
    let pools = output("vmstat", &["-m"])?;
    check!(
        pools.lines().any(|l| l.starts_with("anonpl ")) && pools.contains("Malloc types"),
        "vmstat -m:\n{pools}"
    );
    let long = output("vmstat", &["-s"])?;
    check!(
        long.lines()
            .any(|l| l.trim_start().ends_with("4096 bytes per page")
                || l.ends_with(" bytes per page")),
        "vmstat -s:\n{long}"
    );
    check!(long.contains(" forks\n"), "vmstat -s:\n{long}");
    Ok(())
}

fn every_tool_has_help_and_refuses_bad_options() -> CheckResult {
    for tool in ["ps", "pmap", "vmstat"] {
        let help = output(tool, &["--help"])?;
        check!(
            help.starts_with(&format!("usage: {tool}")),
            "{tool} --help:\n{help}"
        );
        let bad = run_silenced(tool, &["--no-such-option"])?;
        ensure_eq!(bad, WaitStatus::Exited(2), "{tool} with a bad option");
    }
    let none = run_silenced("pmap", &[])?;
    ensure_eq!(none, WaitStatus::Exited(2), "pmap without a PID");
    Ok(())
}

/// `/bin/ktrace` (its own binary, beside this one natively) explains
/// itself with `--help` and traces nothing.
fn ktrace_has_help() -> CheckResult {
    let path = if std::path::Path::new("/bin/ktrace").exists() {
        std::path::PathBuf::from("/bin/ktrace")
    } else {
        std::env::current_exe()
            .map_err(|e| format!("current_exe: {e}"))?
            .with_file_name("ktrace")
    };
    let out = std::process::Command::new(&path)
        .arg("--help")
        .output()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    ensure_eq!(out.status.code(), Some(0), "ktrace --help");
    let text = String::from_utf8_lossy(&out.stdout);
    check!(
        text.starts_with("usage: ktrace PROG ARGS..."),
        "ktrace --help:\n{text}"
    );
    check!(
        out.stderr.is_empty(),
        "nothing traced: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

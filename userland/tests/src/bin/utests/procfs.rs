//! `user::procfs`: the read-only /proc. `/proc/self/maps` follows mmap,
//! mprotect and munmap (ranges, the permission column, shared or private),
//! names the program's file, the heap and the stack; `/proc/self` is the
//! caller; `stat` and `status` of the caller, of a stopped child and of a
//! zombie; `cmdline` is argv; a reaped child's directory vanishes and its
//! open files read ESRCH; `/proc` lists the processes, and a process's
//! directory can be the current one (getcwd names it); `meminfo` agrees
//! with sysinfo; `vmstat` counts faults; and nothing can be written,
//! created or removed (the errors Linux gives root).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, fail, helpers, sys};
use utests::fd::{close, cpath, open, read_some, read_to_end};
use utests::mem::{Mapping, PAGE};

const CHECKS: &[ftest::Check] = checks![
    self_is_a_link_to_our_pid,
    new_mapping_appears_with_its_range_and_permissions,
    mprotect_changes_the_permission_column,
    munmap_removes_the_lines,
    shared_mapping_is_marked_s,
    program_text_is_mapped_from_its_file,
    heap_and_stack_are_named,
    stat_fields_1_to_5_describe_the_caller,
    status_matches_stat_and_counts_locked_memory,
    cmdline_is_argv_with_nul_terminators,
    stopped_child_is_t_in_stat_and_status,
    zombie_is_z_with_empty_maps_and_cmdline,
    reaped_child_vanishes_and_its_open_files_read_esrch,
    proc_lists_self_and_the_processes,
    a_process_directory_can_be_the_current_directory,
    meminfo_agrees_with_sysinfo,
    vmstat_counts_the_faults_of_new_pages,
    writes_creates_and_removals_are_refused,
];

const HELPERS: &[ftest::Helper] = helpers![print_cmdline];

pub fn main() {
    ftest::main_with_helpers("procfs", CHECKS, HELPERS)
}

/// The whole contents of a file.
fn slurp(path: &str) -> Result<Vec<u8>, String> {
    let fd = open(&cpath(path), libc::O_RDONLY).map_err(|e| format!("{path}: {e}"))?;
    let r = read_to_end(fd).map_err(|e| format!("{path}: {e}"));
    close(fd);
    r
}

fn slurp_text(path: &str) -> Result<String, String> {
    String::from_utf8(slurp(path)?).map_err(|_| format!("{path} is not UTF-8"))
}

/// One line of a maps file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MapLine {
    start: usize,
    end: usize,
    perms: String,
    offset: u64,
    dev: String,
    ino: u64,
    name: String,
}

fn parse_maps(text: &str) -> Result<Vec<MapLine>, String> {
    text.lines()
        .map(|line| {
            let bad = || format!("bad maps line {line:?}");
            let mut f = line.splitn(6, ' ');
            let range = f.next().ok_or_else(bad)?;
            let (s, e) = range.split_once('-').ok_or_else(bad)?;
            let perms = f.next().ok_or_else(bad)?.to_string();
            let offset = u64::from_str_radix(f.next().ok_or_else(bad)?, 16).map_err(|_| bad())?;
            let dev = f.next().ok_or_else(bad)?.to_string();
            let ino = f.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
            let name = f.next().unwrap_or("").trim_start().to_string();
            check!(perms.len() == 4, "perms {perms:?} in {line:?}");
            Ok(MapLine {
                start: usize::from_str_radix(s, 16).map_err(|_| bad())?,
                end: usize::from_str_radix(e, 16).map_err(|_| bad())?,
                perms,
                offset,
                dev,
                ino,
                name,
            })
        })
        .collect()
}

fn my_maps() -> Result<Vec<MapLine>, String> {
    parse_maps(&slurp_text("/proc/self/maps")?)
}

/// The line holding `addr`.
fn line_at(maps: &[MapLine], addr: usize) -> Option<&MapLine> {
    maps.iter().find(|l| l.start <= addr && addr < l.end)
}

fn getpid() -> i32 {
    // SAFETY: no preconditions.
    unsafe { libc::getpid() }
}

/// Five pages of PROT_NONE with the middle three made `prot`: those
/// three are an entry of their own on any kernel (their neighbours
/// differ), whatever else is mapped around.
fn fenced(prot: i32) -> Result<(Mapping, usize), String> {
    let m = Mapping::anon(5 * PAGE, libc::PROT_NONE)?;
    let mid = m.addr + PAGE;
    // SAFETY: our own mapping.
    sys(
        unsafe { libc::mprotect(mid as *mut libc::c_void, 3 * PAGE, prot) },
        "mprotect",
    )?;
    Ok((m, mid))
}

fn self_is_a_link_to_our_pid() -> CheckResult {
    let target = std::fs::read_link("/proc/self").map_err(|e| format!("readlink: {e}"))?;
    ensure_eq!(
        target.as_os_str().as_bytes(),
        getpid().to_string().as_bytes()
    );
    // And through it, our own directory.
    let via_self = slurp_text("/proc/self/stat")?;
    let direct = slurp_text(&format!("/proc/{}/stat", getpid()))?;
    ensure_eq!(
        via_self.split(' ').next(),
        direct.split(' ').next(),
        "the pid field through /proc/self and /proc/<pid>"
    );
    Ok(())
}

fn new_mapping_appears_with_its_range_and_permissions() -> CheckResult {
    let (m, mid) = fenced(libc::PROT_READ | libc::PROT_WRITE)?;
    let maps = my_maps()?;
    let l = line_at(&maps, mid).ok_or("no line for the new mapping")?;
    ensure_eq!((l.start, l.end), (mid, mid + 3 * PAGE), "range of {l:?}");
    ensure_eq!(l.perms.as_str(), "rw-p");
    ensure_eq!((l.offset, l.dev.as_str(), l.ino), (0, "00:00", 0));
    let fence = line_at(&maps, m.addr).ok_or("no line for the fence")?;
    ensure_eq!(fence.perms.as_str(), "---p");
    ensure_eq!(fence.end, mid);
    Ok(())
}

fn mprotect_changes_the_permission_column() -> CheckResult {
    let (_m, mid) = fenced(libc::PROT_READ | libc::PROT_WRITE)?;
    for (prot, want) in [
        (libc::PROT_READ, "r--p"),
        (libc::PROT_READ | libc::PROT_EXEC, "r-xp"),
        (libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC, "rwxp"),
    ] {
        // SAFETY: our own mapping.
        sys(
            unsafe { libc::mprotect(mid as *mut libc::c_void, 3 * PAGE, prot) },
            "mprotect",
        )?;
        let maps = my_maps()?;
        let l = line_at(&maps, mid).ok_or("no line")?;
        ensure_eq!((l.start, l.end), (mid, mid + 3 * PAGE));
        ensure_eq!(l.perms.as_str(), want, "after mprotect({prot:#x})");
    }
    // The middle page alone: the entry splits in three.
    // SAFETY: our own mapping.
    sys(
        unsafe { libc::mprotect((mid + PAGE) as *mut libc::c_void, PAGE, libc::PROT_READ) },
        "mprotect",
    )?;
    let maps = my_maps()?;
    let got: Vec<(usize, usize, &str)> = (0..3)
        .filter_map(|i| line_at(&maps, mid + i * PAGE))
        .map(|l| (l.start, l.end, l.perms.as_str()))
        .collect();
    ensure_eq!(
        got,
        vec![
            (mid, mid + PAGE, "rwxp"),
            (mid + PAGE, mid + 2 * PAGE, "r--p"),
            (mid + 2 * PAGE, mid + 3 * PAGE, "rwxp"),
        ]
    );
    Ok(())
}

fn munmap_removes_the_lines() -> CheckResult {
    let (m, mid) = fenced(libc::PROT_READ)?;
    // SAFETY: our own mapping (the Mapping's drop unmaps the rest again).
    sys(
        unsafe { libc::munmap(mid as *mut libc::c_void, 3 * PAGE) },
        "munmap",
    )?;
    let maps = my_maps()?;
    if let Some(l) = maps
        .iter()
        .find(|l| l.start < mid + 3 * PAGE && l.end > mid)
    {
        fail!("{l:?} is still there after munmap");
    }
    check!(
        line_at(&maps, m.addr).is_some_and(|l| l.end == mid),
        "the first fence page stays"
    );
    Ok(())
}

fn shared_mapping_is_marked_s() -> CheckResult {
    let shared = Mapping::shared(2 * PAGE)?;
    let private = Mapping::anon(2 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    let maps = my_maps()?;
    let s = line_at(&maps, shared.addr).ok_or("no line for the shared mapping")?;
    check!(s.perms == "rw-s", "shared mapping: {s:?}");
    let p = line_at(&maps, private.addr).ok_or("no line for the private mapping")?;
    check!(p.perms == "rw-p", "private mapping: {p:?}");
    Ok(())
}

fn program_text_is_mapped_from_its_file() -> CheckResult {
    let code = program_text_is_mapped_from_its_file as *const () as usize;
    let maps = my_maps()?;
    let l = line_at(&maps, code).ok_or("no line holds our code")?;
    check!(
        l.perms.starts_with("r-x") && l.perms.ends_with('p'),
        "code line {l:?}"
    );
    let exe = std::fs::read_link("/proc/self/exe").map_err(|e| format!("readlink exe: {e}"))?;
    ensure_eq!(
        l.name.as_bytes(),
        exe.as_os_str().as_bytes(),
        "the code's file"
    );
    let c = CString::new(exe.as_os_str().as_bytes()).map_err(|_| "NUL in the path")?;
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: c is a NUL-terminated path; st is a valid out-pointer.
    sys(unsafe { libc::stat(c.as_ptr(), &mut st) }, "stat")?;
    let dev = format!(
        "{:02x}:{:02x}",
        libc::major(st.st_dev),
        libc::minor(st.st_dev)
    );
    ensure_eq!(
        (l.dev.as_str(), l.ino),
        (dev.as_str(), st.st_ino),
        "device and inode"
    );
    Ok(())
}

fn heap_and_stack_are_named() -> CheckResult {
    // SAFETY: brk(0) only asks for the current break.
    let cur = unsafe { libc::syscall(libc::SYS_brk, 0) } as usize;
    // SAFETY: growing the break by 64 KiB only adds memory; nothing is unmapped.
    let new = unsafe { libc::syscall(libc::SYS_brk, cur + 16 * PAGE) } as usize;
    ensure_eq!(new, cur + 16 * PAGE, "brk grew");
    let local = 0u64;
    let here = std::hint::black_box(&local) as *const u64 as usize;
    let maps = my_maps()?;
    // The pages the break grew by (other pages of the heap may have been
    // remapped by the allocator: Linux names those [heap] too).
    for addr in [cur, new - 1] {
        let l = line_at(&maps, addr).ok_or_else(|| format!("no line holds {addr:#x}"))?;
        check!(
            l.name == "[heap]" && l.perms == "rw-p",
            "{l:?} holds {addr:#x} in the grown heap"
        );
    }
    let stack = line_at(&maps, here).ok_or("no line holds a local variable")?;
    ensure_eq!(stack.name.as_str(), "[stack]", "{stack:?}");
    check!(stack.perms.starts_with("rw"), "{stack:?}");
    // SAFETY: back to where it was.
    unsafe { libc::syscall(libc::SYS_brk, cur) };
    Ok(())
}

/// The fields of a stat line: (pid, comm, state, then the rest).
fn stat_fields(line: &str) -> Result<(i32, String, Vec<String>), String> {
    let open = line.find(" (").ok_or("no ( in stat")?;
    let close = line.rfind(") ").ok_or("no ) in stat")?;
    let pid = line[..open]
        .parse()
        .map_err(|_| format!("pid in {line:?}"))?;
    let comm = line[open + 2..close].to_string();
    let rest = line[close + 2..]
        .trim_end()
        .split(' ')
        .map(String::from)
        .collect::<Vec<_>>();
    check!(
        rest.len() >= 50,
        "{} fields after comm in {line:?}",
        rest.len()
    );
    Ok((pid, comm, rest))
}

/// The value of `Key:` in a status text.
fn status_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

/// The command name the kernel gives a program exec'd by `path`.
fn comm_for(path: &[u8]) -> String {
    let base = multicall::basename(path);
    String::from_utf8_lossy(&base[..base.len().min(15)]).into_owned()
}

fn stat_fields_1_to_5_describe_the_caller() -> CheckResult {
    let (pid, comm, rest) = stat_fields(&slurp_text("/proc/self/stat")?)?;
    ensure_eq!(pid, getpid());
    let execfn = multicall::at_execfn().ok_or("no AT_EXECFN")?;
    ensure_eq!(
        comm,
        comm_for(&execfn),
        "comm of {:?}",
        String::from_utf8_lossy(&execfn)
    );
    ensure_eq!(rest[0].as_str(), "R", "a process reading its own stat runs");
    // SAFETY: no preconditions.
    let (ppid, pgrp, sid) = unsafe { (libc::getppid(), libc::getpgrp(), libc::getsid(0)) };
    ensure_eq!(rest[1], ppid.to_string(), "ppid");
    ensure_eq!(rest[2], pgrp.to_string(), "pgrp");
    ensure_eq!(rest[3], sid.to_string(), "session");
    ensure_eq!(rest[17], "1", "num_threads (field 20)");
    Ok(())
}

fn status_kb(text: &str, key: &str) -> Result<u64, String> {
    let v = status_field(text, key).ok_or_else(|| format!("no {key} in status"))?;
    v.strip_suffix(" kB")
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("{key}: {v:?}"))
}

fn status_matches_stat_and_counts_locked_memory() -> CheckResult {
    let status = slurp_text("/proc/self/status")?;
    let (_, comm, rest) = stat_fields(&slurp_text("/proc/self/stat")?)?;
    ensure_eq!(status_field(&status, "Name"), Some(comm.as_str()));
    ensure_eq!(status_field(&status, "State"), Some("R (running)"));
    ensure_eq!(
        status_field(&status, "Pid"),
        Some(getpid().to_string().as_str())
    );
    // SAFETY: no preconditions.
    let ppid = unsafe { libc::getppid() };
    ensure_eq!(
        status_field(&status, "PPid"),
        Some(ppid.to_string().as_str())
    );
    ensure_eq!(status_field(&status, "Threads"), Some("1"));
    let size = status_kb(&status, "VmSize")?;
    let rss = status_kb(&status, "VmRSS")?;
    check!(rss > 0 && size >= rss, "VmSize {size} kB, VmRSS {rss} kB");
    // stat's vsize is in bytes, its rss in pages (fields 23 and 24).
    let vsize: u64 = rest[20].parse().map_err(|_| "vsize")?;
    check!(
        vsize / 1024 >= size.saturating_sub(1024) && vsize / 1024 <= size + 1024,
        "stat vsize {vsize} vs VmSize {size} kB"
    );
    ensure_eq!(status_kb(&status, "VmLck")?, 0, "nothing locked yet");
    let m = Mapping::anon(2 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    // SAFETY: our own mapping.
    sys(unsafe { libc::mlock(m.ptr().cast(), 2 * PAGE) }, "mlock")?;
    let after = slurp_text("/proc/self/status")?;
    ensure_eq!(status_kb(&after, "VmLck")?, 8, "two locked pages");
    check!(
        status_kb(&after, "VmRSS")? >= rss + 8,
        "locking made two pages resident: VmRSS {rss} -> {}",
        status_kb(&after, "VmRSS")?
    );
    Ok(())
}

/// Helper: writes its own /proc/self/cmdline to standard output.
fn print_cmdline(_: &[String]) -> i32 {
    match slurp("/proc/self/cmdline") {
        Ok(b) => {
            ftest::proc::write_all(1, &b);
            0
        }
        Err(_) => 1,
    }
}

fn cmdline_is_argv_with_nul_terminators() -> CheckResult {
    let args = ["two words", "", "\u{fc}ber", "-x"];
    let out = ftest::run_helper("print_cmdline", &args, None)?;
    ensure_eq!(out.status, WaitStatus::Exited(0));
    let mut want: Vec<u8> = Vec::new();
    for a in [ftest::self_path(), "--helper", "print_cmdline"]
        .into_iter()
        .chain(args)
    {
        want.extend_from_slice(a.as_bytes());
        want.push(0);
    }
    ensure_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
    // And ours is what we were started with.
    let mine = slurp("/proc/self/cmdline")?;
    let mut argv: Vec<u8> = Vec::new();
    for a in std::env::args_os() {
        argv.extend_from_slice(a.as_bytes());
        argv.push(0);
    }
    ensure_eq!(mine, argv);
    Ok(())
}

/// A child that stops itself with SIGSTOP; returns it stopped.
fn stopped_child() -> Result<i32, String> {
    let pid = spawn(|| {
        // SAFETY: stopping ourselves; exit if ever continued.
        unsafe { libc::raise(libc::SIGSTOP) };
        0
    })?;
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    sys(
        unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) },
        "waitpid(WUNTRACED)",
    )?;
    check!(libc::WIFSTOPPED(status), "child status {status:#x}");
    Ok(pid)
}

fn kill_and_reap(pid: i32) -> CheckResult {
    // SAFETY: our child.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    Ok(())
}

fn stopped_child_is_t_in_stat_and_status() -> CheckResult {
    let pid = stopped_child()?;
    let r = (|| -> CheckResult {
        let (p, _, rest) = stat_fields(&slurp_text(&format!("/proc/{pid}/stat"))?)?;
        ensure_eq!(p, pid);
        ensure_eq!(rest[0].as_str(), "T", "state of a stopped child");
        ensure_eq!(rest[1], getpid().to_string(), "its parent is us");
        let status = slurp_text(&format!("/proc/{pid}/status"))?;
        ensure_eq!(status_field(&status, "State"), Some("T (stopped)"));
        check!(
            status_kb(&status, "VmSize")? > 0,
            "a stopped child keeps its memory"
        );
        check!(
            !slurp(&format!("/proc/{pid}/maps"))?.is_empty(),
            "a stopped child's maps"
        );
        Ok(())
    })();
    kill_and_reap(pid)?;
    r
}

/// A child that exited and is not reaped yet (waitid with WNOWAIT waits
/// for it and leaves it a zombie).
fn zombie_child() -> Result<i32, String> {
    let pid = spawn(|| 7)?;
    // SAFETY: siginfo_t is plain data, for which all-zero bytes are valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: info is a valid out-pointer.
    sys(
        unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        },
        "waitid(WNOWAIT)",
    )?;
    Ok(pid)
}

fn zombie_is_z_with_empty_maps_and_cmdline() -> CheckResult {
    let pid = zombie_child()?;
    let (p, _, rest) = stat_fields(&slurp_text(&format!("/proc/{pid}/stat"))?)?;
    ensure_eq!(p, pid);
    ensure_eq!(rest[0].as_str(), "Z", "state of a zombie");
    ensure_eq!(rest[20].as_str(), "0", "a zombie's vsize");
    let status = slurp_text(&format!("/proc/{pid}/status"))?;
    ensure_eq!(status_field(&status, "State"), Some("Z (zombie)"));
    check!(
        status_field(&status, "VmSize").is_none(),
        "no Vm lines:\n{status}"
    );
    ensure_eq!(slurp(&format!("/proc/{pid}/maps"))?, b"", "a zombie's maps");
    ensure_eq!(
        slurp(&format!("/proc/{pid}/cmdline"))?,
        b"",
        "a zombie's cmdline"
    );
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(7));
    Ok(())
}

fn reaped_child_vanishes_and_its_open_files_read_esrch() -> CheckResult {
    let pid = zombie_child()?;
    let status = open(&cpath(&format!("/proc/{pid}/status")), libc::O_RDONLY)?;
    let maps = open(&cpath(&format!("/proc/{pid}/maps")), libc::O_RDONLY)?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(7));
    let mut buf = [0u8; 64];
    for (fd, what) in [(status, "status"), (maps, "maps")] {
        // SAFETY: buf is valid for its length.
        let r = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        let verdict = expect_errno(
            r,
            libc::ESRCH,
            &format!("reading the reaped child's {what}"),
        );
        close(fd);
        verdict?;
    }
    let dir = cpath(&format!("/proc/{pid}"));
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: dir is a NUL-terminated path; st is a valid out-pointer.
    expect_errno(
        unsafe { libc::stat(dir.as_ptr(), &mut st) },
        libc::ENOENT,
        "stat of the reaped child's directory",
    )?;
    let r = open(&cpath(&format!("/proc/{pid}/stat")), libc::O_RDONLY);
    check!(r.is_err(), "opened the reaped child's stat");
    Ok(())
}

fn proc_lists_self_and_the_processes() -> CheckResult {
    let pid = zombie_child()?;
    let names: Vec<String> = std::fs::read_dir("/proc")
        .map_err(|e| format!("read_dir: {e}"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("read_dir: {e}"))?;
    let r = (|| -> CheckResult {
        for want in [
            "self".to_string(),
            "meminfo".to_string(),
            getpid().to_string(),
            pid.to_string(),
        ] {
            check!(names.contains(&want), "{want} not listed in /proc");
        }
        let pids: Vec<i32> = names.iter().filter_map(|n| n.parse().ok()).collect();
        check!(pids.len() >= 2, "pids listed: {pids:?}");
        for p in &pids {
            check!(*p > 0, "pid {p}");
        }
        Ok(())
    })();
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(7));
    r
}

fn a_process_directory_can_be_the_current_directory() -> CheckResult {
    // (The check runs in a child of its own: the change of directory
    // stays there.)
    // SAFETY: a valid path.
    sys(unsafe { libc::chdir(c"/proc/self".as_ptr()) }, "chdir")?;
    let cwd = std::env::current_dir().map_err(|e| format!("getcwd: {e}"))?;
    ensure_eq!(
        cwd.as_os_str().as_bytes(),
        format!("/proc/{}", getpid()).as_bytes()
    );
    // Relative names work from there.
    let (pid, _, _) = stat_fields(&slurp_text("stat")?)?;
    ensure_eq!(pid, getpid());
    // SAFETY: a NUL-terminated path.
    sys(unsafe { libc::chdir(c"..".as_ptr()) }, "chdir ..")?;
    let cwd = std::env::current_dir().map_err(|e| format!("getcwd: {e}"))?;
    ensure_eq!(cwd.as_os_str().as_bytes(), b"/proc");
    Ok(())
}

fn meminfo_kb(text: &str, key: &str) -> Result<u64, String> {
    status_kb(text, key)
}

fn meminfo_agrees_with_sysinfo() -> CheckResult {
    let text = slurp_text("/proc/meminfo")?;
    let first = text.lines().next().unwrap_or("");
    check!(
        first.starts_with("MemTotal:") && first.ends_with(" kB") && first.len() == 27,
        "first line {first:?} is not Linux's format"
    );
    let total = meminfo_kb(&text, "MemTotal")?;
    let free = meminfo_kb(&text, "MemFree")?;
    let avail = meminfo_kb(&text, "MemAvailable")?;
    check!(
        total >= free && free > 0 && total >= avail && avail > 0,
        "MemTotal {total} MemFree {free} MemAvailable {avail}"
    );
    for key in ["AnonPages", "PageTables", "Mlocked", "SwapTotal", "Cached"] {
        meminfo_kb(&text, key)?;
    }
    // SAFETY: sysinfo is plain data, for which all-zero bytes are valid.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: si is a valid out-pointer.
    sys(unsafe { libc::sysinfo(&mut si) }, "sysinfo")?;
    ensure_eq!(
        total,
        si.totalram as u64 * si.mem_unit as u64 / 1024,
        "MemTotal vs sysinfo's totalram"
    );
    Ok(())
}

fn vmstat_value(key: &str) -> Result<u64, String> {
    let text = slurp_text("/proc/vmstat")?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no {key} in /proc/vmstat"))
}

fn vmstat_counts_the_faults_of_new_pages() -> CheckResult {
    let mut m = Mapping::anon(32 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    let before = vmstat_value("pgfault")?;
    for page in m.bytes_mut().chunks_mut(PAGE) {
        page[0] = 1;
    }
    let after = vmstat_value("pgfault")?;
    check!(
        after >= before + 32,
        "pgfault {before} -> {after} after touching 32 new pages"
    );
    vmstat_value("pgmajfault")?;
    vmstat_value("nr_free_pages")?;
    Ok(())
}

fn writes_creates_and_removals_are_refused() -> CheckResult {
    let one = b"x";
    // Opening for writing works (we are root); writing does not.
    for (path, err) in [
        ("/proc/meminfo", libc::EIO),
        ("/proc/self/stat", libc::EINVAL),
        ("/proc/self/maps", libc::EINVAL),
    ] {
        let fd = open(&cpath(path), libc::O_WRONLY)?;
        // SAFETY: one valid byte.
        let r = unsafe { libc::write(fd, one.as_ptr().cast(), 1) };
        let verdict = expect_errno(r, err, &format!("write to {path}"));
        close(fd);
        verdict?;
    }
    let c = |p: &str| cpath(p);
    // SAFETY: plain system calls on valid paths.
    unsafe {
        expect_errno(
            libc::open(
                c("/proc/newfile").as_ptr(),
                libc::O_WRONLY | libc::O_CREAT,
                0o644,
            ),
            libc::ENOENT,
            "creating /proc/newfile",
        )?;
        expect_errno(
            libc::open(
                c("/proc/meminfo").as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
                0o644,
            ),
            libc::EEXIST,
            "O_EXCL on /proc/meminfo",
        )?;
        expect_errno(
            libc::unlink(c("/proc/meminfo").as_ptr()),
            libc::EPERM,
            "unlink",
        )?;
        expect_errno(
            libc::unlink(c("/proc/self/maps").as_ptr()),
            libc::EPERM,
            "unlink maps",
        )?;
        expect_errno(
            libc::mkdir(c("/proc/x").as_ptr(), 0o755),
            libc::ENOENT,
            "mkdir /proc/x",
        )?;
        expect_errno(
            libc::mkdir(c("/proc/self").as_ptr(), 0o755),
            libc::EEXIST,
            "mkdir self",
        )?;
        expect_errno(
            libc::unlinkat(libc::AT_FDCWD, c("/proc/self").as_ptr(), libc::AT_REMOVEDIR),
            libc::ENOTDIR,
            "rmdir /proc/self",
        )?;
        expect_errno(
            libc::rename(c("/proc/meminfo").as_ptr(), c("/proc/vmstat").as_ptr()),
            libc::EPERM,
            "rename over /proc/vmstat",
        )?;
        expect_errno(
            libc::symlink(c("x").as_ptr(), c("/proc/link").as_ptr()),
            libc::ENOENT,
            "symlink in /proc",
        )?;
    }
    // What was refused left everything as it was.
    let mut buf = [0u8; 16];
    let fd = open(&c("/proc/meminfo"), libc::O_RDONLY)?;
    let n = read_some(fd, &mut buf);
    close(fd);
    check!(n? > 0, "meminfo still reads");
    Ok(())
}

//! `user::misc`: the small process-wide calls. Identity (pids, tids,
//! groups, sessions, uids), uname, resource limits, umask, the working
//! directory, getrandom, sched_yield, sysinfo, the program break, anonymous
//! mappings and their protections, the thread pointer, and the console.

use std::ffi::CStr;

use ftest::proc::{WaitStatus, in_child, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, on_ferrite, sys};
use utests::fd::{TmpPath, close};
use utests::mem::{Mapping, PAGE};
use utests::sig;

const CHECKS: &[ftest::Check] = checks![
    getpid_getppid_gettid,
    uname_fields,
    uname_sysname_is_ferrite.ferrite_only(),
    rlimit_nofile_limits_new_descriptors,
    rlimit_stack_get_set_and_prlimit64,
    rlimit_errors,
    umask_returns_the_old_mask_and_applies,
    getcwd_and_chdir,
    getrandom_16_bytes,
    sched_yield_returns_0,
    sysinfo_is_plausible,
    process_groups_and_sessions,
    uid_and_gid_calls_agree,
    brk_grows_and_shrinks,
    mmap_anonymous_is_zeroed_and_writable,
    mprotect_read_only_makes_writes_fault,
    munmap_makes_access_fault,
    mmap_munmap_mprotect_errors,
    arch_prctl_get_fs_is_the_thread_pointer,
    set_tid_address_returns_the_tid,
    console_answers_tcgets_and_tiocgwinsz,
];

pub fn main() {
    ftest::main("misc", CHECKS)
}

fn raw0(nr: libc::c_long) -> i64 {
    // SAFETY: a system call without arguments.
    unsafe { libc::syscall(nr) }
}

fn getpid_getppid_gettid() -> CheckResult {
    let (pid, ppid, tid) = (
        raw0(libc::SYS_getpid),
        raw0(libc::SYS_getppid),
        raw0(libc::SYS_gettid),
    );
    check!(pid > 0 && ppid > 0, "pid {pid} ppid {ppid}");
    ensure_eq!(tid, pid, "the only thread's tid is the pid");
    ensure_eq!(i64::from(std::process::id()), pid);
    let (rd, wr) = utests::fd::pipe()?;
    let child = spawn(move || {
        let ids = [raw0(libc::SYS_getpid), raw0(libc::SYS_getppid)];
        let b: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
        i32::from(utests::fd::write_all(wr, &b).is_err())
    })?;
    close(wr);
    let mut b = [0u8; 16];
    utests::fd::read_exact(rd, &mut b)?;
    wait_pid(child)?;
    let id = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    ensure_eq!(
        (id(0), id(1)),
        (i64::from(child), pid),
        "the child's (pid, ppid)"
    );
    Ok(())
}

fn uts_field(f: &[libc::c_char]) -> Result<String, String> {
    let end = f
        .iter()
        .position(|&c| c == 0)
        .ok_or("a uname field is not NUL-terminated")?;
    Ok(f[..end].iter().map(|&c| c as u8 as char).collect())
}

fn uname() -> Result<[String; 5], String> {
    // SAFETY: utsname is plain data, for which all-zero bytes are valid.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uts is a valid out-pointer.
    sys(unsafe { libc::syscall(libc::SYS_uname, &mut uts) }, "uname")?;
    Ok([
        uts_field(&uts.sysname)?,
        uts_field(&uts.nodename)?,
        uts_field(&uts.release)?,
        uts_field(&uts.version)?,
        uts_field(&uts.machine)?,
    ])
}

fn uname_fields() -> CheckResult {
    let [sysname, _node, release, version, machine] = uname()?;
    check!(
        sysname == "Linux" || sysname == "Ferrite",
        "sysname {sysname:?}"
    );
    ensure_eq!(machine, "x86_64");
    check!(
        !release.is_empty() && !version.is_empty(),
        "release {release:?} version {version:?}"
    );
    // musl and Rust parse the release as a version number.
    check!(
        release.starts_with(|c: char| c.is_ascii_digit()),
        "release {release:?} does not start with a digit"
    );
    ensure_eq!(on_ferrite(), sysname == "Ferrite");
    Ok(())
}

fn uname_sysname_is_ferrite() -> CheckResult {
    ensure_eq!(uname()?[0], "Ferrite");
    Ok(())
}

fn getrlimit(res: u32) -> Result<libc::rlimit, String> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: r is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_getrlimit, res, &mut r) },
        "getrlimit",
    )?;
    Ok(r)
}

fn setrlimit(res: u32, cur: u64, max: u64) -> i64 {
    let r = libc::rlimit {
        rlim_cur: cur,
        rlim_max: max,
    };
    // SAFETY: r is a valid pointer.
    unsafe { libc::syscall(libc::SYS_setrlimit, res, &r) }
}

/// prlimit64(pid, res, new, old): the old limit.
fn prlimit64(pid: i32, res: u32, new: Option<(u64, u64)>) -> Result<(u64, u64), String> {
    let new = new.map(|(c, m)| libc::rlimit64 {
        rlim_cur: c,
        rlim_max: m,
    });
    let np = new
        .as_ref()
        .map_or(std::ptr::null(), |n| n as *const libc::rlimit64);
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid or NULL pointers.
    sys(
        unsafe { libc::syscall(libc::SYS_prlimit64, pid, res, np, &mut old) },
        "prlimit64",
    )?;
    Ok((old.rlim_cur, old.rlim_max))
}

fn rlimit_nofile_limits_new_descriptors() -> CheckResult {
    let lim = getrlimit(libc::RLIMIT_NOFILE as u32)?;
    check!(
        lim.rlim_cur >= 64 && lim.rlim_cur <= lim.rlim_max,
        "RLIMIT_NOFILE {}/{}",
        lim.rlim_cur,
        lim.rlim_max
    );
    ensure_eq!(
        prlimit64(0, libc::RLIMIT_NOFILE as u32, None)?,
        (lim.rlim_cur, lim.rlim_max),
        "prlimit64 vs getrlimit"
    );
    ensure_eq!(setrlimit(libc::RLIMIT_NOFILE as u32, 32, lim.rlim_max), 0);
    ensure_eq!(getrlimit(libc::RLIMIT_NOFILE as u32)?.rlim_cur, 32);
    // Descriptors up to 31 can be made, 32 and above cannot.
    let mut last = -1;
    loop {
        // SAFETY: dup of standard error.
        let fd = unsafe { libc::dup(2) };
        if fd == -1 {
            ensure_eq!(ftest::errno(), libc::EMFILE, "dup beyond RLIMIT_NOFILE");
            break;
        }
        check!(fd < 32, "dup returned {fd} with RLIMIT_NOFILE 32");
        last = fd;
    }
    ensure_eq!(last, 31, "the highest descriptor under RLIMIT_NOFILE 32");
    close(31);
    // SAFETY: dup2 takes no pointers; 32 is at the limit, so it is refused.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_dup2, 2, 32) },
        libc::EBADF,
        "dup2 onto 32",
    )?;
    // SAFETY: F_DUPFD takes an integer argument; 32 is refused.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_fcntl, 2, libc::F_DUPFD, 32) },
        libc::EINVAL,
        "F_DUPFD 32",
    )?;
    // SAFETY: dup2 takes no pointers; 31 was just closed, nothing uses it.
    ensure_eq!(
        unsafe { libc::syscall(libc::SYS_dup2, 2, 31) },
        31,
        "dup2 onto 31"
    );
    Ok(())
}

fn rlimit_stack_get_set_and_prlimit64() -> CheckResult {
    let res = libc::RLIMIT_STACK as u32;
    let lim = getrlimit(res)?;
    check!(
        lim.rlim_cur >= 128 * 1024,
        "RLIMIT_STACK soft limit {}",
        lim.rlim_cur
    );
    let (cur, max) = prlimit64(0, res, Some((4 << 20, lim.rlim_max)))?;
    ensure_eq!(
        (cur, max),
        (lim.rlim_cur, lim.rlim_max),
        "old limit from prlimit64"
    );
    ensure_eq!(
        getrlimit(res)?.rlim_cur,
        4 << 20,
        "getrlimit after prlimit64"
    );
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    ensure_eq!(
        prlimit64(me, res, None)?.0,
        4 << 20,
        "prlimit64 by our own pid"
    );
    ensure_eq!(setrlimit(res, 2 << 20, lim.rlim_max), 0);
    ensure_eq!(prlimit64(0, res, None)?.0, 2 << 20);
    // A child inherits the limits.
    in_child(|| {
        ensure_eq!(getrlimit(res)?.rlim_cur, 2 << 20, "RLIMIT_STACK in a child");
        Ok(())
    })
}

fn rlimit_errors() -> CheckResult {
    let lim = getrlimit(libc::RLIMIT_NOFILE as u32)?;
    expect_errno(
        setrlimit(libc::RLIMIT_NOFILE as u32, lim.rlim_max + 1, lim.rlim_max),
        libc::EINVAL,
        "soft above hard",
    )?;
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: r is a valid out-pointer.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_getrlimit, 99, &mut r) },
        libc::EINVAL,
        "getrlimit(99)",
    )?;
    expect_errno(setrlimit(99, 1, 1), libc::EINVAL, "setrlimit(99)")?;
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: no new limit; old is a valid out-pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_prlimit64,
            0x3fff_fff0,
            libc::RLIMIT_NOFILE,
            0usize,
            &mut old,
        )
    };
    expect_errno(r, libc::ESRCH, "prlimit64 of no such pid")
}

fn umask(mask: u32) -> i64 {
    // SAFETY: plain integer.
    unsafe { libc::syscall(libc::SYS_umask, mask) }
}

fn umask_returns_the_old_mask_and_applies() -> CheckResult {
    let old = umask(0o027);
    check!((0..=0o777).contains(&old), "umask returned {old:#o}");
    ensure_eq!(umask(0o027), 0o027, "umask returns the mask set before");
    // The mask applies to new files and directories.
    let f = TmpPath::new("umask");
    // SAFETY: f.c is a NUL-terminated path.
    let fd = sys(
        unsafe {
            libc::open(
                f.c.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                0o666,
            )
        },
        "open",
    )?;
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid out-pointer.
    sys(unsafe { libc::fstat(fd, &mut st) }, "fstat")?;
    close(fd);
    ensure_eq!(
        st.st_mode & 0o777,
        0o640,
        "mode of a file created 0666 under umask 027"
    );
    let d = TmpPath::new("umaskdir");
    // SAFETY: d.c is a NUL-terminated path.
    sys(unsafe { libc::mkdir(d.c.as_ptr(), 0o777) }, "mkdir")?;
    // SAFETY: d.c is a NUL-terminated path; st is a valid out-pointer.
    sys(unsafe { libc::stat(d.c.as_ptr(), &mut st) }, "stat")?;
    ensure_eq!(
        st.st_mode & 0o777,
        0o750,
        "mode of a directory created 0777 under umask 027"
    );
    // Only the permission bits are kept.
    umask(0o7777);
    ensure_eq!(umask(0o022), 0o777);
    Ok(())
}

/// Raw getcwd: (return value, the path).
fn getcwd(size: usize) -> (i64, String) {
    let mut buf = vec![0u8; size.max(1)];
    // SAFETY: buf is valid for `size` bytes.
    let r = unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), size) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(0);
    (r, String::from_utf8_lossy(&buf[..end]).into_owned())
}

fn chdir(path: &CStr) -> i64 {
    // SAFETY: a valid path.
    unsafe { libc::syscall(libc::SYS_chdir, path.as_ptr()) }
}

fn getcwd_and_chdir() -> CheckResult {
    ensure_eq!(chdir(c"/tmp"), 0);
    // The raw call returns the length including the NUL.
    ensure_eq!(getcwd(4096), (5, "/tmp".to_string()));
    ensure_eq!(chdir(c"/"), 0);
    ensure_eq!(getcwd(4096), (2, "/".to_string()));
    let d = TmpPath::new("cwd");
    // SAFETY: a valid path.
    sys(unsafe { libc::mkdir(d.c.as_ptr(), 0o755) }, "mkdir")?;
    ensure_eq!(chdir(&d.c), 0);
    ensure_eq!(getcwd(4096).1, d.path, "getcwd in a scratch directory");
    ensure_eq!(chdir(c".."), 0);
    ensure_eq!(getcwd(4096).1, "/tmp", "after chdir(\"..\")");
    let (r, _) = getcwd(3);
    expect_errno(r, libc::ERANGE, "getcwd with a 3-byte buffer for \"/tmp\"")?;
    let (r, _) = getcwd(0);
    expect_errno(r, libc::ERANGE, "getcwd with size 0")?;
    let missing = TmpPath::new("missing");
    expect_errno(chdir(&missing.c), libc::ENOENT, "chdir(missing)")
}

fn getrandom(buf: &mut [u8], flags: u32) -> i64 {
    // SAFETY: buf is valid for its length.
    unsafe { libc::syscall(libc::SYS_getrandom, buf.as_mut_ptr(), buf.len(), flags) }
}

fn getrandom_16_bytes() -> CheckResult {
    let (mut a, mut b, mut c) = ([0u8; 16], [0u8; 16], [0u8; 16]);
    ensure_eq!(getrandom(&mut a, 0), 16);
    ensure_eq!(getrandom(&mut b, 0), 16);
    ensure_eq!(getrandom(&mut c, libc::GRND_NONBLOCK), 16);
    check!(
        a != b && b != c && a != c,
        "getrandom repeated itself: {a:?} {b:?} {c:?}"
    );
    check!(a != [0; 16], "getrandom gave zeros");
    ensure_eq!(getrandom(&mut a[..0], 0), 0, "getrandom of 0 bytes");
    expect_errno(
        getrandom(&mut a, 0x100),
        libc::EINVAL,
        "getrandom with unknown flags",
    )
}

fn sched_yield_returns_0() -> CheckResult {
    for _ in 0..100 {
        ensure_eq!(raw0(libc::SYS_sched_yield), 0);
    }
    Ok(())
}

fn sysinfo_is_plausible() -> CheckResult {
    // SAFETY: sysinfo is plain data, for which all-zero bytes are valid.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: si is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_sysinfo, &mut si) },
        "sysinfo",
    )?;
    check!(si.mem_unit >= 1, "mem_unit {}", si.mem_unit);
    let unit = u64::from(si.mem_unit);
    let (total, free) = (si.totalram * unit, si.freeram * unit);
    check!(total >= 16 << 20, "totalram {total} bytes");
    check!(free > 0 && free <= total, "freeram {free} of {total}");
    check!(si.procs >= 1, "procs {}", si.procs);
    Ok(())
}

fn process_groups_and_sessions() -> CheckResult {
    let pid = raw0(libc::SYS_getpid);
    // The harness made this process a group leader.
    ensure_eq!(raw0(libc::SYS_getpgrp), pid, "getpgrp");
    // SAFETY: plain integer arguments throughout.
    unsafe {
        ensure_eq!(libc::syscall(libc::SYS_getpgid, 0), pid, "getpgid(0)");
        ensure_eq!(libc::syscall(libc::SYS_getpgid, pid), pid, "getpgid(self)");
        // The session may have been started outside our PID namespace (a
        // container's runner), where Linux reports it as 0; Ferrite's is
        // a real pid. Either way getsid(0) and getsid(self) agree.
        let sid = libc::syscall(libc::SYS_getsid, 0);
        check!(sid >= 0, "getsid(0) = {sid}");
        ensure_eq!(libc::syscall(libc::SYS_getsid, pid), sid, "getsid(self)");
        expect_errno(
            raw0(libc::SYS_setsid),
            libc::EPERM,
            "setsid by a group leader",
        )?;
        expect_errno(
            libc::syscall(libc::SYS_getpgid, 0x3fff_fff0),
            libc::ESRCH,
            "getpgid(no such pid)",
        )?;
        expect_errno(
            libc::syscall(libc::SYS_setpgid, 0, -1),
            libc::EINVAL,
            "setpgid(0, -1)",
        )?;
    }
    // A child (not a leader) may start a session.
    in_child(move || {
        let me = raw0(libc::SYS_getpid);
        ensure_eq!(
            raw0(libc::SYS_getpgrp),
            pid,
            "a child starts in its parent's group"
        );
        ensure_eq!(raw0(libc::SYS_setsid), me, "setsid in a child");
        // SAFETY: plain integer arguments.
        unsafe {
            ensure_eq!(
                libc::syscall(libc::SYS_getsid, 0),
                me,
                "getsid after setsid"
            );
            ensure_eq!(raw0(libc::SYS_getpgrp), me, "a new session is a new group");
            expect_errno(
                libc::syscall(libc::SYS_setpgid, 0, pid),
                libc::EPERM,
                "joining a group of another session",
            )?;
        }
        Ok(())
    })?;
    // Moving a child that has started its own session is refused.
    let (rd, wr) = utests::fd::pipe()?;
    let (srd, swr) = utests::fd::pipe()?;
    let child = spawn(move || {
        close(wr);
        close(srd);
        // SAFETY: no preconditions.
        unsafe { libc::setsid() };
        close(swr);
        let mut b = [0u8; 1];
        let _ = utests::fd::read_some(rd, &mut b);
        0
    })?;
    close(rd);
    close(swr);
    let mut b = [0u8; 1];
    utests::fd::read_some(srd, &mut b)?;
    // SAFETY: plain integer arguments.
    let r = unsafe { libc::syscall(libc::SYS_setpgid, child, pid) };
    expect_errno(
        r,
        libc::EPERM,
        "setpgid of a child that is a session leader",
    )?;
    close(wr);
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    Ok(())
}

fn uid_and_gid_calls_agree() -> CheckResult {
    let (uid, euid, gid, egid) = (
        raw0(libc::SYS_getuid),
        raw0(libc::SYS_geteuid),
        raw0(libc::SYS_getgid),
        raw0(libc::SYS_getegid),
    );
    check!(uid >= 0 && gid >= 0, "uid {uid} gid {gid}");
    ensure_eq!((uid, gid), (euid, egid), "(uid, gid) vs effective");
    Ok(())
}

fn brk(addr: usize) -> usize {
    // SAFETY: brk only moves the break (the raw call returns the new break
    // or, on failure, the current one).
    unsafe { libc::syscall(libc::SYS_brk, addr) as usize }
}

fn brk_grows_and_shrinks() -> CheckResult {
    let start = brk(0);
    check!(start != 0 && start.is_multiple_of(8), "brk(0) = {start:#x}");
    let end = start + 16 * PAGE;
    ensure_eq!(brk(end), end, "growing the break by 64 KiB");
    // SAFETY: the 64 KiB above the old break now belong to this process.
    let heap = unsafe { std::slice::from_raw_parts_mut(start as *mut u8, 16 * PAGE) };
    check!(heap.iter().all(|&b| b == 0), "new break memory is not zero");
    heap.fill(0x42);
    ensure_eq!(brk(start + PAGE), start + PAGE, "shrinking the break");
    ensure_eq!(brk(end), end, "growing it again");
    // SAFETY: as above.
    let heap = unsafe { std::slice::from_raw_parts(start as *const u8, 16 * PAGE) };
    check!(
        heap[..PAGE].iter().all(|&b| b == 0x42),
        "the kept page lost its data"
    );
    check!(
        heap[PAGE..].iter().all(|&b| b == 0),
        "released and regrown break memory is not zero"
    );
    // An impossible break leaves it where it is.
    ensure_eq!(brk(0x8000_0000_0000_0000), end, "brk(non-canonical)");
    ensure_eq!(brk(1), end, "brk(1), below the start");
    ensure_eq!(brk(start), start);
    Ok(())
}

fn mmap_anonymous_is_zeroed_and_writable() -> CheckResult {
    let mut m = Mapping::anon(16 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    check!(m.addr.is_multiple_of(PAGE), "mmap returned {:#x}", m.addr);
    check!(
        m.bytes().iter().all(|&b| b == 0),
        "fresh anonymous memory is not zero"
    );
    for (i, b) in m.bytes_mut().iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    check!(
        m.bytes()
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8),
        "written bytes changed"
    );
    // A length that is not a page multiple is rounded up.
    let mut odd = Mapping::anon(PAGE + 1, libc::PROT_READ | libc::PROT_WRITE)?;
    // SAFETY: the rounded-up mapping covers two whole pages.
    unsafe { *odd.ptr().add(2 * PAGE - 1) = 1 };
    odd.bytes_mut()[0] = 1;
    Ok(())
}

/// A child that restores the default fault actions, runs `body` and must
/// die of SIGSEGV in it.
fn dies_of_sigsegv(body: impl FnOnce()) -> CheckResult {
    let pid = spawn(|| {
        sig::default_fault_signals();
        body();
        100
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

fn mprotect_read_only_makes_writes_fault() -> CheckResult {
    let mut m = Mapping::anon(2 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    m.bytes_mut().fill(9);
    m.protect(libc::PROT_READ)?;
    ensure_eq!(m.bytes()[PAGE], 9, "reading a read-only page");
    let addr = m.addr;
    // SAFETY: the write to a read-only page faults on purpose, in a child.
    dies_of_sigsegv(|| unsafe { std::ptr::write_volatile((addr + PAGE) as *mut u8, 1) })?;
    m.protect(libc::PROT_NONE)?;
    // SAFETY: the read of a PROT_NONE page faults on purpose, in a child.
    dies_of_sigsegv(|| unsafe {
        std::ptr::read_volatile(addr as *const u8);
    })?;
    m.protect(libc::PROT_READ | libc::PROT_WRITE)?;
    m.bytes_mut()[0] = 1;
    ensure_eq!(
        (m.bytes()[0], m.bytes()[1]),
        (1, 9),
        "contents kept across protections"
    );
    Ok(())
}

fn munmap_makes_access_fault() -> CheckResult {
    let m = Mapping::anon(3 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    let addr = m.addr;
    // Unmap the middle page only.
    // SAFETY: a page of our own mapping.
    sys(
        unsafe { libc::munmap((addr + PAGE) as *mut _, PAGE) },
        "munmap",
    )?;
    // SAFETY: the outer pages are still mapped.
    unsafe {
        std::ptr::write_volatile(addr as *mut u8, 1);
        std::ptr::write_volatile((addr + 2 * PAGE) as *mut u8, 1);
    }
    // SAFETY: faults on purpose, in a child.
    dies_of_sigsegv(|| unsafe {
        std::ptr::read_volatile((addr + PAGE) as *const u8);
    })?;
    // munmap of an unmapped range succeeds.
    // SAFETY: the page is already unmapped; nothing of ours lives there.
    sys(
        unsafe { libc::munmap((addr + PAGE) as *mut _, PAGE) },
        "munmap of a hole",
    )?;
    Ok(())
}

fn mmap_raw(addr: usize, len: usize, prot: i32, flags: i32) -> i64 {
    // SAFETY: the kernel validates everything; the checks map nothing over
    // memory in use (MAP_FIXED is only used with a bad address).
    unsafe { libc::syscall(libc::SYS_mmap, addr, len, prot, flags, -1i64, 0i64) }
}

fn mmap_munmap_mprotect_errors() -> CheckResult {
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    expect_errno(mmap_raw(0, 0, rw, anon), libc::EINVAL, "mmap of length 0")?;
    expect_errno(
        mmap_raw(0, PAGE, rw, libc::MAP_ANONYMOUS),
        libc::EINVAL,
        "mmap without MAP_PRIVATE or MAP_SHARED",
    )?;
    expect_errno(
        mmap_raw(0x1234_5001, PAGE, rw, anon | libc::MAP_FIXED),
        libc::EINVAL,
        "MAP_FIXED at an unaligned address",
    )?;
    expect_errno(
        mmap_raw(0, PAGE, rw, libc::MAP_PRIVATE),
        libc::EBADF,
        "file mapping of fd -1",
    )?;
    expect_errno(
        mmap_raw(0, usize::MAX - PAGE, rw, anon),
        libc::ENOMEM,
        "mmap of nearly 2^64 bytes",
    )?;
    // SAFETY: invalid ranges on purpose.
    unsafe {
        let r = libc::syscall(libc::SYS_munmap, 0x1234_5001usize, PAGE);
        expect_errno(r, libc::EINVAL, "munmap at an unaligned address")?;
        let r = libc::syscall(libc::SYS_munmap, 0x1234_5000usize, 0usize);
        expect_errno(r, libc::EINVAL, "munmap of length 0")?;
        let hole = utests::mem::unmapped_page()?;
        let r = libc::syscall(libc::SYS_mprotect, hole, PAGE, libc::PROT_READ);
        expect_errno(r, libc::ENOMEM, "mprotect of an unmapped page")?;
        let m = Mapping::anon(PAGE, rw)?;
        let r = libc::syscall(libc::SYS_mprotect, m.addr + 1, PAGE, libc::PROT_READ);
        expect_errno(r, libc::EINVAL, "mprotect at an unaligned address")?;
        let r = libc::syscall(libc::SYS_mprotect, m.addr, PAGE, 0x100);
        expect_errno(r, libc::EINVAL, "mprotect with an unknown protection bit")?;
    }
    Ok(())
}

/// arch_prctl code (asm/prctl.h).
const ARCH_GET_FS: i32 = 0x1003;

fn arch_prctl_get_fs_is_the_thread_pointer() -> CheckResult {
    let mut fs = 0u64;
    // SAFETY: fs is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_GET_FS, &mut fs) },
        "arch_prctl(ARCH_GET_FS)",
    )?;
    // musl's thread pointer points at itself: %fs:0 holds the FS base.
    let self_ptr: u64;
    // SAFETY: reads the first word of the thread control block.
    unsafe {
        std::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) self_ptr, options(nostack, readonly))
    };
    check!(fs != 0, "ARCH_GET_FS returned 0");
    ensure_eq!(fs, self_ptr, "ARCH_GET_FS vs %fs:0");
    // SAFETY: an unknown code with a NULL argument is refused untouched.
    let r = unsafe { libc::syscall(libc::SYS_arch_prctl, 0x9999, 0usize) };
    expect_errno(r, libc::EINVAL, "arch_prctl with an unknown code")
}

fn set_tid_address_returns_the_tid() -> CheckResult {
    // The check runs in its own process, which ends soon: pointing the
    // clear-tid word at a local is harmless (the kernel clears it at exit,
    // while the stack is still mapped).
    let mut word = 0i32;
    // SAFETY: the kernel writes word only at exit, while the stack is mapped.
    let tid = unsafe { libc::syscall(libc::SYS_set_tid_address, &mut word) };
    ensure_eq!(tid, raw0(libc::SYS_gettid));
    Ok(())
}

fn console_answers_tcgets_and_tiocgwinsz() -> CheckResult {
    // SAFETY: opening the console without making it our controlling tty.
    let fd = sys(
        unsafe {
            libc::open(
                c"/dev/console".as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        },
        "open(/dev/console)",
    )?;
    // SAFETY: termios is plain data, for which all-zero bytes are valid.
    let mut tio: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tio is at least as large as the kernel's termios out-buffer.
    let r = unsafe { libc::syscall(libc::SYS_ioctl, fd, libc::TCGETS, &mut tio) };
    ensure_eq!(r, 0, "ioctl(console, TCGETS)");
    let mut ws = libc::winsize {
        ws_row: 7,
        ws_col: 7,
        ws_xpixel: 7,
        ws_ypixel: 7,
    };
    // SAFETY: ws is an out-buffer of the kernel's winsize size.
    let r = unsafe { libc::syscall(libc::SYS_ioctl, fd, libc::TIOCGWINSZ, &mut ws) };
    ensure_eq!(r, 0, "ioctl(console, TIOCGWINSZ)");
    close(fd);
    Ok(())
}

//! `user::exec`: execve(2). What the new program receives (argv, envp, the
//! auxiliary vector), how exec fails (ENOENT, ENOEXEC, EACCES, E2BIG,
//! EFAULT, ENAMETOOLONG) and that a failed exec leaves the caller whole,
//! and what survives an exec (pid, descriptors without close-on-exec,
//! ignored signals, the signal mask) and what does not.
//!
//! The checks re-execute this program through `argv[0]` with
//! `--helper NAME`; the helpers print what they see on standard output.

use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicU8, Ordering};

use ftest::proc::{Captured, WaitStatus, run_capture, run_helper};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, helpers, self_path, sys};
use utests::fd::{TmpPath, close, make_file, pipe, pipe2, read_some, write_all};
use utests::mem::{Mapping, PAGE, unmapped_page};
use utests::sig;

const CHECKS: &[ftest::Check] = checks![
    argv_and_envp_reach_the_new_program,
    auxv_program_headers_match_the_file,
    auxv_pagesz_is_4096,
    auxv_base_is_0_for_a_static_program,
    auxv_random_is_16_bytes_differing_between_runs,
    auxv_execfn_is_the_path_given_to_execve,
    missing_file_is_enoent,
    non_elf_file_is_enoexec,
    directory_is_eacces,
    argument_of_128k_is_e2big,
    argument_of_128k_minus_1_is_accepted,
    arguments_totalling_16m_are_e2big,
    bad_path_argv_envp_pointers_are_efault,
    path_longer_than_path_max_is_enametoolong,
    name_longer_than_name_max_is_enametoolong,
    failed_exec_leaves_the_caller_intact,
    cloexec_fds_are_closed_and_others_kept,
    exec_keeps_pid_and_parent,
    exec_resets_handlers_keeps_ignored_signals_and_mask,
    exec_discards_the_old_address_space,
];

const HELPERS: &[ftest::Helper] = helpers![
    show_args,
    show_random,
    show_execfn,
    show_ids,
    show_signals,
    fds_state,
    arg_lengths,
    is_mapped,
];

pub fn main() {
    ftest::main_with_helpers("exec", CHECKS, HELPERS)
}

// ---- helpers (run in the new program image) ----

fn show_args(_: &[String]) -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let env: Vec<(String, String)> = std::env::vars().collect();
    println!("{args:?}\n{env:?}");
    0
}

fn show_random(_: &[String]) -> i32 {
    println!("{}", hex(&at_random()));
    0
}

fn show_execfn(_: &[String]) -> i32 {
    // SAFETY: getauxval only reads the saved auxiliary vector.
    let p = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if p.is_null() {
        println!("(no AT_EXECFN)");
    } else {
        // SAFETY: p is non-null: AT_EXECFN's NUL-terminated string on the stack.
        println!("{}", unsafe { CStr::from_ptr(p) }.to_string_lossy());
    }
    0
}

fn show_ids(_: &[String]) -> i32 {
    // SAFETY: plain queries.
    unsafe { println!("{} {}", libc::getpid(), libc::getppid()) };
    0
}

fn show_signals(_: &[String]) -> i32 {
    let name = |h: libc::sighandler_t| match h {
        libc::SIG_DFL => "default",
        libc::SIG_IGN => "ignored",
        _ => "handled",
    };
    println!(
        "usr1={} usr2={} term_blocked={}",
        name(sig::disposition(libc::SIGUSR1)),
        name(sig::disposition(libc::SIGUSR2)),
        sig::is_blocked(libc::SIGTERM)
    );
    0
}

/// Args `FD:open` / `FD:closed`; prints every mismatch (an open descriptor
/// must also have lost nothing: FD_CLOEXEC clear).
fn fds_state(args: &[String]) -> i32 {
    let mut bad = 0;
    for arg in args {
        let (fd, want) = arg.split_once(':').expect("FD:state");
        let fd: i32 = fd.parse().expect("a number");
        // SAFETY: F_GETFD only queries.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        let state = match flags {
            -1 => "closed",
            0 => "open",
            _ => "open-with-cloexec",
        };
        if state != want {
            println!("fd {fd}: {state}, expected {want}");
            bad += 1;
        }
    }
    i32::from(bad != 0)
}

fn arg_lengths(args: &[String]) -> i32 {
    let lens: Vec<usize> = args.iter().map(String::len).collect();
    println!("{lens:?}");
    0
}

/// Arg: an address. Prints whether a page is mapped there (mprotect
/// answers ENOMEM for an unmapped range).
fn is_mapped(args: &[String]) -> i32 {
    let addr = usize::from_str_radix(args[0].trim_start_matches("0x"), 16).expect("hex");
    // SAFETY: changing nothing: PROT_READ on a page we may not own only
    // probes (it is never accessed).
    let r = unsafe { libc::mprotect(addr as *mut libc::c_void, PAGE, libc::PROT_READ) };
    println!(
        "{}",
        if r == 0 {
            "mapped"
        } else {
            ftest::errname(ftest::errno())
        }
    );
    0
}

// ---- tools ----

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn at_random() -> [u8; 16] {
    // SAFETY: getauxval only reads the saved auxiliary vector.
    let p = unsafe { libc::getauxval(libc::AT_RANDOM) } as *const [u8; 16];
    // SAFETY: a non-null p points at 16 bytes the kernel put on the stack.
    if p.is_null() { [0; 16] } else { unsafe { *p } }
}

fn auxval(t: libc::c_ulong) -> u64 {
    // SAFETY: getauxval only reads the saved auxiliary vector.
    unsafe { libc::getauxval(t) }
}

fn expect_ok(out: &Captured) -> CheckResult {
    ensure_eq!(
        out.status,
        WaitStatus::Exited(0),
        "helper output: {}",
        out.text()
    );
    Ok(())
}

/// A C string array (NULL-terminated pointer vector) over `items`.
struct CArgs {
    _strings: Vec<CString>,
    ptrs: Vec<*const libc::c_char>,
}

impl CArgs {
    fn new<S: AsRef<[u8]>>(items: &[S]) -> CArgs {
        let strings = ftest::proc::cstrings(items).expect("no NUL");
        let mut ptrs: Vec<_> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        CArgs {
            _strings: strings,
            ptrs,
        }
    }

    fn as_ptr(&self) -> *const *const libc::c_char {
        self.ptrs.as_ptr()
    }
}

/// The raw execve system call.
fn execve(
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
) -> i64 {
    // On success the probe environment makes the new program exit with
    // status 99 at once, failing the check visibly.
    // SAFETY: the kernel validates every pointer; on success this process
    // becomes another program and nothing here runs again.
    unsafe { libc::syscall(libc::SYS_execve, path, argv, envp) }
}

/// An environment that makes this program exit 99 at once if an exec that
/// should fail succeeds.
fn probe_env() -> CArgs {
    CArgs::new(&[format!("{}=1", ftest::PROBE_ENV)])
}

fn self_argv() -> CArgs {
    CArgs::new(&[self_path()])
}

fn cself() -> CString {
    CString::new(self_path()).expect("no NUL")
}

// ---- checks ----

fn argv_and_envp_reach_the_new_program() -> CheckResult {
    let env = ["A=1", "EMPTY=", "B=two words"];
    let out = run_helper("show_args", &["one", "two words", ""], Some(&env))?;
    expect_ok(&out)?;
    let args = vec![self_path(), "--helper", "show_args", "one", "two words", ""];
    let vars = vec![("A", "1"), ("EMPTY", ""), ("B", "two words")];
    ensure_eq!(out.text(), format!("{args:?}\n{vars:?}\n"));
    Ok(())
}

fn le16(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()))
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn auxv_program_headers_match_the_file() -> CheckResult {
    let (phdr, phent, phnum, entry) = (
        auxval(libc::AT_PHDR),
        auxval(libc::AT_PHENT),
        auxval(libc::AT_PHNUM),
        auxval(libc::AT_ENTRY),
    );
    check!(
        phdr != 0 && phent != 0 && phnum != 0 && entry != 0,
        "AT_PHDR {phdr:#x} AT_PHENT {phent} AT_PHNUM {phnum} AT_ENTRY {entry:#x}: all must be present"
    );
    let file = std::fs::read(self_path()).map_err(|e| format!("reading {}: {e}", self_path()))?;
    check!(
        file.len() >= 64 && file[..4] == *b"\x7fELF",
        "{} is not an ELF file",
        self_path()
    );
    let (e_type, e_entry, e_phoff) = (le16(&file, 16), le64(&file, 24), le64(&file, 32));
    ensure_eq!(phent, 56, "AT_PHENT is not the size of an Elf64_Phdr");
    ensure_eq!(phent, le16(&file, 54), "AT_PHENT vs e_phentsize");
    ensure_eq!(phnum, le16(&file, 56), "AT_PHNUM vs e_phnum");
    // The headers in memory are the file's headers.
    let len = (phent * phnum) as usize;
    // SAFETY: AT_PHDR points at AT_PHNUM mapped program headers.
    let in_memory = unsafe { std::slice::from_raw_parts(phdr as *const u8, len) };
    check!(
        in_memory == &file[e_phoff as usize..e_phoff as usize + len],
        "the program headers at AT_PHDR differ from the file's"
    );
    // The load bias from the segment that holds the headers.
    let segs: Vec<&[u8]> = in_memory.chunks(56).collect();
    let holder = segs
        .iter()
        .find(|s| le32(s, 0) == 1 && le64(s, 8) <= e_phoff && e_phoff < le64(s, 8) + le64(s, 32));
    let Some(holder) = holder else {
        return Err("no PT_LOAD segment contains the program headers".into());
    };
    let bias = phdr.wrapping_sub(le64(holder, 16) + (e_phoff - le64(holder, 8)));
    check!(
        bias.is_multiple_of(PAGE as u64),
        "load bias {bias:#x} is not page-aligned"
    );
    if e_type == 2 {
        ensure_eq!(bias, 0, "an ET_EXEC program must load at its link address");
    }
    ensure_eq!(
        entry,
        e_entry.wrapping_add(bias),
        "AT_ENTRY vs e_entry + load bias"
    );
    // Read-only segments hold the file's bytes at their addresses.
    for s in &segs {
        let (p_type, p_flags, off, vaddr, filesz) =
            (le32(s, 0), le32(s, 4), le64(s, 8), le64(s, 16), le64(s, 32));
        if p_type != 1 || p_flags & 2 != 0 || filesz == 0 {
            continue;
        }
        let n = filesz.min(256) as usize;
        // SAFETY: a loaded, readable segment of this program.
        let mem = unsafe { std::slice::from_raw_parts((vaddr + bias) as *const u8, n) };
        check!(
            mem == &file[off as usize..off as usize + n],
            "segment at {vaddr:#x} (+{bias:#x}) does not hold file offset {off:#x}"
        );
    }
    Ok(())
}

fn auxv_pagesz_is_4096() -> CheckResult {
    ensure_eq!(auxval(libc::AT_PAGESZ), 4096);
    Ok(())
}

fn auxv_base_is_0_for_a_static_program() -> CheckResult {
    // A non-zero AT_BASE would be taken for an interpreter's base.
    ensure_eq!(auxval(libc::AT_BASE), 0);
    Ok(())
}

fn auxv_random_is_16_bytes_differing_between_runs() -> CheckResult {
    let a = run_helper("show_random", &[], None)?;
    let b = run_helper("show_random", &[], None)?;
    expect_ok(&a)?;
    expect_ok(&b)?;
    let (a, b, own) = (
        a.text().trim().to_string(),
        b.text().trim().to_string(),
        hex(&at_random()),
    );
    ensure_eq!(a.len(), 32, "AT_RANDOM of a helper: {a}");
    check!(own != "0".repeat(32), "AT_RANDOM is missing or all zero");
    check!(
        a != b && a != own && b != own,
        "AT_RANDOM repeats between runs: {a} {b} {own}"
    );
    Ok(())
}

fn auxv_execfn_is_the_path_given_to_execve() -> CheckResult {
    // argv[0] says something else: AT_EXECFN is the path.
    let argv = ["renamed-program", "--helper", "show_execfn"];
    let out = run_capture(self_path(), &argv, &ftest::proc::environ_strings())?;
    expect_ok(&out)?;
    ensure_eq!(out.text().trim_end(), self_path());
    Ok(())
}

fn missing_file_is_enoent() -> CheckResult {
    let missing = TmpPath::new("missing");
    let r = execve(
        missing.c.as_ptr(),
        self_argv().as_ptr(),
        probe_env().as_ptr(),
    );
    expect_errno(r, libc::ENOENT, "execve(missing file)")
}

fn non_elf_file_is_enoexec() -> CheckResult {
    let f = make_file(
        "notelf",
        b"\x7fELX: neither ELF nor a script\n\0\x01\x02",
        0o755,
    )?;
    let r = execve(f.c.as_ptr(), self_argv().as_ptr(), probe_env().as_ptr());
    expect_errno(r, libc::ENOEXEC, "execve(non-ELF file, mode 0755)")
}

fn directory_is_eacces() -> CheckResult {
    let r = execve(c"/tmp".as_ptr(), self_argv().as_ptr(), probe_env().as_ptr());
    expect_errno(r, libc::EACCES, "execve(\"/tmp\")")
}

/// Linux's MAX_ARG_STRLEN: one string, its NUL included.
const MAX_ARG_STRLEN: usize = 32 * PAGE;

fn argument_of_128k_is_e2big() -> CheckResult {
    let long = "x".repeat(MAX_ARG_STRLEN);
    let argv = CArgs::new(&[self_path(), &long]);
    let r = execve(cself().as_ptr(), argv.as_ptr(), probe_env().as_ptr());
    expect_errno(r, libc::E2BIG, "execve with one 131072-byte argument")
}

fn argument_of_128k_minus_1_is_accepted() -> CheckResult {
    let long = "y".repeat(MAX_ARG_STRLEN - 1);
    let out = run_helper("arg_lengths", &[&long], None)?;
    expect_ok(&out)?;
    ensure_eq!(out.text(), format!("[{}]\n", MAX_ARG_STRLEN - 1));
    Ok(())
}

fn arguments_totalling_16m_are_e2big() -> CheckResult {
    // 128 pointers to one 128 KiB - 1 string: 16 MiB of arguments, more
    // than any stack limit allows, at the cost of one string.
    let s = CString::new("z".repeat(MAX_ARG_STRLEN - 1)).unwrap();
    let path = cself();
    let mut argv = vec![path.as_ptr()];
    argv.extend(std::iter::repeat_n(s.as_ptr(), 128));
    argv.push(std::ptr::null());
    let r = execve(path.as_ptr(), argv.as_ptr(), probe_env().as_ptr());
    expect_errno(r, libc::E2BIG, "execve with 128 arguments of 128 KiB")
}

fn bad_path_argv_envp_pointers_are_efault() -> CheckResult {
    let bad = unmapped_page()? as *const libc::c_char;
    let path = cself();
    let env = probe_env();
    let r = execve(std::ptr::null(), self_argv().as_ptr(), env.as_ptr());
    expect_errno(r, libc::EFAULT, "execve(NULL, argv, envp)")?;
    let r = execve(bad, self_argv().as_ptr(), env.as_ptr());
    expect_errno(r, libc::EFAULT, "execve(unmapped path, argv, envp)")?;
    let r = execve(path.as_ptr(), bad.cast(), env.as_ptr());
    expect_errno(r, libc::EFAULT, "execve(path, unmapped argv, envp)")?;
    let argv = [path.as_ptr(), c"x".as_ptr(), bad, std::ptr::null()];
    let r = execve(path.as_ptr(), argv.as_ptr(), env.as_ptr());
    expect_errno(
        r,
        libc::EFAULT,
        "execve(path, argv with an unmapped string, envp)",
    )?;
    let helper = CArgs::new(&[self_path(), "--helper", "no-such-helper"]);
    let r = execve(path.as_ptr(), helper.as_ptr(), bad.cast());
    expect_errno(r, libc::EFAULT, "execve(path, argv, unmapped envp)")
}

fn path_longer_than_path_max_is_enametoolong() -> CheckResult {
    let path = CString::new(format!("/tmp{}", "/a".repeat(2100))).unwrap();
    let r = execve(path.as_ptr(), self_argv().as_ptr(), probe_env().as_ptr());
    expect_errno(r, libc::ENAMETOOLONG, "execve(4204-byte path)")
}

fn name_longer_than_name_max_is_enametoolong() -> CheckResult {
    let path = CString::new(format!("/tmp/{}", "n".repeat(256))).unwrap();
    let r = execve(path.as_ptr(), self_argv().as_ptr(), probe_env().as_ptr());
    expect_errno(r, libc::ENAMETOOLONG, "execve(/tmp/<256-byte name>)")
}

static DATA: [AtomicU8; 2 * PAGE] = [const { AtomicU8::new(0x5a) }; 2 * PAGE];

fn failed_exec_leaves_the_caller_intact() -> CheckResult {
    let mut heap = vec![0u8; 1 << 20];
    let mut stack = [0u8; 8192];
    for (i, b) in heap.iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    for (i, b) in stack.iter_mut().enumerate() {
        *b = (i * 13) as u8;
    }
    for (i, b) in DATA.iter().enumerate() {
        b.store((i * 3) as u8, Ordering::Relaxed);
    }
    let (rd, wr) = pipe()?;
    let (crd, cwr) = pipe2(libc::O_CLOEXEC)?;
    sig::ignore(libc::SIGUSR1);

    let notelf = make_file("notelf", b"not an executable\n", 0o755)?;
    let missing = TmpPath::new("missing");
    let path = cself();
    let env = probe_env();
    let big = CString::new("z".repeat(MAX_ARG_STRLEN - 1)).unwrap();
    let mut huge = vec![path.as_ptr()];
    huge.extend(std::iter::repeat_n(big.as_ptr(), 128));
    huge.push(std::ptr::null());
    let bad = unmapped_page()? as *const libc::c_char;
    let late_fault = [
        path.as_ptr(),
        big.as_ptr(),
        big.as_ptr(),
        bad,
        std::ptr::null(),
    ];
    let r = execve(missing.c.as_ptr(), self_argv().as_ptr(), env.as_ptr());
    expect_errno(r, libc::ENOENT, "execve(missing file)")?;
    let r = execve(notelf.c.as_ptr(), self_argv().as_ptr(), env.as_ptr());
    expect_errno(r, libc::ENOEXEC, "execve(non-ELF file)")?;
    let r = execve(path.as_ptr(), huge.as_ptr(), env.as_ptr());
    expect_errno(r, libc::E2BIG, "execve(16 MiB of arguments)")?;
    let r = execve(path.as_ptr(), late_fault.as_ptr(), env.as_ptr());
    expect_errno(
        r,
        libc::EFAULT,
        "execve(argv whose third string is unmapped)",
    )?;

    for (i, b) in heap.iter().enumerate() {
        check!(*b == (i * 7) as u8, "heap byte {i} changed");
    }
    for (i, b) in stack.iter().enumerate() {
        check!(*b == (i * 13) as u8, "stack byte {i} changed");
    }
    for (i, b) in DATA.iter().enumerate() {
        check!(
            b.load(Ordering::Relaxed) == (i * 3) as u8,
            ".data byte {i} changed"
        );
    }
    // SAFETY: F_GETFD only queries.
    let (f1, f2) = unsafe {
        (
            libc::fcntl(wr, libc::F_GETFD),
            libc::fcntl(cwr, libc::F_GETFD),
        )
    };
    ensure_eq!(
        (f1, f2),
        (0, libc::FD_CLOEXEC),
        "descriptor flags after failed execs"
    );
    write_all(wr, b"still here")?;
    let mut buf = [0u8; 16];
    let n = read_some(rd, &mut buf)?;
    ensure_eq!(&buf[..n], b"still here");
    write_all(cwr, b"and here")?;
    let n = read_some(crd, &mut buf)?;
    ensure_eq!(&buf[..n], b"and here");
    check!(
        sig::disposition(libc::SIGUSR1) == libc::SIG_IGN,
        "SIGUSR1 no longer ignored"
    );
    Ok(())
}

fn cloexec_fds_are_closed_and_others_kept() -> CheckResult {
    let f = make_file("fds", b"data", 0o644)?;
    // SAFETY: descriptor plumbing on descriptors this check owns.
    let fds = unsafe {
        let a = libc::open(f.c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        let b = libc::open(f.c.as_ptr(), libc::O_RDONLY);
        let c = libc::dup(b);
        libc::fcntl(c, libc::F_SETFD, libc::FD_CLOEXEC);
        let d = libc::dup3(b, 40, libc::O_CLOEXEC);
        let e = libc::fcntl(b, libc::F_DUPFD_CLOEXEC, 50);
        let g = libc::fcntl(b, libc::F_DUPFD, 70);
        [a, b, c, d, e, g]
    };
    for fd in fds {
        sys(fd, "setting up descriptors")?;
    }
    let (p0, p1) = pipe2(libc::O_CLOEXEC)?;
    // SAFETY: dup2 onto a free number; the copy has FD_CLOEXEC clear.
    sys(unsafe { libc::dup2(p0, 60) }, "dup2")?;
    let [a, b, c, d, e, g] = fds;
    let want = [
        format!("{a}:closed"),
        format!("{b}:open"),
        format!("{c}:closed"),
        format!("{d}:closed"),
        format!("{e}:closed"),
        format!("{g}:open"),
        format!("{p0}:closed"),
        format!("{p1}:closed"),
        "60:open".to_string(),
    ];
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    let out = run_helper("fds_state", &want, None)?;
    expect_ok(&out)?;
    close(p1);
    Ok(())
}

fn exec_keeps_pid_and_parent() -> CheckResult {
    let out = run_helper("show_ids", &[], None)?;
    expect_ok(&out)?;
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    ensure_eq!(
        out.text(),
        format!("{} {me}\n", out.pid),
        "pid and ppid after exec"
    );
    Ok(())
}

extern "C" fn never_called(_: libc::c_int) {}

fn exec_resets_handlers_keeps_ignored_signals_and_mask() -> CheckResult {
    sig::set(
        libc::SIGUSR1,
        never_called as *const () as libc::sighandler_t,
    );
    sig::ignore(libc::SIGUSR2);
    sig::block(libc::SIGTERM);
    let out = run_helper("show_signals", &[], None)?;
    expect_ok(&out)?;
    ensure_eq!(out.text(), "usr1=default usr2=ignored term_blocked=true\n");
    Ok(())
}

/// Far from where Linux or Ferrite put programs, stacks and mappings.
const FIXED_ADDR: usize = 0x3a5a_0000_0000;

fn exec_discards_the_old_address_space() -> CheckResult {
    // SAFETY: a fixed anonymous mapping at an address nothing else uses.
    let p = unsafe {
        libc::mmap(
            FIXED_ADDR as *mut libc::c_void,
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    check!(
        p as usize == FIXED_ADDR,
        "mmap(MAP_FIXED at {FIXED_ADDR:#x}) gave {p:?}"
    );
    let _keep = Mapping {
        addr: FIXED_ADDR,
        len: PAGE,
    };
    let addr = format!("{FIXED_ADDR:#x}");
    let out = run_helper("is_mapped", &[&addr], None)?;
    expect_ok(&out)?;
    ensure_eq!(out.text(), "ENOMEM\n", "the old program's page after exec");
    Ok(())
}

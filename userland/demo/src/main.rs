//! `/bin/demo`: the ring-3 demo, what `/init` runs when given no program
//! (so what `scripts/run.sh` shows). It walks through the virtual-memory
//! operations in sections (fork, mmap, mlock, ptrace, ktrace) and narrates
//! each with the kernel's own evidence in brackets, read from `/proc`
//! (counter deltas around the operation, map entries), not only with what
//! the program sees.
//!
//! The same binary runs on Linux, where Ferrite's own files and counters
//! (`/proc/<pid>/uvm`, the `uvm_*` lines of `/proc/vmstat`) are absent:
//! the brackets then show what Linux has (`nr_mlock`, maps, the process's
//! minor faults from getrusage).
//!
//! `demo --hello` is the tiny program the ktrace section traces. Exit
//! status: 0, or 1 if a section failed (its error is on standard error).

mod evidence;
mod fork;
mod ktrace;
mod mlock;
mod mmap;
mod ptrace;
mod sys;

use std::process::ExitCode;

use evidence::Probe;

/// The page size of x86_64.
pub const PAGE: usize = 4096;

/// A section of the demo: it prints its narration; an error ends it.
type Section = fn(&mut Probe) -> Result<(), String>;

/// The sections, in order: a title and what runs.
const SECTIONS: &[(&str, Section)] = &[
    ("fork: copy-on-write", fork::run),
    (
        "mmap: zero-fill on demand, shared and file mappings, munmap, mprotect",
        mmap::run,
    ),
    ("mlock: resident and wired", mlock::run),
    (
        "ptrace: a breakpoint in read-only text, a copy-on-write patch",
        ptrace::run,
    ),
    ("ktrace: a mini strace over PTRACE_SYSCALL", |_| {
        ktrace::run()
    }),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => {}
        ["--hello"] => ktrace::hello(),
        ["--help"] => {
            println!("usage: demo\n{}", USAGE);
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("usage: demo\n{}", USAGE);
            return ExitCode::from(2);
        }
    }
    println!(
        "demo: {}, pid {}: virtual memory seen from ring 3",
        system(),
        std::process::id()
    );
    println!("demo: [brackets] hold the kernel's evidence, read from /proc");
    let mut probe = Probe::new();
    if probe.vm().get("uvm_faults").is_none() {
        println!("demo: (not Ferrite: no uvm_* counters or /proc/<pid>/uvm; getrusage instead)");
    }
    if let Err(e) = sys::catch_segv() {
        eprintln!("demo: {e}");
        return ExitCode::FAILURE;
    }
    let start = probe.vm();
    let mut failed = 0;
    for (title, section) in SECTIONS {
        println!("== {title}");
        if let Err(e) = section(&mut probe) {
            eprintln!("demo: {title}: {e}");
            failed += 1;
        }
    }
    let end = probe.vm();
    println!(
        "demo: done [{}]{}",
        start.delta(
            &end,
            &[
                "uvm_forks",
                "uvm_faults",
                "uvm_cow_copies",
                "uvm_zero_fills"
            ]
        ),
        if failed > 0 {
            format!(", {failed} sections FAILED")
        } else {
            String::new()
        }
    );
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

const USAGE: &str = "Walks through fork (copy-on-write), mmap (zero fill, shared, file, munmap, \
mprotect), mlock, ptrace (breakpoint, copy-on-write patch) and ktrace, with the kernel's \
counters from /proc. What /init runs when given no program.";

/// `SYSNAME RELEASE MACHINE` from uname.
fn system() -> String {
    // SAFETY: an all-zero utsname is valid; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer.
    if unsafe { libc::uname(&mut u) } != 0 {
        return "?".into();
    }
    let field = |f: &[libc::c_char]| {
        // SAFETY: uname's fields are NUL-terminated within their arrays.
        unsafe { std::ffi::CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

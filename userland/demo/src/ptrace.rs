//! ptrace: a breakpoint in read-only text and a copy-on-write patch.
//!
//! The parent stores `SECRET = 42` (its data page becomes an anon shared
//! copy-on-write by every fork) and forks a sibling that waits, then a
//! child that asks to be traced and stops. The tracer writes int3 over the
//! first byte of `checkpoint()` in the child's text (PTRACE_POKETEXT: the
//! text is read-only to the program, but a debugger's write goes to a
//! private copy of the page), continues it, and the child stops with
//! SIGTRAP; GETREGS shows rip one past the breakpoint. The tracer then
//! patches SECRET in the child (PTRACE_POKEDATA, a copy-on-write copy for
//! the child alone), restores the text and rip, and continues: the child
//! prints the patched value, the sibling and the parent the original.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::evidence::Probe;
use crate::sys::{self, fail};

const ORIGINAL: u64 = 42;
const PATCHED: u64 = 1234;

/// The variable the tracer patches, alone on its page of the program's
/// data (so no other write makes that page a child's own before the
/// patch does).
#[repr(align(4096))]
struct Alone(AtomicU64);
static SECRET: Alone = Alone(AtomicU64::new(0));

/// Where the breakpoint goes: a function the traced child calls.
#[inline(never)]
fn checkpoint() {
    std::hint::black_box(());
}

fn ptrace(req: libc::c_int, pid: libc::pid_t, addr: usize, data: usize) -> Result<i64, String> {
    // SAFETY: the raw system call; `data` is a valid pointer where the
    // request writes through it.
    let r = unsafe { libc::syscall(libc::SYS_ptrace, req as i64, pid as i64, addr, data) };
    if r < 0 {
        return Err(fail(&format!("ptrace({req})")));
    }
    Ok(r)
}

/// A word of the tracee's memory (PEEKTEXT).
fn peek(pid: libc::pid_t, addr: usize) -> Result<u64, String> {
    let mut word = 0u64;
    ptrace(
        libc::PTRACE_PEEKTEXT,
        pid,
        addr,
        &mut word as *mut u64 as usize,
    )?;
    Ok(word)
}

/// Waits for `pid` to stop with `sig`.
fn stopped(pid: libc::pid_t, sig: i32) -> Result<(), String> {
    let status = sys::wait(pid)?;
    if libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == sig {
        Ok(())
    } else {
        Err(format!(
            "child {pid}: wait status {status:#x}, not a stop by signal {sig}"
        ))
    }
}

pub fn run(p: &mut Probe) -> Result<(), String> {
    SECRET.0.store(ORIGINAL, Ordering::SeqCst);
    let secret = SECRET.0.as_ptr() as usize;
    let bp = checkpoint as fn() as usize;
    let mut fds = [0; 2];
    // SAFETY: a valid array of two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(fail("pipe"));
    }
    let [go_rd, go_wr] = fds;
    let sibling = sys::spawn(|| {
        let mut byte = 0u8;
        // SAFETY: closes our copy of the write end; reads one byte.
        unsafe {
            libc::close(go_wr);
            libc::read(go_rd, (&mut byte as *mut u8).cast(), 1);
        }
        println!(
            "  sibling {} (forked before the patch): secret = {}",
            std::process::id(),
            SECRET.0.load(Ordering::SeqCst)
        );
        0
    })?;
    let child = sys::spawn(|| {
        // SAFETY: asks to be traced by the parent, then stops for it.
        unsafe {
            libc::close(go_wr);
            libc::close(go_rd);
            libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
            libc::raise(libc::SIGSTOP);
        }
        std::hint::black_box(checkpoint as fn())();
        println!(
            "  child {}: secret = {}",
            std::process::id(),
            SECRET.0.load(Ordering::SeqCst)
        );
        0
    })?;
    // SAFETY: our copy of the read end.
    unsafe { libc::close(go_rd) };
    println!("  secret = {ORIGINAL} at {secret:#x}; forked sibling {sibling} and child {child}");
    stopped(child, libc::SIGSTOP)?;
    // Should the demo end early, the child goes with it.
    ptrace(
        libc::PTRACE_SETOPTIONS,
        child,
        0,
        libc::PTRACE_O_EXITKILL as usize,
    )?;
    let text = p
        .maps(&child.to_string(), bp)
        .and_then(|l| l.split_whitespace().nth(1).map(|w| format!(" [maps: {w}]")))
        .unwrap_or_default();
    let word = peek(child, bp)?;
    let before = p.vm();
    ptrace(
        libc::PTRACE_POKETEXT,
        child,
        bp,
        ((word & !0xff) | 0xcc) as usize,
    )?;
    let after = p.vm();
    println!(
        "  child {child} stopped itself; POKETEXT int3 at checkpoint() {bp:#x}{text} [{}: the child's own copy]",
        before.delta(&after, &["uvm_fault_promote"])
    );
    ptrace(libc::PTRACE_CONT, child, 0, 0)?;
    stopped(child, libc::SIGTRAP)?;
    // SAFETY: all-zero registers are valid; GETREGS fills them.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    ptrace(libc::PTRACE_GETREGS, child, 0, &mut regs as *mut _ as usize)?;
    println!(
        "  child {child} hit it: SIGTRAP, GETREGS rip {:#x} = breakpoint + {}",
        regs.rip,
        regs.rip as i64 - bp as i64
    );
    let before = p.vm();
    ptrace(libc::PTRACE_POKEDATA, child, secret, PATCHED as usize)?;
    let after = p.vm();
    ptrace(libc::PTRACE_POKETEXT, child, bp, word as usize)?;
    regs.rip = bp as u64;
    ptrace(libc::PTRACE_SETREGS, child, 0, &regs as *const _ as usize)?;
    println!(
        "  POKEDATA secret = {PATCHED} [{}]; text and rip restored; PTRACE_CONT",
        before.delta(&after, &["uvm_cow_copies"])
    );
    ptrace(libc::PTRACE_CONT, child, 0, 0)?;
    sys::reap(child)?;
    // SAFETY: one byte from a literal to release the sibling.
    unsafe {
        libc::write(go_wr, b"g".as_ptr().cast(), 1);
        libc::close(go_wr);
    }
    sys::reap(sibling)?;
    println!("  parent: secret = {}", SECRET.0.load(Ordering::SeqCst));
    Ok(())
}

//! Catching the checking process's own memory faults: one access (read,
//! write or execute) at an address, and what happened: nothing, or the
//! signal with its `si_code` and `si_addr`, as the kernel delivered them.
//!
//! The access is one instruction inside an `asm!` block that first stores
//! the address of its recovery label in [`RECOVER`]. The SIGSEGV/SIGBUS
//! handler (SA_SIGINFO) records the signal, sets the saved instruction
//! pointer in the ucontext to that label and returns: rt_sigreturn resumes
//! at the label with every other register as it was (the stack pointer too,
//! which an execute probe's `call` had moved, is restored there from a
//! register). A fault with no probe in progress puts the default action
//! back and returns, so the faulting instruction runs again and the process
//! dies of the signal, as it would without the handler.

use std::arch::asm;
use std::sync::Once;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// Where the handler resumes a probe (0: no probe in progress).
static RECOVER: AtomicUsize = AtomicUsize::new(0);
static SIGNO: AtomicI32 = AtomicI32::new(0);
static CODE: AtomicI32 = AtomicI32::new(0);
static ADDR: AtomicUsize = AtomicUsize::new(0);

/// si_code values (asm-generic/siginfo.h).
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const BUS_ADRERR: i32 = 2;

/// A fault a probe took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub signo: i32,
    pub code: i32,
    pub addr: usize,
}

impl Fault {
    /// SIGSEGV with `code` at `addr`.
    pub fn segv(code: i32, addr: usize) -> Fault {
        Fault {
            signo: libc::SIGSEGV,
            code,
            addr,
        }
    }

    /// SIGSEGV, SEGV_MAPERR (nothing mapped) at `addr`.
    pub fn maperr(addr: usize) -> Fault {
        Fault::segv(SEGV_MAPERR, addr)
    }

    /// SIGSEGV, SEGV_ACCERR (the mapping forbids the access) at `addr`.
    pub fn accerr(addr: usize) -> Fault {
        Fault::segv(SEGV_ACCERR, addr)
    }

    /// SIGBUS, BUS_ADRERR (no page behind the mapping) at `addr`.
    pub fn buserr(addr: usize) -> Fault {
        Fault {
            signo: libc::SIGBUS,
            code: BUS_ADRERR,
            addr,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = match (self.signo, self.code) {
            (libc::SIGSEGV, SEGV_MAPERR) => "SEGV_MAPERR".to_string(),
            (libc::SIGSEGV, SEGV_ACCERR) => "SEGV_ACCERR".to_string(),
            (libc::SIGBUS, BUS_ADRERR) => "BUS_ADRERR".to_string(),
            (_, c) => format!("si_code {c}"),
        };
        write!(
            f,
            "{} {code} at {:#x}",
            ftest::signame(self.signo),
            self.addr
        )
    }
}

/// The kind of access a probe makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// A call to the address (which must hold a `ret`, 0xc3, to succeed).
    Exec,
}

extern "C" fn on_fault(signo: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let resume = RECOVER.swap(0, Ordering::SeqCst);
    if resume == 0 {
        // Not ours: die of it (the access runs again under SIG_DFL).
        // SAFETY: resetting a disposition is async-signal-safe.
        unsafe { libc::signal(signo, libc::SIG_DFL) };
        return;
    }
    // SAFETY: the kernel gives an SA_SIGINFO handler valid siginfo and
    // ucontext pointers; this reads the one and sets the other's saved RIP.
    unsafe {
        SIGNO.store(signo, Ordering::SeqCst);
        CODE.store((*info).si_code, Ordering::SeqCst);
        ADDR.store((*info).si_addr() as usize, Ordering::SeqCst);
        let uc = ctx.cast::<libc::ucontext_t>();
        (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = resume as i64;
    }
}

/// Installs the handler for SIGSEGV and SIGBUS (once per process; a forked
/// child inherits it).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: a plain SA_SIGINFO handler with an empty mask.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_fault as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
    // A forked child may have the signal blocked or reset: make sure.
    crate::sig::unblock(libc::SIGSEGV);
    crate::sig::unblock(libc::SIGBUS);
}

fn begin() {
    install();
    SIGNO.store(0, Ordering::SeqCst);
}

fn outcome() -> Option<Fault> {
    match SIGNO.load(Ordering::SeqCst) {
        0 => None,
        signo => Some(Fault {
            signo,
            code: CODE.load(Ordering::SeqCst),
            addr: ADDR.load(Ordering::SeqCst),
        }),
    }
}

/// Reads the byte at `addr`: its value, or the fault.
pub fn read(addr: usize) -> Result<u8, Fault> {
    begin();
    let v: usize;
    // SAFETY: one load from `addr`; a fault resumes at label 2 through the
    // handler, with every register but RIP as it was.
    unsafe {
        asm!(
            "lea {tmp}, [rip + 2f]",
            "mov qword ptr [{slot}], {tmp}",
            "xor {v:e}, {v:e}",
            "movzx {v:e}, byte ptr [{addr}]",
            "2:",
            "mov qword ptr [{slot}], 0",
            addr = in(reg) addr,
            slot = in(reg) RECOVER.as_ptr(),
            tmp = out(reg) _,
            v = out(reg) v,
        );
    }
    match outcome() {
        None => Ok(v as u8),
        Some(f) => Err(f),
    }
}

/// Writes `val` at `addr`.
pub fn write(addr: usize, val: u8) -> Result<(), Fault> {
    begin();
    // SAFETY: one store to `addr`; see `read`.
    unsafe {
        asm!(
            "lea {tmp}, [rip + 2f]",
            "mov qword ptr [{slot}], {tmp}",
            "mov byte ptr [{addr}], {val}",
            "2:",
            "mov qword ptr [{slot}], 0",
            addr = in(reg) addr,
            val = in(reg_byte) val,
            slot = in(reg) RECOVER.as_ptr(),
            tmp = out(reg) _,
        );
    }
    match outcome() {
        None => Ok(()),
        Some(f) => Err(f),
    }
}

/// Calls `addr` (which should hold a `ret`).
pub fn exec(addr: usize) -> Result<(), Fault> {
    begin();
    // A fault resumes at label 2, where the stack pointer saved in `sp` is
    // put back (the call had pushed a return address).
    // SAFETY: a call below the red zone to a bare `ret` that changes no
    // register; a fault comes back to label 2 with the stack restored.
    unsafe {
        asm!(
            "lea {tmp}, [rip + 2f]",
            "mov qword ptr [{slot}], {tmp}",
            "mov {sp}, rsp",
            "sub rsp, 256",
            "and rsp, -16",
            "call {addr}",
            "2:",
            "mov rsp, {sp}",
            "mov qword ptr [{slot}], 0",
            addr = in(reg) addr,
            slot = in(reg) RECOVER.as_ptr(),
            tmp = out(reg) _,
            sp = out(reg) _,
        );
    }
    match outcome() {
        None => Ok(()),
        Some(f) => Err(f),
    }
}

/// One access of `kind` at `addr` (a write stores `val`).
pub fn probe(addr: usize, kind: Access, val: u8) -> Result<(), Fault> {
    match kind {
        Access::Read => read(addr).map(|_| ()),
        Access::Write => write(addr, val),
        Access::Exec => exec(addr),
    }
}

/// Ok if the access at `addr` faults exactly as `want`; otherwise the
/// reason (no fault, or another one).
pub fn expect_fault(kind: Access, addr: usize, want: Fault, what: &str) -> Result<(), String> {
    match probe(addr, kind, 0x5a) {
        Err(f) if f == want => Ok(()),
        Err(f) => Err(format!(
            "{what}: {kind:?} at {addr:#x} took {f}, expected {want}"
        )),
        Ok(()) => Err(format!(
            "{what}: {kind:?} at {addr:#x} did not fault, expected {want}"
        )),
    }
}

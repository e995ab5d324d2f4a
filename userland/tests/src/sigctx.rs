//! Signal handlers as tools for the checks: installing three-argument
//! handlers (through the C library, which supplies the `sa_restorer`
//! trampoline x86_64 requires, or raw with a restorer of our own), the
//! kernel's view of a handler's arguments (`siginfo_t` fields at their
//! Linux offsets, the `ucontext` with its `sigcontext` and FXSAVE image),
//! and the raw mask and kill calls.
//!
//! The layouts are the kernel's (arch/x86/include/uapi/asm/sigcontext.h,
//! include/uapi/asm-generic/ucontext.h), written out here rather than
//! taken from the C library so that a check reads exactly what the kernel
//! wrote.

use std::sync::atomic::{AtomicU64, Ordering};

/// A three-argument (SA_SIGINFO) handler.
pub type Handler = extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void);

/// Installs `handler` for `sig` with `flags` (SA_SIGINFO is added) and
/// `mask` blocked while it runs, through the C library's sigaction.
pub fn install(sig: i32, handler: Handler, flags: i32, mask: &[i32]) -> Result<(), String> {
    // SAFETY: a zeroed sigaction filled in field by field; the handler is a
    // valid function for the whole program.
    let r = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as usize;
        sa.sa_flags = flags | libc::SA_SIGINFO;
        libc::sigemptyset(&mut sa.sa_mask);
        for &m in mask {
            libc::sigaddset(&mut sa.sa_mask, m);
        }
        libc::sigaction(sig, &sa, std::ptr::null_mut())
    };
    ftest::sys(r, "sigaction").map(|_| ())
}

/// The kernel's `struct sigaction` on x86_64 (rt_sigaction's layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KSigaction {
    pub handler: usize,
    pub flags: u64,
    pub restorer: usize,
    pub mask: u64,
}

/// `SS_AUTODISARM` (not exported by the C library crate for musl).
pub const SS_AUTODISARM: i32 = i32::MIN;

/// `SA_RESTORER` (not exported by the C library crate for musl).
pub const SA_RESTORER: u64 = 0x0400_0000;

/// Raw rt_sigaction(sig, act, old, 8): the system call's return value.
pub fn rt_sigaction(sig: i32, act: Option<&KSigaction>, old: Option<&mut KSigaction>) -> i64 {
    let act = act.map_or(std::ptr::null(), |a| a as *const KSigaction);
    let old = old.map_or(std::ptr::null_mut(), |o| o as *mut KSigaction);
    // SAFETY: valid or NULL pointers to kernel-layout structures.
    unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, act, old, 8usize) }
}

/// The action of `sig` as the kernel keeps it.
pub fn action_of(sig: i32) -> Result<KSigaction, String> {
    let mut old = KSigaction::default();
    ftest::sys(
        rt_sigaction(sig, None, Some(&mut old)),
        "rt_sigaction(query)",
    )?;
    Ok(old)
}

/// The restorer every raw installation uses: rt_sigreturn (what the C
/// library's `__restore_rt` does).
#[unsafe(naked)]
pub extern "C" fn restore_rt() {
    core::arch::naked_asm!("mov eax, 15", "syscall", "ud2");
}

/// Installs `handler` with exactly `flags` through the raw system call,
/// with [`restore_rt`] as the restorer when `flags` has SA_RESTORER.
pub fn install_raw(sig: i32, handler: usize, flags: u64, mask: u64) -> i64 {
    let act = KSigaction {
        handler,
        flags,
        restorer: if flags & SA_RESTORER != 0 {
            restore_rt as *const () as usize
        } else {
            0
        },
        mask,
    };
    rt_sigaction(sig, Some(&act), None)
}

/// Bit of signal `sig` in a kernel signal mask.
pub const fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

/// Raw rt_sigprocmask(how, set, &old, 8) on 64-bit masks: the old mask.
pub fn sigprocmask(how: i32, set: Option<u64>) -> Result<u64, String> {
    let mut old = 0u64;
    let set = set.as_ref().map_or(std::ptr::null(), |s| s as *const u64);
    // SAFETY: valid or NULL pointers to 8-byte masks.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigprocmask, how, set, &mut old, 8usize) };
    ftest::sys(r, "rt_sigprocmask")?;
    Ok(old)
}

/// The current blocked mask (async-signal-safe: one system call).
pub fn current_mask() -> u64 {
    let mut old = 0u64;
    // SAFETY: a NULL new set only queries.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            0usize,
            &mut old,
            8usize,
        )
    };
    old
}

/// Raw rt_sigpending: the pending signals the thread blocks.
pub fn pending() -> u64 {
    let mut set = 0u64;
    // SAFETY: a valid out-pointer.
    unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut set, 8usize) };
    set
}

/// Raw kill(2).
pub fn kill(pid: libc::pid_t, sig: i32) -> i64 {
    // SAFETY: raw kill; the checks only signal their own processes.
    unsafe { libc::syscall(libc::SYS_kill, pid, sig) }
}

pub fn getpid() -> libc::pid_t {
    // SAFETY: no preconditions.
    unsafe { libc::getpid() }
}

/// kill(getpid(), sig) through the raw system call (the C library's
/// raise() blocks signals around its tkill).
pub fn kill_self(sig: i32) -> i64 {
    kill(getpid(), sig)
}

/// The calling thread's id.
pub fn gettid() -> libc::pid_t {
    // SAFETY: no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::pid_t }
}

/// `si_code` values the C library crate does not export for musl
/// (include/uapi/asm-generic/siginfo.h).
pub mod code {
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const FPE_INTDIV: i32 = 1;
    pub const ILL_ILLOPN: i32 = 2;
    pub const CLD_EXITED: i32 = 1;
    pub const CLD_KILLED: i32 = 2;
    pub const CLD_DUMPED: i32 = 3;
    pub const CLD_STOPPED: i32 = 5;
    pub const CLD_CONTINUED: i32 = 6;
}

/// A handler's `siginfo_t`, read at the offsets of the kernel's layout
/// (the C libraries' accessors differ; these do not).
#[derive(Clone, Copy)]
pub struct Info<'a>(&'a [u8; 128]);

impl<'a> Info<'a> {
    /// The siginfo a handler was given.
    ///
    /// # Safety
    /// `si` points to a live 128-byte siginfo that outlives `'a` (the
    /// handler's argument, used within the handler).
    pub unsafe fn from_ptr(si: *const libc::siginfo_t) -> Info<'a> {
        // SAFETY: by the caller's promise.
        Info(unsafe { &*si.cast::<[u8; 128]>() })
    }

    /// A siginfo image (waitid, rt_sigtimedwait).
    pub fn from_bytes(b: &'a [u8; 128]) -> Info<'a> {
        Info(b)
    }

    fn i32_at(&self, off: usize) -> i32 {
        i32::from_le_bytes(self.0[off..off + 4].try_into().expect("4 bytes"))
    }

    fn u64_at(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.0[off..off + 8].try_into().expect("8 bytes"))
    }

    /// (si_signo, si_errno, si_code).
    pub fn head(&self) -> (i32, i32, i32) {
        (self.i32_at(0), self.i32_at(4), self.i32_at(8))
    }
    /// si_pid (kill, queue and child forms).
    pub fn pid(&self) -> i32 {
        self.i32_at(16)
    }
    /// si_uid.
    pub fn uid(&self) -> u32 {
        self.i32_at(20) as u32
    }
    /// si_addr (fault form).
    pub fn addr(&self) -> u64 {
        self.u64_at(16)
    }
    /// si_value (queue and timer forms).
    pub fn value(&self) -> u64 {
        self.u64_at(24)
    }
    /// si_status (child form).
    pub fn status(&self) -> i32 {
        self.i32_at(24)
    }
}

/// The kernel's `struct sigcontext` (64-bit).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SigContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// The FXSAVE (or XSAVE) image, NULL if none.
    pub fpstate: *mut Fxsave,
    pub reserved1: [u64; 8],
}

/// The kernel's `struct ucontext` (x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct UContext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: libc::stack_t,
    pub mc: SigContext,
    pub uc_sigmask: u64,
}

/// The legacy FXSAVE region (first 512 bytes of the FPU image).
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct Fxsave {
    pub fcw: u16,
    pub fsw: u16,
    pub ftw: u16,
    pub fop: u16,
    pub rip: u64,
    pub rdp: u64,
    pub mxcsr: u32,
    pub mxcsr_mask: u32,
    pub st: [u128; 8],
    pub xmm: [u128; 16],
    pub reserved: [u64; 6],
    pub sw_reserved: [u64; 6],
}

const _: () = assert!(std::mem::size_of::<SigContext>() == 256);
const _: () = assert!(std::mem::size_of::<UContext>() == 304);
const _: () = assert!(std::mem::size_of::<Fxsave>() == 512);

/// The handler's third argument as the kernel's ucontext.
///
/// # Safety
/// `p` is the `ucontext` argument of a running handler, and the reference
/// does not outlive the handler.
pub unsafe fn ucontext<'a>(p: *mut libc::c_void) -> &'a mut UContext {
    // SAFETY: by the caller's promise, p points to the kernel-written frame.
    unsafe { &mut *p.cast::<UContext>() }
}

/// `uc_flags` bits.
pub const UC_FP_XSTATE: u64 = 1;
pub const UC_SIGCONTEXT_SS: u64 = 2;
pub const UC_STRICT_RESTORE_SS: u64 = 4;

/// RFLAGS bits.
pub const RFLAGS_CF: u64 = 1 << 0;
pub const RFLAGS_IF: u64 = 1 << 9;
pub const RFLAGS_DF: u64 = 1 << 10;
pub const RFLAGS_IOPL: u64 = 3 << 12;
pub const RFLAGS_NT: u64 = 1 << 14;

/// The current RFLAGS.
pub fn rflags() -> u64 {
    let f: u64;
    // SAFETY: pushfq/pop only reads the flags.
    unsafe { core::arch::asm!("pushfq", "pop {}", out(reg) f) };
    f
}

/// The current MXCSR.
pub fn mxcsr() -> u32 {
    let mut m = 0u32;
    // SAFETY: stmxcsr writes 4 bytes to a local.
    unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut m, options(nostack)) };
    m
}

/// Loads MXCSR (reserved bits must be clear).
pub fn set_mxcsr(m: u32) {
    // SAFETY: ldmxcsr reads 4 bytes from a local; callers pass valid values.
    unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &m, options(nostack)) };
}

/// The current code and stack selectors.
pub fn selectors() -> (u16, u16) {
    let (cs, ss): (u16, u16);
    // SAFETY: reading segment registers has no effect.
    unsafe {
        core::arch::asm!("mov {0:x}, cs", "mov {1:x}, ss", out(reg) cs, out(reg) ss, options(nomem, nostack))
    };
    (cs, ss)
}

/// A counter handlers bump (async-signal-safe).
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }
    pub fn bump(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::SeqCst)
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

/// A fixed log handlers append words to (async-signal-safe).
pub struct Log {
    len: AtomicU64,
    words: [AtomicU64; 32],
}

impl Log {
    #[allow(clippy::declare_interior_mutable_const)]
    pub const fn new() -> Log {
        const Z: AtomicU64 = AtomicU64::new(0);
        Log {
            len: AtomicU64::new(0),
            words: [Z; 32],
        }
    }
    /// Appends `w` (dropped when full).
    pub fn push(&self, w: u64) {
        let i = self.len.fetch_add(1, Ordering::SeqCst) as usize;
        if let Some(slot) = self.words.get(i) {
            slot.store(w, Ordering::SeqCst);
        }
    }
    /// Everything appended so far.
    pub fn items(&self) -> Vec<u64> {
        let n = (self.len.load(Ordering::SeqCst) as usize).min(self.words.len());
        self.words[..n]
            .iter()
            .map(|w| w.load(Ordering::SeqCst))
            .collect()
    }
}

impl Default for Log {
    fn default() -> Self {
        Self::new()
    }
}

/// An alternate signal stack of `size` bytes, leaked (it must outlive any
/// handler that may run on it); returns (base, size).
pub fn leak_stack(size: usize) -> (usize, usize) {
    let mem: &'static mut [u8] = Box::leak(vec![0u8; size].into_boxed_slice());
    (mem.as_mut_ptr() as usize, size)
}

/// Raw sigaltstack(new, old): the return value and the old stack.
pub fn sigaltstack(new: Option<(usize, i32, usize)>) -> (i64, libc::stack_t) {
    // SAFETY: stack_t is plain data.
    let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
    let ss = new.map(|(sp, flags, size)| libc::stack_t {
        ss_sp: sp as *mut libc::c_void,
        ss_flags: flags,
        ss_size: size,
    });
    let p = ss
        .as_ref()
        .map_or(std::ptr::null(), |s| s as *const libc::stack_t);
    // SAFETY: valid or NULL stack_t pointers.
    let r = unsafe { libc::syscall(libc::SYS_sigaltstack, p, &mut old) };
    (r, old)
}

//! Signal dispositions and masks as tools, through the C library (which
//! supplies the restorer trampoline Linux requires for handlers).

/// Sets `sig` to its default action and unblocks it.
pub fn set_default(sig: i32) {
    set(sig, libc::SIG_DFL);
    unblock(sig);
}

/// Sets `sig` to be ignored.
pub fn ignore(sig: i32) {
    set(sig, libc::SIG_IGN);
}

/// Installs a raw disposition (SIG_DFL, SIG_IGN or a handler address).
pub fn set(sig: i32, handler: libc::sighandler_t) {
    // SAFETY: sigaction with a zeroed (empty-mask) action.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

/// The current disposition of `sig`.
pub fn disposition(sig: i32) -> libc::sighandler_t {
    // SAFETY: querying into a zeroed struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old);
        old.sa_sigaction
    }
}

fn mask(how: i32, sig: i32) {
    // SAFETY: sigset operations on a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(how, &set, std::ptr::null_mut());
    }
}

pub fn block(sig: i32) {
    mask(libc::SIG_BLOCK, sig);
}

pub fn unblock(sig: i32) {
    mask(libc::SIG_UNBLOCK, sig);
}

/// True if `sig` is in the blocked mask.
pub fn is_blocked(sig: i32) -> bool {
    // SAFETY: querying the mask into a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_BLOCK, std::ptr::null(), &mut set);
        libc::sigismember(&set, sig) == 1
    }
}

/// The default actions of SIGSEGV and SIGBUS, which Rust's runtime replaces
/// with its stack-overflow handler: children that fault on purpose restore
/// them so the kernel's default action is what ends them.
pub fn default_fault_signals() {
    for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE] {
        set_default(sig);
    }
}

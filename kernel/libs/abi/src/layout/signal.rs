//! Signal-handling structures the system calls copy: the kernel's
//! `struct sigaction` (rt_sigaction), `stack_t` (sigaltstack, `uc_stack`)
//! and `struct sigevent` (timer_create).

use super::plain_struct;

plain_struct! {
    /// The kernel's `struct sigaction` as rt_sigaction(2) reads and writes
    /// it on x86_64 (arch/x86/include/uapi/asm/signal.h): handler, flags,
    /// restorer, mask. This is *not* the C library's `struct sigaction`
    /// (which has a 128-byte mask before the flags).
    pub struct KernelSigaction [32] {
        /// `SIG_DFL` (0), `SIG_IGN` (1) or the handler's address.
        pub sa_handler: u64,
        /// `SA_*` flags.
        pub sa_flags: u64,
        /// With `SA_RESTORER`: the trampoline the handler returns to (it
        /// calls rt_sigreturn).
        pub sa_restorer: u64,
        /// Signals blocked while the handler runs (bit n-1 = signal n).
        pub sa_mask: u64,
    }
}

plain_struct! {
    /// `stack_t` (sigaltstack, `ucontext.uc_stack`).
    pub struct StackT [24] {
        pub ss_sp: u64,
        /// `SS_ONSTACK`, `SS_DISABLE`, `SS_AUTODISARM`.
        pub ss_flags: i32,
        pub _pad: i32,
        pub ss_size: u64,
    }
}

plain_struct! {
    /// `struct sigevent` (timer_create, mq_notify): 64 bytes; the union
    /// after `sigev_notify` is shown as its `SIGEV_THREAD_ID` member.
    pub struct Sigevent [64] {
        /// `union sigval` (an int or a pointer).
        pub sigev_value: u64,
        pub sigev_signo: i32,
        /// `SIGEV_SIGNAL`, `SIGEV_NONE`, `SIGEV_THREAD`, `SIGEV_THREAD_ID`.
        pub sigev_notify: i32,
        /// The thread to signal with `SIGEV_THREAD_ID`.
        pub sigev_notify_thread_id: i32,
        pub _pad: [i32; 11],
    }
}

/// `sigev_notify`: deliver `sigev_signo` to the process.
pub const SIGEV_SIGNAL: i32 = 0;
/// `sigev_notify`: no notification.
pub const SIGEV_NONE: i32 = 1;
/// `sigev_notify`: C-library thread notification (the kernel sees
/// `SIGEV_THREAD_ID` from the library).
pub const SIGEV_THREAD: i32 = 2;
/// `sigev_notify`: deliver to thread `sigev_notify_thread_id`.
pub const SIGEV_THREAD_ID: i32 = 4;

//! Signals: numbers 1 to 64, names, default actions (signal(7)), the
//! 64-bit signal set the kernel uses (`sigset_t` is one word on x86_64),
//! and the constants of rt_sigaction, rt_sigprocmask and sigaltstack.
//!
//! This module owns the vocabulary; queueing, masking and delivery belong
//! to the kernel's signal code.

use core::fmt;

use crate::flagfmt::{Flags, Named, names};

/// Hangup.
pub const SIGHUP: i32 = 1;
/// Interrupt from the keyboard.
pub const SIGINT: i32 = 2;
/// Quit from the keyboard.
pub const SIGQUIT: i32 = 3;
/// Illegal instruction.
pub const SIGILL: i32 = 4;
/// Trace or breakpoint trap.
pub const SIGTRAP: i32 = 5;
/// abort().
pub const SIGABRT: i32 = 6;
/// Alias of SIGABRT.
pub const SIGIOT: i32 = 6;
/// Bus error (bad memory access).
pub const SIGBUS: i32 = 7;
/// Arithmetic exception.
pub const SIGFPE: i32 = 8;
/// Kill (cannot be caught, blocked or ignored).
pub const SIGKILL: i32 = 9;
/// User signal 1.
pub const SIGUSR1: i32 = 10;
/// Invalid memory reference.
pub const SIGSEGV: i32 = 11;
/// User signal 2.
pub const SIGUSR2: i32 = 12;
/// Write to a pipe with no reader.
pub const SIGPIPE: i32 = 13;
/// Timer signal from alarm().
pub const SIGALRM: i32 = 14;
/// Termination.
pub const SIGTERM: i32 = 15;
/// Coprocessor stack fault (unused).
pub const SIGSTKFLT: i32 = 16;
/// Child stopped, continued or terminated.
pub const SIGCHLD: i32 = 17;
/// Continue if stopped.
pub const SIGCONT: i32 = 18;
/// Stop (cannot be caught, blocked or ignored).
pub const SIGSTOP: i32 = 19;
/// Stop typed at the terminal.
pub const SIGTSTP: i32 = 20;
/// Terminal input for a background process.
pub const SIGTTIN: i32 = 21;
/// Terminal output for a background process.
pub const SIGTTOU: i32 = 22;
/// Urgent condition on a socket.
pub const SIGURG: i32 = 23;
/// CPU time limit exceeded.
pub const SIGXCPU: i32 = 24;
/// File size limit exceeded.
pub const SIGXFSZ: i32 = 25;
/// Virtual alarm clock.
pub const SIGVTALRM: i32 = 26;
/// Profiling timer expired.
pub const SIGPROF: i32 = 27;
/// Window resize.
pub const SIGWINCH: i32 = 28;
/// I/O now possible.
pub const SIGIO: i32 = 29;
/// Alias of SIGIO.
pub const SIGPOLL: i32 = 29;
/// Power failure.
pub const SIGPWR: i32 = 30;
/// Bad system call.
pub const SIGSYS: i32 = 31;
/// The first real-time signal (the C libraries reserve 32..34 for
/// themselves; their `SIGRTMIN` is 34 or 35).
pub const SIGRTMIN: i32 = 32;
/// The last real-time signal.
pub const SIGRTMAX: i32 = 64;
/// The number of signals (`_NSIG`).
pub const NSIG: i32 = 64;

/// Signal names, index = number (0 unused).
static NAMES: [&str; 65] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMIN+16",
    "SIGRTMIN+17",
    "SIGRTMIN+18",
    "SIGRTMIN+19",
    "SIGRTMIN+20",
    "SIGRTMIN+21",
    "SIGRTMIN+22",
    "SIGRTMIN+23",
    "SIGRTMIN+24",
    "SIGRTMIN+25",
    "SIGRTMIN+26",
    "SIGRTMIN+27",
    "SIGRTMIN+28",
    "SIGRTMIN+29",
    "SIGRTMIN+30",
    "SIGRTMIN+31",
    "SIGRTMAX",
];

/// Whether `sig` is a signal number (1..=64).
pub const fn is_valid(sig: i32) -> bool {
    sig >= 1 && sig <= NSIG
}

/// The signal's name (`"SIGSEGV"`; real-time signals are `"SIGRTMIN+n"`
/// counted from the kernel's SIGRTMIN, 32, and 64 is `"SIGRTMAX"`).
pub fn signal_name(sig: i32) -> Option<&'static str> {
    if is_valid(sig) {
        Some(NAMES[sig as usize])
    } else {
        None
    }
}

/// What happens to a process when a signal is delivered with `SIG_DFL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultAction {
    /// Terminate the process.
    Term,
    /// Terminate the process and dump core.
    Core,
    /// Ignore the signal.
    Ign,
    /// Stop the process.
    Stop,
    /// Continue the process if stopped.
    Cont,
}

/// The default action of `sig` (signal(7)); real-time signals terminate.
pub const fn default_action(sig: i32) -> Option<DefaultAction> {
    use DefaultAction::*;
    Some(match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => Core,
        SIGCHLD | SIGURG | SIGWINCH => Ign,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Cont,
        s if is_valid(s) => Term,
        _ => return None,
    })
}

/// A set of signals: bit `n - 1` stands for signal `n` (the kernel's
/// `sigset_t` on x86_64, as rt_sigprocmask and rt_sigaction copy it).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SigSet(pub u64);

impl SigSet {
    /// No signal.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal.
    pub const FULL: SigSet = SigSet(u64::MAX);
    /// SIGKILL and SIGSTOP, which can be neither blocked nor caught.
    pub const UNBLOCKABLE: SigSet = SigSet((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
    /// The stop signals sent by the terminal or kill (SIGSTOP, SIGTSTP,
    /// SIGTTIN, SIGTTOU), which SIGCONT discards, and vice versa.
    pub const STOP: SigSet = SigSet(
        (1 << (SIGSTOP - 1)) | (1 << (SIGTSTP - 1)) | (1 << (SIGTTIN - 1)) | (1 << (SIGTTOU - 1)),
    );

    /// The bit of signal `sig` (0 for an invalid number).
    const fn bit(sig: i32) -> u64 {
        if is_valid(sig) { 1 << (sig - 1) } else { 0 }
    }

    /// The set holding only `sig` (empty for an invalid number).
    pub const fn single(sig: i32) -> SigSet {
        SigSet(Self::bit(sig))
    }

    /// The raw mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether `sig` is in the set (false for invalid numbers).
    pub const fn contains(self, sig: i32) -> bool {
        self.0 & Self::bit(sig) != 0
    }

    /// Add `sig` (no effect for invalid numbers).
    pub fn add(&mut self, sig: i32) {
        self.0 |= Self::bit(sig);
    }

    /// Remove `sig`.
    pub fn remove(&mut self, sig: i32) {
        self.0 &= !Self::bit(sig);
    }

    /// Signals in either set.
    pub const fn union(self, o: SigSet) -> SigSet {
        SigSet(self.0 | o.0)
    }

    /// Signals in both sets.
    pub const fn intersection(self, o: SigSet) -> SigSet {
        SigSet(self.0 & o.0)
    }

    /// Signals in `self` but not in `o`.
    pub const fn difference(self, o: SigSet) -> SigSet {
        SigSet(self.0 & !o.0)
    }

    /// Signals not in the set.
    pub const fn complement(self) -> SigSet {
        SigSet(!self.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The number of signals in the set.
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The set without SIGKILL and SIGSTOP: what rt_sigprocmask and
    /// rt_sigaction store of a user-supplied mask.
    pub const fn blockable(self) -> SigSet {
        self.difference(Self::UNBLOCKABLE)
    }

    /// The lowest-numbered signal in the set.
    pub const fn first(self) -> Option<i32> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as i32 + 1)
        }
    }

    /// The signals in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = i32> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let sig = rest.trailing_zeros() as i32 + 1;
            rest &= rest - 1;
            Some(sig)
        })
    }

    /// The mask after rt_sigprocmask(`how`, `set`) on `self` (`None` for a
    /// bad `how`: EINVAL). SIGKILL and SIGSTOP are never blocked.
    pub const fn apply(self, how: i32, set: SigSet) -> Option<SigSet> {
        let new = match how {
            SIG_BLOCK => self.union(set),
            SIG_UNBLOCK => self.difference(set),
            SIG_SETMASK => set,
            _ => return None,
        };
        Some(new.blockable())
    }
}

impl FromIterator<i32> for SigSet {
    fn from_iter<I: IntoIterator<Item = i32>>(it: I) -> Self {
        let mut s = SigSet::EMPTY;
        for sig in it {
            s.add(sig);
        }
        s
    }
}

/// strace style: `[SIGINT SIGTERM]`; a set with more than 32 members is
/// shown as the complement of its missing members, `~[SIGKILL SIGSTOP]`
/// (`~[]` for the full set).
impl fmt::Display for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, shown) = if self.len() > 32 {
            ("~[", self.complement())
        } else {
            ("[", *self)
        };
        f.write_str(prefix)?;
        for (i, sig) in shown.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(NAMES[sig as usize])?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigSet({self})")
    }
}

/// `sa_handler`: the default action.
pub const SIG_DFL: u64 = 0;
/// `sa_handler`: ignore the signal.
pub const SIG_IGN: u64 = 1;

/// `sa_flags`: no SIGCHLD when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// `sa_flags`: children do not become zombies.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// `sa_flags`: three-argument handler (siginfo, ucontext).
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// `sa_flags`: a bit the kernel always reports unsupported (probing).
pub const SA_UNSUPPORTED: u64 = 0x0000_0400;
/// `sa_flags`: keep address tag bits in `si_addr` (arm64 only).
pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
/// `sa_flags`: `sa_restorer` is valid (x86_64 requires it in practice).
pub const SA_RESTORER: u64 = 0x0400_0000;
/// `sa_flags`: run the handler on the alternate signal stack.
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `sa_flags`: restart interrupted system calls.
pub const SA_RESTART: u64 = 0x1000_0000;
/// `sa_flags`: do not block the signal in its own handler.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// `sa_flags`: reset to SIG_DFL on delivery.
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// rt_sigprocmask `how`: add to the mask.
pub const SIG_BLOCK: i32 = 0;
/// rt_sigprocmask `how`: remove from the mask.
pub const SIG_UNBLOCK: i32 = 1;
/// rt_sigprocmask `how`: replace the mask.
pub const SIG_SETMASK: i32 = 2;

/// `ss_flags`: the thread is running on the alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// `ss_flags`: the alternate stack is disabled.
pub const SS_DISABLE: i32 = 2;
/// `ss_flags`: disarm the alternate stack while a handler runs on it.
pub const SS_AUTODISARM: i32 = i32::MIN;
/// The smallest alternate stack sigaltstack accepts (the legacy value;
/// the real minimum is reported in AT_MINSIGSTKSZ).
pub const MINSIGSTKSZ: usize = 2048;
/// The suggested alternate stack size.
pub const SIGSTKSZ: usize = 8192;

const SA_NAMES: &[(u64, &str)] = names!(u64;
    SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_UNSUPPORTED, SA_EXPOSE_TAGBITS, SA_RESTORER,
    SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND);

/// `sa_flags` as `SA_RESTORER|SA_SIGINFO` (unknown bits in hex, `0` if
/// none).
pub fn fmt_sa_flags(flags: u64) -> Flags {
    Flags::new(flags, SA_NAMES, "0")
}

const HOW_NAMES: &[(i64, &str)] = names!(i64; SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK);

/// rt_sigprocmask's `how`.
pub fn fmt_sigprocmask_how(how: i32) -> Named {
    Named::new(how as i64, HOW_NAMES)
}

/// A signal number as its name, or the number if invalid.
pub fn fmt_signal(sig: i32) -> Named {
    Named::with_names(sig as i64, signal_name(sig))
}

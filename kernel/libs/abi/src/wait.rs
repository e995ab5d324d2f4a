//! Wait statuses (the `int` wait4 stores: include/linux/wait.h's encoding
//! as decoded by the C library's `W*` macros), wait options and waitid's
//! id types.
//!
//! Encoding, low 16 bits (bits 16..24 carry a ptrace event):
//! - exited: `code << 8` (low 7 bits 0);
//! - killed: `sig | 0x80 if core dumped`;
//! - stopped: `sig << 8 | 0x7f`, ptrace event stop `event << 16 | sig << 8
//!   | 0x7f`;
//! - continued: `0xffff`.

use core::fmt;

use crate::flagfmt::{Flags, Named, names};

/// A process state change as wait4 reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitStatus {
    /// exit(code): only the low 8 bits of the code are kept.
    Exited(u8),
    /// Killed by signal `sig` (1..=127 in the encoding), with a core dump
    /// if `core`.
    Signaled {
        /// The signal.
        sig: u8,
        /// Whether a core dump was written.
        core: bool,
    },
    /// Stopped by `sig` (a ptrace syscall stop with PTRACE_O_TRACESYSGOOD
    /// reports `SIGTRAP | 0x80`).
    Stopped(u8),
    /// Continued by SIGCONT (WCONTINUED).
    Continued,
    /// A ptrace event stop: `sig` (SIGTRAP) with `event` = PTRACE_EVENT_*.
    PtraceEvent {
        /// The stop signal.
        sig: u8,
        /// The PTRACE_EVENT_* number (1..=255).
        event: u8,
    },
}

impl WaitStatus {
    /// Status for `exit(code)`: the code is masked to 8 bits like Linux
    /// (`(code & 0xff) << 8`).
    pub const fn exited(code: i32) -> WaitStatus {
        WaitStatus::Exited(code as u8)
    }

    /// The `int` wait4 stores.
    pub const fn encode(self) -> i32 {
        match self {
            WaitStatus::Exited(code) => (code as i32) << 8,
            WaitStatus::Signaled { sig, core } => (sig as i32 & 0x7f) | if core { 0x80 } else { 0 },
            WaitStatus::Stopped(sig) => ((sig as i32) << 8) | 0x7f,
            WaitStatus::Continued => 0xffff,
            WaitStatus::PtraceEvent { sig, event } => {
                ((event as i32) << 16) | ((sig as i32) << 8) | 0x7f
            }
        }
    }

    /// Decode a wait status, or `None` if `raw` is not one the kernel
    /// produces (bits above the fields set, signal 0 with core, ...).
    pub const fn decode(raw: i32) -> Option<WaitStatus> {
        if raw as u32 >> 24 != 0 {
            return None;
        }
        let low = raw & 0x7f;
        let st = if raw == 0xffff {
            WaitStatus::Continued
        } else if low == 0 {
            if raw & 0xff != 0 || raw >> 16 != 0 {
                return None;
            }
            WaitStatus::Exited((raw >> 8) as u8)
        } else if raw & 0xff == 0x7f {
            let sig = (raw >> 8) as u8;
            match (raw >> 16) as u8 {
                0 => WaitStatus::Stopped(sig),
                event => WaitStatus::PtraceEvent { sig, event },
            }
        } else {
            if raw >> 8 != 0 {
                return None;
            }
            WaitStatus::Signaled {
                sig: low as u8,
                core: raw & 0x80 != 0,
            }
        };
        Some(st)
    }
}

/// strace style: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
impl fmt::Display for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::signal::signal_name;
        let sig = |s: u8| signal_name(s as i32 & 0x7f).unwrap_or("?");
        match *self {
            WaitStatus::Exited(c) => write!(f, "[{{WIFEXITED(s) && WEXITSTATUS(s) == {c}}}]"),
            WaitStatus::Signaled { sig: s, core } => write!(
                f,
                "[{{WIFSIGNALED(s) && WTERMSIG(s) == {}{}}}]",
                sig(s),
                if core { " && WCOREDUMP(s)" } else { "" }
            ),
            WaitStatus::Stopped(s) => {
                let sysgood = if s & 0x80 != 0 { "|0x80" } else { "" };
                write!(
                    f,
                    "[{{WIFSTOPPED(s) && WSTOPSIG(s) == {}{sysgood}}}]",
                    sig(s)
                )
            }
            WaitStatus::Continued => f.write_str("[{WIFCONTINUED(s)}]"),
            WaitStatus::PtraceEvent { sig: s, event } => write!(
                f,
                "[{{WIFSTOPPED(s) && WSTOPSIG(s) == {}}} | {} << 16]",
                sig(s),
                crate::ptrace::fmt_ptrace_event(event as i32)
            ),
        }
    }
}

/// Do not block if no child changed state.
pub const WNOHANG: i32 = 0x0000_0001;
/// Also report stopped children (wait4).
pub const WUNTRACED: i32 = 0x0000_0002;
/// waitid: report stopped children.
pub const WSTOPPED: i32 = 0x0000_0002;
/// waitid: report exited children.
pub const WEXITED: i32 = 0x0000_0004;
/// Report continued children.
pub const WCONTINUED: i32 = 0x0000_0008;
/// waitid: leave the child waitable.
pub const WNOWAIT: i32 = 0x0100_0000;
/// Wait only for children of this thread, not of the thread group.
pub const __WNOTHREAD: i32 = 0x2000_0000;
/// Wait for all children, clone or not.
pub const __WALL: i32 = 0x4000_0000;
/// Wait only for "clone" children (exit signal not SIGCHLD).
pub const __WCLONE: i32 = i32::MIN;

/// waitid idtype: any child.
pub const P_ALL: u32 = 0;
/// waitid idtype: the child with this PID.
pub const P_PID: u32 = 1;
/// waitid idtype: any child in this process group.
pub const P_PGID: u32 = 2;
/// waitid idtype: the child of this pidfd.
pub const P_PIDFD: u32 = 3;

const OPTION_NAMES: &[(u64, &str)] = names!(bits32;
    WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL, __WCLONE);
const IDTYPE_NAMES: &[(i64, &str)] = names!(i64; P_ALL, P_PID, P_PGID, P_PIDFD);

/// wait4/waitid options, e.g. `WNOHANG|__WALL` (`0` if none).
pub fn fmt_wait_options(options: i32) -> Flags {
    Flags::new(options as u32 as u64, OPTION_NAMES, "0")
}

/// waitid's idtype.
pub fn fmt_idtype(idtype: u32) -> Named {
    Named::new(idtype as i64, IDTYPE_NAMES)
}

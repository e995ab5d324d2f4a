//! The alternate signal stack of a thread (sigaltstack), with Linux's
//! rules.
//!
//! The stack is kept as the program set it: base, size and the flags it
//! passed (0, SS_ONSTACK, SS_DISABLE, possibly with SS_AUTODISARM); it is
//! disabled when its size is 0. That record is what a signal frame saves
//! in `uc_stack` and what rt_sigreturn hands back to `set`.
//!
//! - The thread is *on* the stack when its stack pointer lies in
//!   (base, base + size]; never when SS_AUTODISARM is set (the stack was
//!   then disarmed on the way in, so the program did not get there by a
//!   signal).
//! - sigaltstack reports SS_DISABLE (size 0), SS_ONSTACK (on it) or 0,
//!   plus SS_AUTODISARM if set.
//! - Changing the stack while on it is EPERM; a mode other than 0,
//!   SS_ONSTACK or SS_DISABLE is EINVAL; an enabled stack smaller than
//!   MINSIGSTKSZ is ENOMEM.
//! - A handler with SA_ONSTACK switches to the stack's top when the thread
//!   is not already on it (state 0); after a delivery a stack with
//!   SS_AUTODISARM is disarmed until the handler's sigreturn restores it.

use ferrite_abi::Errno;
use ferrite_abi::StackT;
use ferrite_abi::signal::{MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};

/// A thread's alternate signal stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AltStack(pub StackT);

impl AltStack {
    /// No stack (a new thread's, and after exec).
    pub const NONE: AltStack = AltStack(StackT {
        ss_sp: 0,
        ss_flags: SS_DISABLE,
        _pad: 0,
        ss_size: 0,
    });

    /// Is `sp` on the stack (Linux's `on_sig_stack`)?
    pub fn is_on(&self, sp: u64) -> bool {
        self.0.ss_flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// Is `sp` within the stack, whatever its flags?
    pub fn contains(&self, sp: u64) -> bool {
        sp > self.0.ss_sp && sp - self.0.ss_sp <= self.0.ss_size
    }

    /// SS_DISABLE, SS_ONSTACK or 0 for stack pointer `sp`.
    pub fn state(&self, sp: u64) -> i32 {
        if self.0.ss_size == 0 {
            SS_DISABLE
        } else if self.is_on(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// What sigaltstack reports as the old stack.
    pub fn query(&self, sp: u64) -> StackT {
        StackT {
            ss_flags: self.state(sp) | (self.0.ss_flags & SS_AUTODISARM),
            ..self.0
        }
    }

    /// Replace the stack with `ss` (sigaltstack, rt_sigreturn), the
    /// thread's stack pointer being `sp`.
    pub fn set(&mut self, ss: StackT, sp: u64) -> Result<(), Errno> {
        if self.is_on(sp) {
            return Err(Errno::EPERM);
        }
        let mode = ss.ss_flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        self.0 = if mode == SS_DISABLE {
            StackT {
                ss_sp: 0,
                ss_flags: ss.ss_flags,
                _pad: 0,
                ss_size: 0,
            }
        } else if (ss.ss_size as usize) < MINSIGSTKSZ {
            return Err(Errno::ENOMEM);
        } else {
            StackT { _pad: 0, ..ss }
        };
        Ok(())
    }

    /// Where a handler's frame may start growing down, given the stack
    /// pointer `sp` below the red zone: the top of this stack if the
    /// handler asked for it (`onstack`) and the thread is not on it yet.
    /// Returns (start, switched).
    pub fn frame_start(&self, sp: u64, onstack: bool) -> (u64, bool) {
        if onstack && self.state(sp) == 0 {
            (self.0.ss_sp + self.0.ss_size, true)
        } else {
            (sp, false)
        }
    }

    /// After a delivery: a stack with SS_AUTODISARM is disarmed.
    pub fn delivered(&mut self) {
        if self.0.ss_flags & SS_AUTODISARM != 0 {
            *self = AltStack::NONE;
        }
    }
}

//! Pending signals and their records (NetBSD's ksiginfo queue, Linux's
//! `struct sigpending`): the set of pending signal numbers and, in the
//! order they were sent, a record of who sent each one and why.
//!
//! A standard signal (1-31) is pending at most once: sending it again
//! while it is pending changes nothing, and the first record stays. A
//! real-time signal (32-64) queues one record per sending; they are taken
//! oldest first, and the signal's bit stays set while records of it are
//! left.
//!
//! The records live in a fixed array, because signals are sent where
//! allocating is not allowed (a timer callout). When the array is full, a
//! signal is still made pending but its record is lost (taking it yields a
//! generic SI_KERNEL record), and a real-time signal queued by
//! rt_sigqueueinfo is refused with EAGAIN, as Linux refuses it when the
//! per-user queue limit is reached.

use super::SigInfo;
use ferrite_abi::signal::{SIGRTMIN, SigSet};

/// Records kept for the signals sent to a process: a kernel stack is
/// small, and a `Proc` (with this) is built on one.
pub const PROC_QUEUE: usize = 16;
/// Records kept for the signals sent to one thread (traps, tkill).
pub const LWP_QUEUE: usize = 8;

/// What `Pending::add` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// Pending with its record.
    Queued,
    /// A standard signal already pending: nothing changed.
    AlreadyPending,
    /// Pending, but the record was dropped (no room).
    NoRoom,
}

/// A pending set with room for `N` records.
#[derive(Clone, Copy)]
pub struct Pending<const N: usize> {
    pub set: SigSet,
    len: usize,
    q: [SigInfo; N],
}

impl<const N: usize> Pending<N> {
    pub const fn new() -> Self {
        Pending {
            set: SigSet::EMPTY,
            len: 0,
            q: [SigInfo::NONE; N],
        }
    }

    /// Make `info.signo` pending with its record (see the module comment).
    pub fn add(&mut self, info: SigInfo) -> Added {
        let sig = info.signo;
        if sig < SIGRTMIN && self.set.contains(sig) {
            return Added::AlreadyPending;
        }
        self.set.add(sig);
        if self.len == N {
            return Added::NoRoom;
        }
        self.q[self.len] = info;
        self.len += 1;
        Added::Queued
    }

    /// True if a record could be queued now.
    pub fn has_room(&self) -> bool {
        self.len < N
    }

    /// Take the oldest record of `sig` (a generic one if none was kept);
    /// the signal stops being pending when none of its records is left.
    pub fn take(&mut self, sig: i32) -> SigInfo {
        let info = match self.q[..self.len].iter().position(|i| i.signo == sig) {
            Some(at) => {
                let info = self.q[at];
                self.q.copy_within(at + 1..self.len, at);
                self.len -= 1;
                info
            }
            None => SigInfo::kernel(sig),
        };
        if !self.q[..self.len].iter().any(|i| i.signo == sig) {
            self.set.remove(sig);
        }
        info
    }

    /// Forget every pending signal of `set` with all its records.
    pub fn discard(&mut self, set: SigSet) {
        if self.set.intersection(set).is_empty() {
            return;
        }
        let mut kept = 0;
        for i in 0..self.len {
            if !set.contains(self.q[i].signo) {
                self.q[kept] = self.q[i];
                kept += 1;
            }
        }
        self.len = kept;
        self.set = self.set.difference(set);
    }

    /// Records held (tests).
    pub fn records(&self) -> usize {
        self.len
    }
}

impl<const N: usize> Default for Pending<N> {
    fn default() -> Self {
        Self::new()
    }
}

//! O(1) process-ID allocation and lookup, in the style of NetBSD's
//! `pid_table` (kern_proc.c).
//!
//! This crate owns the mapping from a PID to one value (the kernel stores
//! its process handle there) and the policy that chooses new PIDs. It knows
//! nothing about processes, process groups or locking: the caller holds
//! whatever lock protects the table.
//!
//! The table is an array of `2^k` slots; PID `p` can only live in slot
//! `p & mask`. A slot holds either a live value with its PID, or (when
//! free) the PID the slot will hand out next and a link in the free list.
//!
//! - **Lookup** (`get`, `get_mut`, `free`): index the slot by `p & mask`
//!   and compare the stored PID. A stale PID (freed, maybe reused by the
//!   slot under another number) does not match. O(1).
//! - **Allocation** takes the slot at the head of a FIFO free list. A freed
//!   slot goes to the *tail*, and its next PID is the freed PID plus the
//!   table size, so a PID comes back only after its slot has cycled through
//!   every other PID it can hold (`pid_max / size` allocations from that
//!   slot), and a slot is reused only after every other free slot was.
//!   O(1).
//! - **Growth**: only when the free list is empty (all slots live) does the
//!   table double. Every live entry moves to `pid & new_mask` (its old
//!   index or that plus the old size); its partner slot becomes free with
//!   next PID `pid + old_size`, so new PIDs keep increasing. The new array
//!   is obtained with `try_reserve_exact`, so a failed growth reports
//!   [`PidError::NoMem`] and leaves the table unchanged. Growth is the only
//!   operation that touches every slot; it is amortised over the allocations
//!   that filled the table.
//! - **Wrap-around**: PIDs are below `pid_max` (exclusive, like Linux's
//!   `/proc/sys/kernel/pid_max`; the default is Linux's 64-bit limit,
//!   4,194,304). When a slot's next PID would reach `pid_max` it restarts at
//!   the slot's index (the smallest PID the slot can hold); slot 0 restarts
//!   at the table size, since PID 0 is never handed out. When the table has
//!   `pid_max` slots, slot 0 can hold no PID at all and is left out of the
//!   free list.
//!
//! The first allocation of a new table returns 1 (init), then 2, 3, ...
//!
//! ```
//! use ferrite_pid::{PidTable, PidError};
//!
//! let mut t: PidTable<&str> = PidTable::new();
//! let init = t.alloc("init").unwrap();
//! let sh = t.alloc_with(|pid| if pid == 2 { "sh" } else { "?" }).unwrap();
//! assert_eq!((init, sh), (1, 2));
//! assert_eq!(t.get(2), Some(&"sh"));
//! assert_eq!(t.free(2), Some("sh"));
//! assert_eq!(t.get(2), None); // stale
//! assert_eq!(t.len(), 1);
//!
//! // A small PID space fills up.
//! let mut small: PidTable<()> = PidTable::with_pid_max(4).unwrap();
//! assert_eq!([small.alloc(()), small.alloc(()), small.alloc(())], [Ok(1), Ok(2), Ok(3)]);
//! assert_eq!(small.alloc(()), Err(PidError::Full));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod table;

#[cfg(test)]
mod tests;

pub use table::PidTable;

/// A process ID. Valid PIDs are `1..pid_max`; the kernel converts from the
/// ABI's signed `pid_t` after rejecting negative values.
pub type Pid = u32;

/// Linux's largest `pid_max` on 64-bit systems (`PID_MAX_LIMIT`), the
/// default bound of a [`PidTable`].
pub const DEFAULT_PID_MAX: Pid = 4_194_304;

/// The number of slots of a table's first array (NetBSD uses 32 too).
pub const INITIAL_SLOTS: usize = 32;

/// Why an allocation or a table construction failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PidError {
    /// Every PID below `pid_max` is in use (EAGAIN from fork).
    Full,
    /// Growing the table failed to allocate memory (or hit the test
    /// allocation limit); the table is unchanged (ENOMEM from fork).
    NoMem,
    /// `pid_max` is not a power of two of at least 2 (constructor only).
    BadPidMax,
}

impl core::fmt::Display for PidError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PidError::Full => "no free process ID",
            PidError::NoMem => "out of memory for the process-ID table",
            PidError::BadPidMax => "pid_max must be a power of two of at least 2",
        })
    }
}

impl core::error::Error for PidError {}

//! The PID table: slot array, FIFO free list, allocation, lookup, growth.
//!
//! Owns the slot array and the free list. It never calls out while an
//! operation is half done, except `alloc_with`'s constructor, which runs
//! after the slot was chosen and before it is stored (it cannot observe the
//! table).

use alloc::vec::Vec;

use crate::{DEFAULT_PID_MAX, INITIAL_SLOTS, Pid, PidError};

/// End of the free list.
const NIL: u32 = u32::MAX;

/// The largest accepted `pid_max`: PIDs must fit a signed 32-bit `pid_t`,
/// and `pid + table size` must not overflow.
const PID_MAX_CEILING: Pid = 1 << 30;

/// One slot of the table.
#[derive(Debug)]
enum Slot<T> {
    /// A live PID and its value; `pid & mask` is this slot's index.
    Live { pid: Pid, value: T },
    /// A free slot: the PID it hands out next (`next_pid & mask` is the
    /// slot's index), and the index of the next free slot (`NIL` at the
    /// tail). `next_pid == 0` marks slot 0 of a table with `pid_max` slots:
    /// it can hold no PID and is not on the free list.
    Free { next_pid: Pid, link: u32 },
}

/// A table of live PIDs, each with a value of type `T`.
///
/// See the crate documentation for the algorithm. Every operation is O(1)
/// except growth (amortised O(1) per allocation) and [`PidTable::iter`].
#[derive(Debug)]
pub struct PidTable<T> {
    slots: Vec<Slot<T>>,
    /// Head (next to allocate) and tail (last freed) of the free list.
    head: u32,
    tail: u32,
    live: usize,
    pid_max: Pid,
    /// Test hook: growth beyond this many slots fails with `NoMem`.
    slot_limit: usize,
    /// Slots of the first table (a power of two).
    initial: usize,
}

impl<T> Default for PidTable<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PidTable<T> {
    /// An empty table with `pid_max` = [`DEFAULT_PID_MAX`]. It allocates
    /// nothing until the first [`PidTable::alloc`].
    pub const fn new() -> Self {
        PidTable {
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            live: 0,
            pid_max: DEFAULT_PID_MAX,
            slot_limit: usize::MAX,
            initial: INITIAL_SLOTS,
        }
    }

    /// Build the first table now (of the size `set_initial_slots` chose)
    /// without handing out a PID, so later allocations need no memory
    /// until it is full.
    pub fn preallocate(&mut self) -> Result<(), PidError> {
        if self.slots.is_empty() {
            self.grow()?;
        }
        Ok(())
    }

    /// Make the first table hold `slots` slots (rounded up to a power of
    /// two), so a kernel can size it at boot and never grow it in normal
    /// use. Only before the first allocation; later calls do nothing.
    pub fn set_initial_slots(&mut self, slots: usize) {
        if self.slots.is_empty() {
            self.initial = slots.next_power_of_two().max(2);
        }
    }

    /// An empty table handing out PIDs in `1..pid_max`. `pid_max` must be a
    /// power of two, at least 2 and at most 2^30.
    pub fn with_pid_max(pid_max: Pid) -> Result<Self, PidError> {
        if pid_max < 2 || !pid_max.is_power_of_two() || pid_max > PID_MAX_CEILING {
            return Err(PidError::BadPidMax);
        }
        Ok(PidTable {
            pid_max,
            ..Self::new()
        })
    }

    /// Test hook: make any growth past `slots` slots fail with
    /// [`PidError::NoMem`], as if the allocator were out of memory.
    pub fn set_slot_limit(&mut self, slots: usize) {
        self.slot_limit = slots;
    }

    /// The exclusive upper bound of the PIDs this table hands out.
    pub fn pid_max(&self) -> Pid {
        self.pid_max
    }

    /// The number of live PIDs.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no PID is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The current number of slots (0 before the first allocation, then a
    /// power of two).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Allocate a PID for `value`. The value is dropped if allocation
    /// fails; see [`PidTable::alloc_with`] to build it only on success.
    pub fn alloc(&mut self, value: T) -> Result<Pid, PidError> {
        self.alloc_with(|_| value)
    }

    /// Allocate a PID and store `make(pid)` under it (for values that
    /// record their own PID). `make` is called only once a PID is chosen.
    pub fn alloc_with(&mut self, make: impl FnOnce(Pid) -> T) -> Result<Pid, PidError> {
        if self.head == NIL {
            self.grow()?;
        }
        let idx = self.head as usize;
        let (pid, link) = match self.slots[idx] {
            Slot::Free { next_pid, link } => (next_pid, link),
            // The free list links only free slots.
            Slot::Live { .. } => unreachable!("pid table: live slot {idx} on the free list"),
        };
        self.head = link;
        if link == NIL {
            self.tail = NIL;
        }
        self.slots[idx] = Slot::Live {
            pid,
            value: make(pid),
        };
        self.live += 1;
        Ok(pid)
    }

    /// The slot index PID `pid` would occupy, if the table has slots.
    fn index(&self, pid: Pid) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        Some(pid as usize & (self.slots.len() - 1))
    }

    /// The value of live PID `pid`.
    pub fn get(&self, pid: Pid) -> Option<&T> {
        match self.slots.get(self.index(pid)?)? {
            Slot::Live { pid: p, value } if *p == pid => Some(value),
            _ => None,
        }
    }

    /// The value of live PID `pid`, mutably.
    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut T> {
        let idx = self.index(pid)?;
        match self.slots.get_mut(idx)? {
            Slot::Live { pid: p, value } if *p == pid => Some(value),
            _ => None,
        }
    }

    /// Whether `pid` is live.
    pub fn contains(&self, pid: Pid) -> bool {
        self.get(pid).is_some()
    }

    /// Free live PID `pid` and return its value (`None` if `pid` is not
    /// live: never allocated, already freed, or stale). The slot goes to the
    /// tail of the free list and will next hand out `pid + slots()` (or wrap
    /// around below `pid_max`).
    pub fn free(&mut self, pid: Pid) -> Option<T> {
        let idx = self.index(pid)?;
        match self.slots.get(idx)? {
            Slot::Live { pid: p, .. } if *p == pid => {}
            _ => return None,
        }
        let size = self.slots.len();
        let next_pid = self.fresh_pid(idx, pid as u64 + size as u64, size);
        let old = core::mem::replace(
            &mut self.slots[idx],
            Slot::Free {
                next_pid,
                link: NIL,
            },
        );
        // A live slot is never slot 0 of a full-size table, so the slot can
        // hold a PID again.
        debug_assert_ne!(next_pid, 0);
        self.push_free(idx);
        self.live -= 1;
        match old {
            Slot::Live { value, .. } => Some(value),
            Slot::Free { .. } => None,
        }
    }

    /// Live PIDs and their values, in slot order (not PID order). This
    /// visits every slot: O(slots()).
    pub fn iter(&self) -> impl Iterator<Item = (Pid, &T)> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Live { pid, value } => Some((*pid, value)),
            Slot::Free { .. } => None,
        })
    }

    /// Live PIDs from slot index `start` on, in slot order, each with its
    /// slot index: a walk a caller can stop and resume later at the next
    /// index (with the table unlocked in between; entries added or freed
    /// meanwhile may or may not be seen, none twice unless the table grew).
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = (usize, Pid, &T)> {
        self.slots
            .iter()
            .enumerate()
            .skip(start)
            .filter_map(|(i, s)| match s {
                Slot::Live { pid, value } => Some((i, *pid, value)),
                Slot::Free { .. } => None,
            })
    }

    /// The PID a free slot `idx` of a `size`-slot table hands out next,
    /// given the candidate `want` (last PID + size): `want` if below
    /// `pid_max`, else wrap to the smallest PID of the slot (its index; the
    /// table size for slot 0, since PID 0 is never used), or 0 (dead slot)
    /// when slot 0 has no PID below `pid_max`.
    fn fresh_pid(&self, idx: usize, want: u64, size: usize) -> Pid {
        let max = self.pid_max as u64;
        if want < max {
            want as Pid
        } else if idx != 0 {
            idx as Pid
        } else if (size as u64) < max {
            size as Pid
        } else {
            0
        }
    }

    /// Append free slot `idx` to the tail of the free list.
    fn push_free(&mut self, idx: usize) {
        let idx32 = idx as u32;
        if self.tail == NIL {
            self.head = idx32;
        } else if let Slot::Free { link, .. } = &mut self.slots[self.tail as usize] {
            *link = idx32;
        }
        self.tail = idx32;
    }

    /// Double the table (or create it), called with an empty free list.
    ///
    /// Every slot of a table whose free list is empty is live (apart from
    /// the dead slot 0 of a full-size table, which cannot grow). Live PID
    /// `p` moves to `p & new_mask`; the partner slot (the other one of the
    /// two the old slot splits into) becomes free with next PID
    /// `p + old_size`, which maps to the partner and is larger than `p`.
    /// The free list is then the partners in index order.
    fn grow(&mut self) -> Result<(), PidError> {
        let old = self.slots.len();
        let new = if old == 0 {
            self.initial.min(self.pid_max as usize)
        } else {
            old * 2
        };
        if new > self.pid_max as usize || old == self.pid_max as usize {
            return Err(PidError::Full);
        }
        if new > self.slot_limit {
            return Err(PidError::NoMem);
        }
        let mut slots: Vec<Slot<T>> = Vec::new();
        slots.try_reserve_exact(new).map_err(|_| PidError::NoMem)?;
        // From here on nothing can fail.
        slots.extend((0..new).map(|_| Slot::Free {
            next_pid: 0,
            link: NIL,
        }));
        let mask = new - 1;
        if old == 0 {
            // Slot i starts at PID i, slot 0 at the table size.
            for (i, s) in slots.iter_mut().enumerate() {
                let first = if i == 0 { new } else { i };
                *s = Slot::Free {
                    next_pid: self.fresh_pid(i, first as u64, new),
                    link: NIL,
                };
            }
        } else {
            for s in core::mem::take(&mut self.slots) {
                let (pid, value) = match s {
                    Slot::Live { pid, value } => (pid, value),
                    // Only a full-size table has a free slot off the list.
                    Slot::Free { .. } => unreachable!("pid table: grow with a free slot"),
                };
                let at = pid as usize & mask;
                let partner = at ^ old;
                slots[at] = Slot::Live { pid, value };
                slots[partner] = Slot::Free {
                    next_pid: self.fresh_pid(partner, pid as u64 + old as u64, new),
                    link: NIL,
                };
            }
        }
        self.slots = slots;
        self.head = NIL;
        self.tail = NIL;
        // Link the free slots in index order, slot 0 last (on a new table
        // this hands out 1, 2, 3, ...).
        for i in (1..new).chain(core::iter::once(0)) {
            if matches!(self.slots[i], Slot::Free { next_pid, .. } if next_pid != 0) {
                self.push_free(i);
            }
        }
        Ok(())
    }

    /// Check the table's invariants (for tests): live PIDs in their slot and
    /// in range, free slots' next PIDs in their slot and in range, the free
    /// list is exactly the non-dead free slots, ends at `tail`, and `len()`
    /// counts the live slots.
    pub fn check(&self) -> Result<(), &'static str> {
        let size = self.slots.len();
        if size != 0 && !size.is_power_of_two() {
            return Err("slot count is not a power of two");
        }
        let mask = size.wrapping_sub(1);
        let (mut live, mut free) = (0, 0);
        for (i, s) in self.slots.iter().enumerate() {
            match s {
                Slot::Live { pid, .. } => {
                    if *pid == 0 || *pid >= self.pid_max || *pid as usize & mask != i {
                        return Err("live PID out of range or in the wrong slot");
                    }
                    live += 1;
                }
                Slot::Free { next_pid: 0, .. } => {
                    if i != 0 || size != self.pid_max as usize {
                        return Err("dead slot other than slot 0 of a full-size table");
                    }
                }
                Slot::Free { next_pid, .. } => {
                    if *next_pid >= self.pid_max || *next_pid as usize & mask != i {
                        return Err("free slot's next PID out of range or in the wrong slot");
                    }
                    free += 1;
                }
            }
        }
        if live != self.live {
            return Err("live count mismatch");
        }
        let (mut n, mut at, mut last) = (0, self.head, NIL);
        while at != NIL {
            match self.slots.get(at as usize) {
                Some(Slot::Free { next_pid, link }) if *next_pid != 0 => {
                    n += 1;
                    if n > free {
                        return Err("free list longer than the free slots (cycle?)");
                    }
                    last = at;
                    at = *link;
                }
                _ => return Err("free list links a live or dead slot"),
            }
        }
        if n != free {
            return Err("free list misses free slots");
        }
        if last != self.tail {
            return Err("free list tail mismatch");
        }
        Ok(())
    }
}

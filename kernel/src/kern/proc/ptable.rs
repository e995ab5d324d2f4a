//! The process table and tree (NetBSD's pid_table and proc_lock): every
//! process by PID, its parent, its children and zombie children, its
//! process group and session, under one spin lock.
//!
//! PIDs come from `ferrite_pid::PidTable` (O(1) allocation and lookup,
//! freed PIDs not reused at once). The tree lives in the table's slots:
//! each slot holds the links of three intrusive lists (the parent's
//! children, the parent's zombies, the process group's members), so
//! linking and unlinking are O(1) and `wait` finds a zombie child without
//! a walk: `wait(-1)` takes the first zombie, `wait(pid)` looks the PID up.
//!
//! Process groups are kept in a small sorted array keyed by group ID (a
//! group lives while it has members); sessions are recorded per group.
//! A PID still naming a group or session is not handed out again.

use super::proc::{Pid, ProcRef};
use crate::kern::sched::spinlock::{SpinGuard, SpinLock};
use alloc::vec::Vec;
use ferrite_abi::Errno;
use ferrite_ilist::{List, ListStore};
use ferrite_pid::{PidError, PidTable};

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PState {
    Alive,
    /// Exited; `xstat` holds the wait status until the parent reaps it.
    Zombie,
}

/// A change a parent may want to hear about through wait (job control).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    None,
    /// Stopped by this signal, not yet reported.
    Stopped(i32),
    /// Continued, not yet reported.
    Continued,
}

pub struct PSlot {
    pub proc: ProcRef,
    /// The parent (0 for init).
    pub parent: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub state: PState,
    /// The wait status of a zombie.
    pub xstat: i32,
    /// A stop or continue not yet reported to the parent.
    pub event: Event,
    children: List<Pid>,
    zombies: List<Pid>,
    sib: (Option<Pid>, Option<Pid>),
    zomb: (Option<Pid>, Option<Pid>),
    pg: (Option<Pid>, Option<Pid>),
}

struct Pgrp {
    pgid: Pid,
    sid: Pid,
    members: List<Pid>,
}

pub struct PTable {
    pids: PidTable<PSlot>,
    /// Process groups, sorted by ID.
    pgrps: Vec<Pgrp>,
}

/// The process lock and the table it guards.
static PTABLE: SpinLock<PTable> = SpinLock::new(
    "proc",
    PTable {
        pids: PidTable::new(),
        pgrps: Vec::new(),
    },
);

/// Take the process lock.
pub fn lock() -> SpinGuard<'static, PTable> {
    PTABLE.lock()
}

/// Size the tables at boot (growing them later is fine, but the tests'
/// leak checks would see it).
pub fn reserve(procs: usize) {
    let mut t = lock();
    t.pids.set_initial_slots(procs);
    let _ = t.pids.preallocate();
    let _ = t.pgrps.try_reserve(procs / 4);
}

macro_rules! links {
    ($name:ident, $field:ident) => {
        struct $name<'a>(&'a mut PidTable<PSlot>);
        impl ListStore for $name<'_> {
            type Handle = Pid;
            fn next(&self, h: Pid) -> Option<Pid> {
                self.0.get(h).expect("linked pid is live").$field.1
            }
            fn prev(&self, h: Pid) -> Option<Pid> {
                self.0.get(h).expect("linked pid is live").$field.0
            }
            fn set_next(&mut self, h: Pid, v: Option<Pid>) {
                self.0.get_mut(h).expect("linked pid is live").$field.1 = v;
            }
            fn set_prev(&mut self, h: Pid, v: Option<Pid>) {
                self.0.get_mut(h).expect("linked pid is live").$field.0 = v;
            }
        }
    };
}
links!(SibLinks, sib);
links!(ZombLinks, zomb);
links!(PgLinks, pg);

impl PTable {
    /// Processes alive or zombie.
    pub fn nprocs(&self) -> usize {
        self.pids.len()
    }

    pub fn get(&self, pid: Pid) -> Option<&PSlot> {
        self.pids.get(pid)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut PSlot> {
        self.pids.get_mut(pid)
    }

    /// The process with `pid` (alive or zombie).
    pub fn find(&self, pid: Pid) -> Option<ProcRef> {
        self.pids.get(pid).map(|s| s.proc.clone())
    }

    fn pgrp_index(&self, pgid: Pid) -> Result<usize, usize> {
        self.pgrps.binary_search_by_key(&pgid, |g| g.pgid)
    }

    /// True if `pid` names a process group or a session (so it must not be
    /// handed out to a new process).
    fn id_in_use(&self, pid: Pid) -> bool {
        self.pgrp_index(pid).is_ok() || self.pgrps.iter().any(|g| g.sid == pid)
    }

    /// Add `proc` under a new PID (stored into it), as a child of
    /// `parent` (0: none) in process group `pgid` of session `sid`; `None`
    /// for `pgid` starts a new group (and `None` for `sid` a new session)
    /// led by the new process.
    pub fn insert(
        &mut self,
        proc: &ProcRef,
        parent: Pid,
        pgid: Option<Pid>,
        sid: Option<Pid>,
    ) -> Result<Pid, Errno> {
        if self.pgrps.len() == self.pgrps.capacity() {
            self.pgrps.try_reserve(1).map_err(|_| Errno::EAGAIN)?;
        }
        let make = |pid: Pid| PSlot {
            proc: proc.clone(),
            parent,
            pgid: pgid.unwrap_or(pid),
            sid: sid.unwrap_or(pid),
            state: PState::Alive,
            xstat: 0,
            event: Event::None,
            children: List::new(),
            zombies: List::new(),
            sib: (None, None),
            zomb: (None, None),
            pg: (None, None),
        };
        // A PID still naming a group or a session is skipped (at most a few
        // tries: the table hands out PIDs in increasing order).
        let pid = loop {
            let pid = self.pids.alloc_with(make).map_err(pid_err)?;
            if !self.id_in_use(pid) {
                break pid;
            }
            self.pids.free(pid);
        };
        proc.set_pid(pid);
        if parent != 0 {
            self.link_child(parent, pid);
        }
        let g = pgid.unwrap_or(pid);
        let s = sid.unwrap_or(pid);
        self.join_pgrp(pid, g, s);
        Ok(pid)
    }

    /// Take `pid` out of the table (it must have no children left and be
    /// unlinked from its parent); returns its process.
    pub fn remove(&mut self, pid: Pid) -> Option<ProcRef> {
        self.leave_pgrp(pid);
        let slot = self.pids.free(pid)?;
        debug_assert!(slot.children.is_empty() && slot.zombies.is_empty());
        Some(slot.proc)
    }

    fn link_child(&mut self, parent: Pid, child: Pid) {
        if parent == 0 {
            // No parent (the kernel's own test processes, or orphans when
            // there is no init): linked nowhere.
            let slot = self.pids.get_mut(child).expect("child");
            slot.parent = 0;
            slot.proc.set_ppid(0);
            return;
        }
        let mut list = core::mem::take(&mut self.pids.get_mut(parent).expect("parent").children);
        list.push_back(&mut SibLinks(&mut self.pids), child);
        self.pids.get_mut(parent).expect("parent").children = list;
        let slot = self.pids.get_mut(child).expect("child");
        slot.parent = parent;
        slot.proc.set_ppid(parent);
    }

    fn unlink_child(&mut self, parent: Pid, child: Pid) {
        if parent == 0 {
            return;
        }
        let mut list = core::mem::take(&mut self.pids.get_mut(parent).expect("parent").children);
        list.remove(&mut SibLinks(&mut self.pids), child);
        self.pids.get_mut(parent).expect("parent").children = list;
    }

    /// Remove a process that ends without becoming a zombie (its parent
    /// ignores SIGCHLD or set SA_NOCLDWAIT): out of its parent's children
    /// and out of the table.
    pub fn remove_exiting(&mut self, pid: Pid) -> Option<ProcRef> {
        let parent = self.pids.get(pid)?.parent;
        self.unlink_child(parent, pid);
        self.remove(pid)
    }

    /// `child` became a zombie: queue it on its parent's zombie list.
    pub fn push_zombie(&mut self, child: Pid) {
        let parent = self.pids.get(child).expect("child").parent;
        if parent == 0 {
            return;
        }
        let mut list = core::mem::take(&mut self.pids.get_mut(parent).expect("parent").zombies);
        list.push_back(&mut ZombLinks(&mut self.pids), child);
        self.pids.get_mut(parent).expect("parent").zombies = list;
    }

    /// Unlink a reaped zombie from its parent's lists and take it out of
    /// the table; returns its process.
    pub fn reap(&mut self, child: Pid) -> Option<ProcRef> {
        let parent = self.pids.get(child)?.parent;
        if parent == 0 {
            return self.remove(child);
        }
        let mut list = core::mem::take(&mut self.pids.get_mut(parent).expect("parent").zombies);
        list.remove(&mut ZombLinks(&mut self.pids), child);
        self.pids.get_mut(parent).expect("parent").zombies = list;
        self.unlink_child(parent, child);
        self.remove(child)
    }

    /// Children of `pid`, in creation order (no allocation: a walk of the
    /// sibling links).
    pub fn children(&self, pid: Pid) -> impl Iterator<Item = Pid> + '_ {
        core::iter::successors(self.first_child(pid), |&c| self.next_sibling(c))
    }

    /// The first child of `pid`; with [`PTable::next_sibling`], a walk
    /// that lets the caller change the slots (not the tree) as it goes.
    pub fn first_child(&self, pid: Pid) -> Option<Pid> {
        self.pids.get(pid)?.children.head()
    }

    /// The next sibling of child `c`.
    pub fn next_sibling(&self, c: Pid) -> Option<Pid> {
        self.pids.get(c)?.sib.1
    }

    /// True if `pid` has any child (alive or zombie).
    pub fn has_children(&self, pid: Pid) -> bool {
        self.pids.get(pid).is_some_and(|s| !s.children.is_empty())
    }

    /// The first zombie child of `pid` (wait(-1) in O(1)).
    pub fn first_zombie(&self, pid: Pid) -> Option<Pid> {
        self.pids.get(pid)?.zombies.head()
    }

    /// The zombie children of `pid` (for wait on a group).
    pub fn zombies(&self, pid: Pid) -> impl Iterator<Item = Pid> + '_ {
        let mut cur = self.pids.get(pid).and_then(|s| s.zombies.head());
        core::iter::from_fn(move || {
            let c = cur?;
            cur = self.pids.get(c).expect("zombie").zomb.1;
            Some(c)
        })
    }

    /// Move one child (not on a zombie list) to parent `to`.
    pub fn move_child(&mut self, child: Pid, to: Pid) {
        let from = self.pids.get(child).expect("child").parent;
        self.unlink_child(from, child);
        self.link_child(to, child);
    }

    /// Move every child of `from` to `to` (orphans go to init). Zombies
    /// move with their zombie-list membership.
    /// Allocates nothing (exit must not fail): takes the first child
    /// until none is left.
    pub fn reparent_children(&mut self, from: Pid, to: Pid) {
        while let Some(c) = self.first_child(from) {
            let zombie = self.pids.get(c).expect("child").state == PState::Zombie;
            if zombie {
                let mut list = core::mem::take(&mut self.pids.get_mut(from).expect("from").zombies);
                list.remove(&mut ZombLinks(&mut self.pids), c);
                self.pids.get_mut(from).expect("from").zombies = list;
            }
            self.unlink_child(from, c);
            self.link_child(to, c);
            if zombie && to != 0 {
                self.push_zombie(c);
            }
        }
    }

    // ----- process groups and sessions -----

    fn join_pgrp(&mut self, pid: Pid, pgid: Pid, sid: Pid) {
        let i = match self.pgrp_index(pgid) {
            Ok(i) => i,
            Err(i) => {
                // Room was reserved by the caller (insert / setpgid).
                self.pgrps.insert(
                    i,
                    Pgrp {
                        pgid,
                        sid,
                        members: List::new(),
                    },
                );
                i
            }
        };
        let mut members = core::mem::take(&mut self.pgrps[i].members);
        members.push_back(&mut PgLinks(&mut self.pids), pid);
        self.pgrps[i].members = members;
        let s = self.pids.get_mut(pid).expect("joining pid");
        s.pgid = pgid;
        s.sid = sid;
    }

    fn leave_pgrp(&mut self, pid: Pid) {
        let Some(pgid) = self.pids.get(pid).map(|s| s.pgid) else {
            return;
        };
        let Ok(i) = self.pgrp_index(pgid) else {
            return;
        };
        let mut members = core::mem::take(&mut self.pgrps[i].members);
        members.remove(&mut PgLinks(&mut self.pids), pid);
        if members.is_empty() {
            self.pgrps.remove(i);
        } else {
            self.pgrps[i].members = members;
        }
    }

    /// True if a process group `pgid` exists in session `sid`.
    pub fn pgrp_in_session(&self, pgid: Pid, sid: Pid) -> bool {
        self.pgrp_index(pgid)
            .is_ok_and(|i| self.pgrps[i].sid == sid)
    }

    /// True if any process group exists with ID `pgid`.
    pub fn pgrp_exists(&self, pgid: Pid) -> bool {
        self.pgrp_index(pgid).is_ok()
    }

    /// Move `pid` into group `pgid` of its session (creating the group
    /// when `pgid == pid`).
    pub fn set_pgrp(&mut self, pid: Pid, pgid: Pid) -> Result<(), Errno> {
        let sid = self.pids.get(pid).ok_or(Errno::ESRCH)?.sid;
        if self.pgrp_index(pgid).is_err() && self.pgrps.try_reserve(1).is_err() {
            return Err(Errno::EAGAIN);
        }
        self.leave_pgrp(pid);
        self.join_pgrp(pid, pgid, sid);
        Ok(())
    }

    /// Make `pid` the leader of a new session and of a new group in it.
    pub fn new_session(&mut self, pid: Pid) -> Result<(), Errno> {
        if self.pgrps.try_reserve(1).is_err() {
            return Err(Errno::EAGAIN);
        }
        self.leave_pgrp(pid);
        self.join_pgrp(pid, pid, pid);
        Ok(())
    }

    /// The members of group `pgid` (none if there is no such group): a
    /// walk of the group's links, no allocation.
    pub fn pgrp_members(&self, pgid: Pid) -> impl Iterator<Item = Pid> + '_ {
        let head = self
            .pgrp_index(pgid)
            .ok()
            .and_then(|i| self.pgrps[i].members.head());
        core::iter::successors(head, |&p| self.pids.get(p).expect("member").pg.1)
    }

    /// The number of members of group `pgid`.
    pub fn pgrp_size(&self, pgid: Pid) -> usize {
        self.pgrp_index(pgid)
            .map_or(0, |i| self.pgrps[i].members.len())
    }

    pub fn all(&self) -> impl Iterator<Item = (Pid, &PSlot)> {
        self.pids.iter()
    }

    /// As `all`, from slot index `start` on, with each slot's index (a
    /// walk in batches that drops the lock in between: see kill(-1)).
    pub fn all_from(&self, start: usize) -> impl Iterator<Item = (usize, Pid, &PSlot)> {
        self.pids.iter_from(start)
    }
}

fn pid_err(e: PidError) -> Errno {
    match e {
        PidError::Full => Errno::EAGAIN,
        _ => Errno::ENOMEM,
    }
}

//! Unit tests and a model-based property test (against a `BTreeMap` of live
//! PIDs) of the PID table.

extern crate std;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use proptest::prelude::*;

use crate::{DEFAULT_PID_MAX, INITIAL_SLOTS, Pid, PidError, PidTable};

#[test]
fn first_pids_are_sequential_from_one() {
    let mut t = PidTable::new();
    let pids: Vec<Pid> = (0..100).map(|i| t.alloc(i).unwrap()).collect();
    assert_eq!(pids, (1..=100).collect::<Vec<Pid>>());
    for (i, pid) in pids.iter().enumerate() {
        assert_eq!(t.get(*pid), Some(&i));
    }
    assert_eq!(t.get(0), None);
    assert_eq!(t.get(101), None);
    assert_eq!(t.len(), 100);
    assert_eq!(t.pid_max(), DEFAULT_PID_MAX);
    t.check().unwrap();
}

#[test]
fn table_doubles_when_full() {
    let mut t = PidTable::new();
    assert_eq!(t.slots(), 0);
    t.alloc(()).unwrap();
    assert_eq!(t.slots(), INITIAL_SLOTS);
    // Slot 0's first PID is the table size, so 32 PIDs fit before growth.
    for _ in 1..INITIAL_SLOTS {
        t.alloc(()).unwrap();
    }
    assert_eq!(t.slots(), INITIAL_SLOTS);
    t.alloc(()).unwrap();
    assert_eq!(t.slots(), 2 * INITIAL_SLOTS);
    t.check().unwrap();
}

#[test]
fn freed_pid_is_not_reused_within_table_size_allocations() {
    // Keep the population constant (free one, allocate one) so the table
    // never grows: N = 32 slots.
    let mut t = PidTable::new();
    let mut live: Vec<Pid> = (0..20).map(|_| t.alloc(()).unwrap()).collect();
    let n = t.slots();
    let victim = live.remove(7);
    t.free(victim).unwrap();
    let mut issued = Vec::new();
    for i in 0..n {
        let p = t.alloc(()).unwrap();
        issued.push(p);
        // Free an older PID to keep the table from filling.
        t.free(live.remove(i % live.len())).unwrap();
        live.push(p);
    }
    assert_eq!(t.slots(), n, "the table must not have grown");
    assert!(!issued.contains(&victim), "{victim} reused in {issued:?}");
    // And a freed slot's next PID is the old one plus the table size.
    let p = live[0];
    t.free(p).unwrap();
    while t.alloc(()).unwrap() != p + n as Pid {}
    t.check().unwrap();
}

#[test]
fn stale_pids_do_not_match() {
    let mut t = PidTable::with_pid_max(64).unwrap();
    let a = t.alloc('a').unwrap();
    assert_eq!(t.free(a), Some('a'));
    assert_eq!(t.free(a), None);
    // Cycle every slot so a's slot hands out a + 32.
    let mut seen = Vec::new();
    for _ in 0..INITIAL_SLOTS {
        let p = t.alloc('x').unwrap();
        seen.push(p);
    }
    assert!(seen.contains(&(a + 32)));
    assert_eq!(t.get(a), None);
    assert_eq!(t.get_mut(a), None);
    assert!(!t.contains(a));
    assert_eq!(t.free(a), None);
    assert_eq!(t.get(a + 32), Some(&'x'));
    t.check().unwrap();
}

#[test]
fn wraps_below_pid_max_and_skips_zero() {
    // 32 slots, PIDs 1..64: slot 0 first hands out 32.
    let mut t = PidTable::with_pid_max(64).unwrap();
    let mut all: Vec<Pid> = (0..32).map(|_| t.alloc(()).unwrap()).collect();
    assert_eq!(all[30..], [31, 32]);
    assert_eq!(t.slots(), 32);
    // Growth to 64 slots == pid_max: slot 0 is dead (64 is out of range),
    // the other new slots hand out 33..63.
    all.extend((0..31).map(|_| t.alloc(()).unwrap()));
    assert_eq!(t.slots(), 64);
    all.sort();
    assert_eq!(all, (1..64).collect::<Vec<Pid>>());
    assert_eq!(t.alloc(()), Err(PidError::Full));
    t.check().unwrap();
    // At full size, a freed PID's slot can only hand it out again.
    t.free(9).unwrap();
    assert_eq!(t.alloc(()), Ok(9));
    // A table created at full size (16 slots, pid_max 16) never uses slot 0.
    let mut t = PidTable::with_pid_max(16).unwrap();
    let all: Vec<Pid> = (0..15).map(|_| t.alloc(()).unwrap()).collect();
    assert_eq!(all, (1..16).collect::<Vec<Pid>>());
    assert_eq!(t.alloc(()), Err(PidError::Full));
    assert_eq!(t.slots(), 16);
    t.check().unwrap();
}

#[test]
fn slot_zero_wraps_to_table_size() {
    // 32 slots with pid_max 64: slot 0 holds 32 only (64 is out of range),
    // every other slot i holds i and i + 32.
    let mut t = PidTable::with_pid_max(64).unwrap();
    let mut pids: Vec<Pid> = (0..32).map(|_| t.alloc(()).unwrap()).collect();
    assert_eq!(pids[31], 32);
    t.free(32).unwrap();
    // The other 31 slots are live: slot 0 comes back at once, wrapped.
    assert_eq!(t.alloc(()), Ok(32));
    pids.sort();
    assert_eq!(t.slots(), 32);
    t.check().unwrap();
}

#[test]
fn nomem_leaves_table_unchanged() {
    let mut t = PidTable::new();
    t.set_slot_limit(INITIAL_SLOTS);
    let pids: Vec<Pid> = (0..INITIAL_SLOTS).map(|i| t.alloc(i).unwrap()).collect();
    let mut called = false;
    assert_eq!(
        t.alloc_with(|_| {
            called = true;
            0
        }),
        Err(PidError::NoMem)
    );
    assert!(!called, "the constructor must not run on failure");
    assert_eq!(t.len(), INITIAL_SLOTS);
    for (i, p) in pids.iter().enumerate() {
        assert_eq!(t.get(*p), Some(&i));
    }
    t.check().unwrap();
    t.set_slot_limit(usize::MAX);
    assert_eq!(t.alloc(99), Ok(33));
}

#[test]
fn bad_pid_max_is_refused() {
    for bad in [0, 1, 3, 100, 1 << 31] {
        assert_eq!(
            PidTable::<()>::with_pid_max(bad).err(),
            Some(PidError::BadPidMax)
        );
    }
    assert!(PidTable::<()>::with_pid_max(2).is_ok());
}

#[test]
fn smallest_table_has_one_pid() {
    let mut t = PidTable::with_pid_max(2).unwrap();
    assert_eq!(t.alloc('a'), Ok(1));
    assert_eq!(t.alloc('b'), Err(PidError::Full));
    assert_eq!(t.free(1), Some('a'));
    assert_eq!(t.alloc('c'), Ok(1));
    t.check().unwrap();
}

#[test]
fn iter_lists_live_pids() {
    let mut t = PidTable::new();
    for i in 0..40u32 {
        t.alloc(i * 10).unwrap();
    }
    t.free(5).unwrap();
    let mut got: Vec<(Pid, u32)> = t.iter().map(|(p, v)| (p, *v)).collect();
    got.sort();
    let want: Vec<(Pid, u32)> = (1..=40)
        .filter(|p| *p != 5)
        .map(|p| (p, (p - 1) * 10))
        .collect();
    assert_eq!(got, want);
    *t.get_mut(7).unwrap() = 7;
    assert_eq!(t.get(7), Some(&7));
}

#[test]
fn iter_from_resumes_a_walk_in_batches() {
    let mut t = PidTable::new();
    for i in 0..40u32 {
        t.alloc(i).unwrap();
    }
    t.free(9).unwrap();
    // Batches of 7, resumed at the slot after the last one seen; a PID
    // freed between batches (one not yet visited) is not seen.
    let mut seen = Vec::new();
    let mut start = 0;
    let mut freed_midway = false;
    loop {
        let batch: Vec<(usize, Pid)> = t.iter_from(start).take(7).map(|(i, p, _)| (i, p)).collect();
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        seen.extend(batch.iter().map(|&(_, p)| p));
        start = last + 1;
        if !freed_midway {
            t.free(30).unwrap();
            freed_midway = true;
        }
    }
    seen.sort();
    let want: Vec<Pid> = (1..=40).filter(|p| *p != 9 && *p != 30).collect();
    assert_eq!(seen, want, "every live PID once");
    assert!(t.iter_from(t.slots()).next().is_none());
}

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    /// Free the i-th live PID (modulo the number live).
    FreeLive(usize),
    /// Free / look up an arbitrary PID (mostly not live).
    FreeAny(Pid),
    Get(Pid),
    Fail(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => Just(Op::Alloc),
        3 => any::<usize>().prop_map(Op::FreeLive),
        1 => (0..300u32).prop_map(Op::FreeAny),
        2 => (0..300u32).prop_map(Op::Get),
        1 => any::<bool>().prop_map(Op::Fail),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random operations against a model of the live PIDs. The model also
    /// remembers every PID ever freed to check that lookups of stale PIDs
    /// fail, and the order of allocations to check that a freed PID is not
    /// handed out again before the table has cycled.
    #[test]
    fn matches_model(pid_max_log in 3u32..9, ops in proptest::collection::vec(op(), 1..400)) {
        let pid_max: Pid = 1 << pid_max_log;
        let mut t: PidTable<u64> = PidTable::with_pid_max(pid_max).unwrap();
        let mut model: BTreeMap<Pid, u64> = BTreeMap::new();
        let mut serial = 0u64;
        for op in ops {
            match op {
                Op::Alloc => {
                    serial += 1;
                    match t.alloc(serial) {
                        Ok(pid) => {
                            prop_assert!(pid > 0 && pid < pid_max);
                            prop_assert!(model.insert(pid, serial).is_none(), "{} handed out twice", pid);
                        }
                        Err(PidError::Full) => {
                            prop_assert_eq!(model.len() as Pid, pid_max - 1);
                        }
                        Err(PidError::NoMem) => {
                            // Only with the limit set and every slot live.
                            prop_assert_eq!(model.len(), t.slots());
                        }
                        Err(e) => prop_assert!(false, "unexpected {:?}", e),
                    }
                }
                Op::FreeLive(i) => {
                    if !model.is_empty() {
                        let pid = *model.keys().nth(i % model.len()).unwrap();
                        prop_assert_eq!(t.free(pid), model.remove(&pid));
                        prop_assert_eq!(t.get(pid), None);
                    }
                }
                Op::FreeAny(pid) => prop_assert_eq!(t.free(pid), model.remove(&pid)),
                Op::Get(pid) => prop_assert_eq!(t.get(pid), model.get(&pid)),
                Op::Fail(on) => t.set_slot_limit(if on { t.slots() } else { usize::MAX }),
            }
            prop_assert_eq!(t.len(), model.len());
            if let Err(e) = t.check() {
                prop_assert!(false, "check: {}", e);
            }
        }
        let mut got: Vec<(Pid, u64)> = t.iter().map(|(p, v)| (p, *v)).collect();
        got.sort();
        prop_assert_eq!(got, model.into_iter().collect::<Vec<_>>());
    }

    /// Below the wrap-around point, a freed PID does not come back within
    /// the next `slots()` allocations, whatever happens in between.
    #[test]
    fn no_quick_reuse(live0 in 1usize..31, frees in proptest::collection::vec(any::<usize>(), 32)) {
        let mut t: PidTable<()> = PidTable::new();
        let mut live: Vec<Pid> = (0..live0).map(|_| t.alloc(()).unwrap()).collect();
        let victim = live.swap_remove(frees[0] % live.len());
        t.free(victim).unwrap();
        let n = t.slots();
        for f in frees.iter().take(n) {
            let p = t.alloc(()).unwrap();
            prop_assert_ne!(p, victim);
            live.push(p);
            if live.len() > 1 {
                let q = live.swap_remove(f % live.len());
                t.free(q).unwrap();
            }
        }
    }
}

#[test]
fn initial_slots_size_the_first_table_without_handing_out_pids() {
    let mut t: PidTable<u32> = PidTable::new();
    t.set_initial_slots(1000);
    assert_eq!(t.slots(), 0, "nothing allocated before the first PID");
    t.preallocate().unwrap();
    assert_eq!(t.slots(), 1024, "preallocate builds the first table");
    assert!(t.is_empty());
    assert_eq!(t.alloc(7), Ok(1), "the first PID is still 1");
    assert_eq!(t.slots(), 1024);
    for i in 2..1024u32 {
        assert_eq!(t.alloc(i), Ok(i));
    }
    assert_eq!(t.slots(), 1024, "no growth until the table is full");
    t.set_initial_slots(4096);
    assert_eq!(t.slots(), 1024, "a later call changes nothing");
    t.check().unwrap();
}

//! A process's status files in Linux's formats (fs/proc/array.c):
//!
//! - `stat`: one line of 52 fields, `pid (comm) state ppid pgrp session
//!   ...` (proc(5)); the fields Ferrite does not keep are 0 (times and
//!   fault counts per process, scheduling policy), as Linux shows for
//!   what it does not track;
//! - `statm`: sizes in pages, `size resident shared text lib data dt`;
//! - `status`: `Name:\tvalue` lines, the `Vm*` lines (sizes in kB) only
//!   while the process has an address space (not for a zombie);
//! - `cmdline`: the arguments exec got, each ending in a NUL (empty for a
//!   zombie, as on Linux);
//! - `comm`: the command name and a newline.
//!
//! The command name is the thread's (the program file's name, at most 15
//! bytes as Linux's TASK_COMM_LEN allows).

use super::maps::{Regions, entries_of, regions};
use super::text::{Text, nomem};
use crate::kern::proc::procinfo::{self, ProcView, RunState};
use crate::kern::resource::usage::USER_HZ;
use crate::kern::time::clock::NSEC_PER_SEC;
use crate::uvm::map_info::{self, SpaceTotals};
use crate::uvm::vmspace::PAGE;
use core::fmt::Write;
use ferrite_abi::Errno;
use ferrite_abi::resource::{RLIMIT_RSS, RLIMIT_SIGPENDING};
use ferrite_abi::signal::SIGCHLD;

/// Linux's TASK_COMM_LEN without its NUL.
const COMM_MAX: usize = 15;

/// The command name as Linux shows it.
fn comm_of(v: &ProcView) -> alloc::string::String {
    let n = v.name();
    let s = n.as_str();
    let mut end = s.len().min(COMM_MAX);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    alloc::string::String::from(&s[..end])
}

/// What the memory lines need: the entries' totals and regions.
struct Mem {
    totals: SpaceTotals,
    regions: Regions,
}

fn mem_of(v: &ProcView) -> Result<Option<Mem>, Errno> {
    let (Some(vs), Some(entries)) = (v.vmspace.as_ref(), entries_of(v)?) else {
        return Ok(None);
    };
    Ok(Some(Mem {
        totals: map_info::totals(vs, &entries),
        regions: regions(v, &entries),
    }))
}

/// Signal sets: (thread pending, process pending, blocked, ignored, caught).
fn signals(v: &ProcView) -> (u64, u64, u64, u64, u64) {
    let (shared, ignored, caught) = {
        let s = v.proc().sig.lock();
        let (mut ign, mut cgt) = (0u64, 0u64);
        for (i, a) in s.actions.iter().enumerate() {
            if a.is_ignore() {
                ign |= 1 << i;
            } else if !a.is_default() {
                cgt |= 1 << i;
            }
        }
        (s.pending.set.0, ign, cgt)
    };
    let (pending, blocked) = match &v.lwp {
        Some(l) => (l.sig.inner.lock().pending.set.0, l.sig.mask().0),
        None => (0, 0),
    };
    (pending, shared, blocked, ignored, caught)
}

/// `/proc/<pid>/stat`.
pub fn stat(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    let mem = mem_of(v)?;
    let (pending, shared, blocked, ignored, caught) = signals(v);
    let start_ticks = procinfo::start_ns(v.proc()) / (NSEC_PER_SEC / USER_HZ);
    let rsslim = v.proc().rlimit(RLIMIT_RSS).rlim_cur;
    let (vsize, rss, code, stack_top, start_brk) = match (&mem, v.vmspace.as_ref()) {
        (Some(m), Some(vs)) => {
            let l = vs.map.layout();
            (
                m.totals.size,
                m.totals.resident,
                m.regions.code,
                l.map_or(0, |l| l.stack_top),
                l.map_or(0, |l| l.data_end),
            )
        }
        _ => (0, 0, (0, 0), 0, 0),
    };
    let (state, _) = v.state.linux();
    writeln!(
        t,
        "{} ({}) {} {} {} {} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 {} {} {} {} {} {} {} 0 0 {} {} {} {} 0 0 0 {} 0 0 0 0 0 0 0 0 {} 0 0 0 0 {}",
        v.id.pid,
        comm_of(v),
        state,
        v.ppid,
        v.pgid,
        v.sid,
        start_ticks,
        vsize,
        rss,
        rsslim,
        code.0,
        code.1,
        stack_top,
        pending | shared,
        blocked,
        ignored,
        caught,
        SIGCHLD,
        start_brk,
        v.xstat,
    )
    .map_err(nomem)
}

/// `/proc/<pid>/statm`.
pub fn statm(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    let (size, res, shared, text, data) = match mem_of(v)? {
        Some(m) => {
            let d = m.totals.private_writable.saturating_sub(m.regions.stack);
            (
                m.totals.size / PAGE,
                m.totals.resident,
                m.totals.resident - m.totals.resident_anon,
                m.regions.exe / PAGE,
                d / PAGE,
            )
        }
        None => (0, 0, 0, 0, 0),
    };
    writeln!(t, "{size} {res} {shared} {text} 0 {data} 0").map_err(nomem)
}

fn vm_line(t: &mut Text, name: &str, kb: u64) -> core::fmt::Result {
    writeln!(t, "{name}:\t{kb:>8} kB")
}

/// `/proc/<pid>/status`.
pub fn status(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    let mem = mem_of(v)?;
    let p = v.proc();
    let (state, word) = v.state.linux();
    let pid = v.id.pid;
    // The descriptor table's size, if it can be had without waiting (an
    // operation in progress may hold it while it sleeps).
    let fdsize = p
        .files
        .try_lock()
        .map_or(0, |f| f.count().next_power_of_two().max(64));
    let fdsize = if v.state == RunState::Zombie {
        0
    } else {
        fdsize
    };
    writeln!(
        t,
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{state} ({word})\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{}\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t{fdsize}\nGroups:\t \nNStgid:\t{pid}\nNSpid:\t{pid}\nNSpgid:\t{}\nNSsid:\t{}\nKthread:\t0",
        comm_of(v),
        p.umask(),
        v.ppid,
        v.pgid,
        v.sid,
    )
    .map_err(nomem)?;
    if let Some(m) = &mem {
        let kb = |b: u64| b / 1024;
        let pk = |pages: u64| pages * PAGE / 1024;
        let s = &m.totals;
        let data = s.private_writable.saturating_sub(m.regions.stack);
        let lines = [
            ("VmPeak", kb(s.size)),
            ("VmSize", kb(s.size)),
            ("VmLck", kb(s.locked)),
            ("VmPin", 0),
            ("VmHWM", pk(s.resident)),
            ("VmRSS", pk(s.resident)),
            ("RssAnon", pk(s.resident_anon)),
            ("RssFile", pk(s.resident - s.resident_anon)),
            ("RssShmem", 0),
            ("VmData", kb(data)),
            ("VmStk", kb(m.regions.stack)),
            ("VmExe", kb(m.regions.exe)),
            ("VmLib", 0),
            ("VmPTE", pk(s.ptps)),
            ("VmSwap", 0),
        ];
        for (name, v) in lines {
            vm_line(t, name, v).map_err(nomem)?;
        }
    }
    let (pending, shared, blocked, ignored, caught) = signals(v);
    let sigq_max = p.rlimit(RLIMIT_SIGPENDING).rlim_cur;
    let switches = v
        .lwp
        .as_ref()
        .map_or(0, |l| l.nswitch.load(core::sync::atomic::Ordering::Relaxed));
    writeln!(
        t,
        "Threads:\t1\nSigQ:\t0/{sigq_max}\nSigPnd:\t{pending:016x}\nShdPnd:\t{shared:016x}\nSigBlk:\t{blocked:016x}\nSigIgn:\t{ignored:016x}\nSigCgt:\t{caught:016x}\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed:\t1\nCpus_allowed_list:\t0\nvoluntary_ctxt_switches:\t{switches}\nnonvoluntary_ctxt_switches:\t0"
    )
    .map_err(nomem)
}

/// `/proc/<pid>/cmdline`.
pub fn cmdline(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    if v.vmspace.is_none() {
        return Ok(());
    }
    match &v.image {
        Some(img) => t.bytes(&img.cmdline).map_err(nomem),
        None => Ok(()),
    }
}

/// `/proc/<pid>/comm`.
pub fn comm(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    writeln!(t, "{}", comm_of(v)).map_err(nomem)
}

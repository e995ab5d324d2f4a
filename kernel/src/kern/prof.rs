//! The sampling profiler (`prof=N` on the command line; the host's
//! `ferrite-boot bench --profile NAME` sets it): a timer interrupt every N
//! nanoseconds of guest time (N guest instructions under `-icount
//! shift=0`; the arch part, `arch::x86_64::prof`, runs the timer faster
//! and captures the interrupted context) records what was running into a
//! buffer allocated at boot, and the kernel prints the samples on the
//! console just before it powers off.
//!
//! A sample is the interrupted thread's name and either the user rip (the
//! interrupt came from user mode) or the kernel call chain by frame
//! pointers, innermost first. With `prof.comm=NAME` the window opens at
//! the first sample of a thread named NAME (the benchmark program), so
//! the boot and the start of the benchmark runner are left out; it stays
//! open until the dump, whatever runs (the program's children, kernel
//! threads, idle).
//!
//! The buffer holds records of words: a header (depth, user flag, name
//! length), the name in two words, then `depth` program counters. The
//! interrupt only appends into the preallocated space (no allocation); a
//! sample that does not fit is counted as dropped.
//!
//! Dump format (one line per run of identical consecutive samples; the
//! addresses are hexadecimal without `0x`; `cycles` is the TSC time the
//! window was open, guest instructions under `-icount`; `1+48000`: a
//! sample that came 48,000 instructions after the previous one instead
//! of one period, because interrupts were off until that point):
//! ```text
//! prof: begin period=10000 samples=5321 dropped=0 cycles=53500000
//! prof: u 1 fork_exit 5555555a1b2c
//! prof: k 3 fork_exit ffffffff80012345 ffffffff80016789 ...
//! prof: k 1+48000 fork_exit ffffffff80012345 ...
//! prof: end
//! ```

use crate::arch::x86_64::{percpu, prof::Context, tsc};
use crate::kprintln;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// The buffer's size in words (4 MiB): at a typical kernel depth of 15
/// that is about 20,000 samples, 200 million instructions at N = 10,000.
const BUFFER_WORDS: usize = 512 * 1024;
/// Header word: depth in bits 0-7, user flag bit 8, name length bits
/// 16-23, and in bits 32-63 the TSC time since the previous sample when
/// it was more than one and a half periods (0 otherwise): the interrupt
/// came late because interrupts were off.
const USER_BIT: u64 = 1 << 8;
/// Longest recorded name (the kernel's thread names are at most 16 bytes).
const NAME_BYTES: usize = 16;

static PERIOD: AtomicU32 = AtomicU32::new(0);
/// Samples are being recorded (the window is open and no dump started).
static RECORDING: AtomicBool = AtomicBool::new(false);
static SAMPLES: AtomicU64 = AtomicU64::new(0);
/// The TSC when the window opened (guest instructions under `-icount`).
static WINDOW_START: AtomicU64 = AtomicU64::new(0);
/// The TSC at the previous profiling interrupt.
static LAST_TSC: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static COMM: spin::Once<([u8; NAME_BYTES], usize)> = spin::Once::new();
static BUFFER: spin::Mutex<Vec<u64>> = spin::Mutex::new(Vec::new());

/// Set the profiler up from the command line, before the timer starts:
/// allocate the buffer and ask the timer for the sampling rate. Does
/// nothing without `prof=N`.
pub fn init(period: Option<u32>, comm: Option<&str>) {
    let Some(period) = period else {
        return;
    };
    let mut buf = BUFFER.lock();
    if buf.try_reserve_exact(BUFFER_WORDS).is_err() {
        log::error!("profiler: no memory for the sample buffer; not profiling");
        return;
    }
    drop(buf);
    PERIOD.store(period, Ordering::Relaxed);
    match comm {
        Some(c) => {
            let mut name = [0u8; NAME_BYTES];
            let len = c.len().min(NAME_BYTES);
            name[..len].copy_from_slice(&c.as_bytes()[..len]);
            COMM.call_once(|| (name, len));
        }
        None => open_window(),
    }
    crate::arch::x86_64::prof::request_period(period);
    log::info!(
        "profiler: sampling every {period} ns{}",
        match comm {
            Some(c) => alloc::format!(" once `{c}` runs"),
            None => alloc::string::String::new(),
        }
    );
}

fn open_window() {
    WINDOW_START.store(tsc::read(), Ordering::Relaxed);
    RECORDING.store(true, Ordering::Relaxed);
}

/// The running thread's name as bytes (empty before the scheduler runs).
fn thread_name(out: &mut [u8; NAME_BYTES]) -> usize {
    if percpu::this_cpu().curlwp() == 0 {
        return 0;
    }
    let name = crate::kern::sched::curlwp().name();
    let s = name.as_str().as_bytes();
    let len = s.len().min(NAME_BYTES);
    out[..len].copy_from_slice(&s[..len]);
    len
}

/// Record one sample (from the timer interrupt, interrupts off).
pub fn record(ctx: &Context) {
    let period = u64::from(PERIOD.load(Ordering::Relaxed));
    if period == 0 {
        return;
    }
    let now = tsc::read();
    let gap = now.saturating_sub(LAST_TSC.swap(now, Ordering::Relaxed));
    let late = if gap > period + period / 2 {
        gap.min(u64::from(u32::MAX))
    } else {
        0
    };
    let mut name = [0u8; NAME_BYTES];
    let len = thread_name(&mut name);
    if !RECORDING.load(Ordering::Relaxed) {
        match COMM.get() {
            Some((comm, clen)) if *clen == len && comm[..len] == name[..len] => open_window(),
            _ => return,
        }
    }
    // The dump holds the lock with recording off; never spin here.
    let Some(mut buf) = BUFFER.try_lock() else {
        return;
    };
    if !RECORDING.load(Ordering::Relaxed) {
        return;
    }
    let depth = ctx.depth.min(ctx.pcs.len());
    if buf.len() + 3 + depth > buf.capacity() {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let user = if ctx.user { USER_BIT } else { 0 };
    let header = depth as u64 | user | (len as u64) << 16 | late << 32;
    buf.push(header);
    let (lo, hi) = name.split_at(8);
    buf.push(u64::from_le_bytes(lo.try_into().unwrap_or([0; 8])));
    buf.push(u64::from_le_bytes(hi.try_into().unwrap_or([0; 8])));
    buf.extend_from_slice(&ctx.pcs[..depth]);
    SAMPLES.fetch_add(1, Ordering::Relaxed);
}

/// One record of the buffer.
struct Record<'a> {
    user: bool,
    /// TSC time since the previous sample if it came late, else 0.
    late: u64,
    name: [u8; NAME_BYTES],
    name_len: usize,
    pcs: &'a [u64],
}

impl Record<'_> {
    fn same_as(&self, other: &Record<'_>) -> bool {
        self.user == other.user
            && self.late == 0
            && other.late == 0
            && self.name[..self.name_len] == other.name[..other.name_len]
            && self.pcs == other.pcs
    }
}

/// The records of `buf`, in order.
fn records(buf: &[u64]) -> impl Iterator<Item = Record<'_>> {
    let mut at = 0;
    core::iter::from_fn(move || {
        let header = *buf.get(at)?;
        let depth = (header & 0xff) as usize;
        let name_len = ((header >> 16) & 0xff) as usize;
        let words = buf.get(at + 1..at + 3 + depth)?;
        let mut name = [0u8; NAME_BYTES];
        name[..8].copy_from_slice(&words[0].to_le_bytes());
        name[8..].copy_from_slice(&words[1].to_le_bytes());
        at += 3 + depth;
        Some(Record {
            user: header & USER_BIT != 0,
            late: header >> 32,
            name,
            name_len: name_len.min(NAME_BYTES),
            pcs: &words[2..],
        })
    })
}

/// Print one run of identical samples as a `prof:` line.
fn print_run(r: &Record<'_>, count: u64) {
    let mut line = alloc::string::String::with_capacity(40 + r.pcs.len() * 17);
    let kind = if r.user { 'u' } else { 'k' };
    let _ = write!(line, "prof: {kind} {count}");
    if r.late != 0 {
        let _ = write!(line, "+{}", r.late);
    }
    line.push(' ');
    if r.name_len == 0 {
        line.push('-');
    }
    for &b in &r.name[..r.name_len] {
        // Names go on one whitespace-separated line.
        line.push(if b.is_ascii_graphic() { b as char } else { '_' });
    }
    for pc in r.pcs {
        let _ = write!(line, " {pc:x}");
    }
    kprintln!("{line}");
}

/// Stop recording and print the samples (before power-off). Does nothing
/// unless profiling.
pub fn dump() {
    let period = PERIOD.load(Ordering::Relaxed);
    if period == 0 {
        return;
    }
    let was_open = RECORDING.swap(false, Ordering::Relaxed);
    let cycles = if was_open {
        tsc::read().saturating_sub(WINDOW_START.load(Ordering::Relaxed))
    } else {
        0
    };
    PERIOD.store(0, Ordering::Relaxed);
    let buf = BUFFER.lock();
    kprintln!(
        "prof: begin period={period} samples={} dropped={} cycles={cycles}",
        SAMPLES.load(Ordering::Relaxed),
        DROPPED.load(Ordering::Relaxed)
    );
    let mut run: Option<(Record<'_>, u64)> = None;
    for r in records(&buf) {
        match &mut run {
            Some((prev, n)) if prev.same_as(&r) => *n += 1,
            _ => {
                if let Some((prev, n)) = run.replace((r, 1)) {
                    print_run(&prev, n);
                }
            }
        }
    }
    if let Some((prev, n)) = run {
        print_run(&prev, n);
    }
    kprintln!("prof: end");
}

//! Benchmark of the thread switch: two kernel threads ping-pong through
//! sleep/wakeup, so each round trip is two switches, two wakeups and two
//! sleeps (guest instructions under `-icount`).

use super::{lwp, sleepq};
use crate::arch::x86_64::tsc;
use core::sync::atomic::{AtomicU64, Ordering};

static TURN: AtomicU64 = AtomicU64::new(0);
static ROUNDS: AtomicU64 = AtomicU64::new(0);

fn chan(side: u64) -> usize {
    sleepq::chan(&TURN) + side as usize
}

/// Side `side` (0 or 1) waits for its turn, passes it, `ROUNDS` times.
fn player(side: usize) {
    let side = side as u64;
    for _ in 0..ROUNDS.load(Ordering::SeqCst) {
        sleepq::sleep_until(chan(side), false, None, || {
            TURN.load(Ordering::SeqCst) % 2 == side
        })
        .expect("uninterruptible");
        TURN.fetch_add(1, Ordering::SeqCst);
        sleepq::wakeup(chan(1 - side));
    }
}

/// Cycles per round trip (two switches) between two kernel threads.
pub fn pingpong(rounds: u64) -> u64 {
    TURN.store(0, Ordering::SeqCst);
    ROUNDS.store(rounds, Ordering::SeqCst);
    let t0 = tsc::read();
    let a = lwp::kthread_create("ping", player, 0).expect("bench thread");
    let b = lwp::kthread_create("pong", player, 1).expect("bench thread");
    lwp::join(a);
    lwp::join(b);
    (tsc::read() - t0) / rounds
}

pub fn run() {
    pingpong(100);
    crate::bench::report(
        "thread switch ping-pong through sleep/wakeup (per round trip, 2 switches)",
        pingpong(10_000),
        "cycles",
    );
}

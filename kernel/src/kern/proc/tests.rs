//! ktests of processes driven by hand-made ring-3 programs: fork and wait
//! from user mode, the zombie record, PIDs, signals to a sleeping process.

use super::ptable;
use crate::kern::error::KResult;
use crate::kern::sched::{lwp, sched::Stat, sleepq};
use crate::kern::sig::{SigInfo, post};
use crate::kern::syscall::ferrite::{SYS_FERRITE_KTEST, op};
use crate::ktest::ktest;
use crate::ktest::user::{EXIT_EDI, SYSCALL, UserProg, code, exited, mov_eax, mov_edi, mov_esi};
use ferrite_abi::signal::SIGKILL;

/// fork(); the child exits 42; the parent waits and exits with the byte
/// of the status that holds the child's exit code.
fn fork_wait_program() -> alloc::vec::Vec<u8> {
    code(&[
        &mov_eax(57), // fork
        &SYSCALL,
        &[0x85, 0xc0],       // test eax, eax
        &[0x74, 0x25],       // jz child (+37)
        &mov_edi(u32::MAX),  // wait4(-1,
        &mov_esi(0x50_0000), //   DATA,
        &[0x31, 0xd2],       //   0,
        &[0x45, 0x31, 0xd2], //   0)
        &mov_eax(61),
        &SYSCALL,
        &[0x0f, 0xb6, 0x3c, 0x25, 0x01, 0x00, 0x50, 0x00], // movzx edi, byte [0x500001]
        &EXIT_EDI,
        // child:
        &mov_edi(42),
        &EXIT_EDI,
    ])
}

#[ktest]
fn fork_and_wait_from_ring_3() -> KResult<()> {
    let text = fork_wait_program();
    // The jz skips 5+5+2+3+5+2+8+7 = 37 bytes, to the child's code.
    assert_eq!(&text[text.len() - 12..text.len() - 7], &mov_edi(42));
    assert_eq!(text[10] as usize, text.len() - 12 - 11);
    let p = UserProg::new(&text)?;
    let before = ptable::lock().nprocs();
    let (_, status) = p.run_proc(|_| {})?;
    assert_eq!(
        status,
        exited(42),
        "the parent saw the child's exit code 42"
    );
    assert_eq!(ptable::lock().nprocs(), before, "parent and child are gone");
    Ok(())
}

#[ktest]
fn pids_grow_and_are_not_reused_at_once() -> KResult<()> {
    let p = UserProg::new(&code(&[&mov_edi(0), &EXIT_EDI]))?;
    let (a, _) = p.run_proc(|_| {})?;
    let (b, _) = p.run_proc(|_| {})?;
    let (c, _) = p.run_proc(|_| {})?;
    assert!(a < b && b < c, "PIDs {a}, {b}, {c} are handed out in order");
    Ok(())
}

#[ktest]
fn sigkill_ends_a_process_sleeping_in_the_kernel() -> KResult<()> {
    // ferrite_ktest(SLEEP_MS, 100 s): an interruptible sleep.
    let p = UserProg::new(&code(&[
        &mov_eax(SYS_FERRITE_KTEST as u32),
        &mov_edi(op::SLEEP_MS as u32),
        &mov_esi(100_000),
        &SYSCALL,
        &mov_edi(7),
        &EXIT_EDI,
    ]))?;
    let (pid, l) = p.start_proc(|_| {})?;
    while lwp::stat_of(&l) != Stat::Sleeping {
        let _ = sleepq::sleep(sleepq::chan(&pid), false, Some(1));
    }
    let target = ptable::lock().find(pid).expect("the process exists");
    post(&target, SigInfo::user(SIGKILL, 0));
    let status = lwp::join(l);
    crate::ktest::user::reap_orphan(pid);
    assert_eq!(status, SIGKILL, "killed by SIGKILL, not exited");
    Ok(())
}

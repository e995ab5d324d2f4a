//! The first process, init (PID 1): made by hand at boot, in its own
//! session and process group, with the console as its standard input,
//! output and error, and started by an exec of `/init` from the initial
//! RAM file system with the arguments the kernel command line gave after
//! `--`. Everything else descends from it. When it exits the kernel powers
//! off (`exit::exit1`).

use super::proc::{Proc, default_rlimits};
use super::ptable;
use crate::arch::x86_64::{qemu, usermode};
use crate::kern::file::FdTable;
use crate::kern::sched::{curlwp, lwp};
use crate::kern::sig::SigState;
use crate::uvm::vmspace::{Vmspace, default_layout};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Once;

static INIT_ARGS: Once<Vec<Vec<u8>>> = Once::new();
static VMSTAT: AtomicBool = AtomicBool::new(false);
static STARTED: AtomicBool = AtomicBool::new(false);

/// True once PID 1 is init (not in the in-kernel test suite, whose own
/// processes may get any PID).
pub fn started() -> bool {
    STARTED.load(Ordering::Relaxed)
}

/// Who adopts orphans: init, or nobody (0) when there is no init.
pub fn reaper() -> super::Pid {
    if started() { 1 } else { 0 }
}

/// Print the pool tables when init exits (`vmstat` on the command line).
pub fn wants_vmstat() -> bool {
    VMSTAT.load(Ordering::Relaxed)
}

/// The environment every program starts with from init.
const ENV: &[&[u8]] = &[b"HOME=/", b"PATH=/bin:/sbin", b"TERM=linux"];

/// Make PID 1 and start it on `/init args...`. Returns; the caller (the
/// boot thread) has nothing left to do.
pub fn start(args: &[String], vmstat: bool) {
    VMSTAT.store(vmstat, Ordering::Relaxed);
    let mut argv: Vec<Vec<u8>> = Vec::new();
    argv.push(b"/init".to_vec());
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    INIT_ARGS.call_once(|| argv);

    let mut files = FdTable::new();
    if let Err(e) = files.install_console_stdio() {
        log::error!(
            "init: no console for stdin/stdout/stderr: {}",
            e.description()
        );
    }
    let p = Proc::new(
        files,
        crate::fs::root(),
        0o022,
        default_rlimits(),
        SigState::new(),
    )
    .expect("no memory for init");
    let pid = ptable::lock()
        .insert(&p, 0, None, None)
        .expect("no PID for init");
    assert_eq!(pid, 1, "init is not PID 1");
    STARTED.store(true, Ordering::Relaxed);
    let vs = Vmspace::new(default_layout()).expect("no memory for init's address space");
    let frame = usermode::initial_frame(0, 0);
    let l = lwp::uthread_prepare_with("init", vs, frame, Some(p.clone()), init_main)
        .expect("no memory for init's thread");
    *p.lwp.lock() = Some(l.clone());
    lwp::start_thread(&l);
}

/// The first code of PID 1 (a kernel function on its thread): exec
/// `/init`, then enter user mode.
fn init_main(_: usize) {
    let argv = INIT_ARGS.get().expect("init arguments");
    let envp: Vec<Vec<u8>> = ENV.iter().map(|e| e.to_vec()).collect();
    let l = curlwp();
    let mut frame = lwp::read_user_frame(l).expect("init has a stack");
    if let Err(e) = super::exec::exec(b"/init", argv, &envp, &mut frame) {
        crate::kprintln!(
            "ferrite: cannot run /init: {} ({}); is the initramfs there? (scripts/run.sh packs it)",
            e.name(),
            e.description()
        );
        qemu::exit(qemu::ExitCode::Failure);
    }
    lwp::write_user_frame(l, frame);
    crate::kern::userret::enter_user_mode()
}

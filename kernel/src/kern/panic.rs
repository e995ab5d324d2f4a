//! The panic path. A panic (or an unrecoverable trap) prints its message and
//! location and a frame-pointer backtrace that the host runner symbolises,
//! tells the ktest framework (which may mark the running test FAILED, or
//! accept an expected panic), and powers the machine off.

use crate::arch::x86_64::{backtrace, qemu, trap::TrapFrame};
use crate::dev::console;
use core::fmt::{self, Write};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static IMAGE_OFFSET: AtomicU64 = AtomicU64::new(0);
static PANICKING: AtomicBool = AtomicBool::new(false);

/// Remember where the bootloader loaded the kernel (printed with panics so
/// a log can be symbolised later).
pub fn set_image_offset(offset: u64) {
    IMAGE_OFFSET.store(offset, Ordering::Relaxed);
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let location = info.location();
    report(
        |out| match location {
            Some(l) => writeln!(out, "panicked at {}:{}:{}:", l.file(), l.line(), l.column()),
            None => writeln!(out, "panicked at <unknown location>:"),
        },
        info.message(),
        |out| backtrace::write(out, backtrace::current_frames()),
    )
}

/// Panic for an unrecoverable trap: `what` says which, `frame` is the
/// interrupted state, `trace` writes the backtrace of the interrupted code.
pub fn trap_panic(
    what: fmt::Arguments<'_>,
    frame: &TrapFrame,
    trace: impl FnOnce(&mut dyn Write) -> fmt::Result,
) -> ! {
    report(
        |out| writeln!(out, "panicked at {:#x} (trap {}):", frame.rip, frame.vector),
        format_args!("{what}\n{frame}"),
        trace,
    )
}

fn report(
    header: impl FnOnce(&mut dyn Write) -> fmt::Result,
    message: impl fmt::Display,
    trace: impl FnOnce(&mut dyn Write) -> fmt::Result,
) -> ! {
    if PANICKING.swap(true, Ordering::SeqCst) {
        console::with_panic_console(|out| {
            let _ = writeln!(out, "panic while panicking: {message}");
        });
        qemu::exit(qemu::ExitCode::Failure);
    }
    let verdict = crate::ktest::on_panic();
    console::with_panic_console(|out| {
        if let crate::ktest::PanicVerdict::Expected(_) = verdict {
            let _ = writeln!(out, "  (expected panic: {message})");
            return;
        }
        let _ = header(out);
        let _ = writeln!(out, "{message}");
        let _ = writeln!(
            out,
            "kernel image offset {:#x}",
            IMAGE_OFFSET.load(Ordering::Relaxed)
        );
        let _ = trace(out);
    });
    crate::ktest::after_panic(verdict)
}

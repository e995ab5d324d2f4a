//! Frame-pointer backtraces. The kernel is built with frame pointers, so each
//! frame starts with the caller's rbp followed by the return address. The walk
//! only dereferences addresses inside a known kernel stack (see `stack`), so a
//! corrupt chain ends the walk instead of causing a second fault.
//!
//! Output format (the host runner symbolises it):
//! ```text
//! backtrace:
//!   #0 0xffffffff80012345
//!   #1 0xffffffff80016789
//! ```

use super::stack;
use core::fmt::{self, Write};

const MAX_FRAMES: usize = 48;

/// Read one 8-byte word of a known kernel stack.
fn read_stack_word(addr: u64) -> Option<u64> {
    if !addr.is_multiple_of(8) || !stack::contains(addr, 8) {
        return None;
    }
    // SAFETY: the address is 8-byte aligned and lies entirely inside a mapped
    // kernel stack (checked just above), so the read cannot fault.
    Some(unsafe { core::ptr::read_volatile(addr as *const u64) })
}

/// The program counters of a call chain: `rip` first, then each return
/// address found by following saved frame pointers from `rbp`.
pub struct Frames {
    next_pc: Option<u64>,
    rbp: u64,
    count: usize,
}

impl Iterator for Frames {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        let pc = self.next_pc.take()?;
        self.count += 1;
        if self.count < MAX_FRAMES
            && let (Some(next_rbp), Some(ret)) =
                (read_stack_word(self.rbp), read_stack_word(self.rbp + 8))
        {
            // Frames must move towards the stack top; a zero return ends the chain.
            if ret != 0 && (next_rbp > self.rbp || next_rbp == 0) {
                self.next_pc = Some(ret);
                self.rbp = next_rbp;
            }
        }
        Some(pc)
    }
}

/// The call chain starting at `rip` in the frame whose base pointer is `rbp`.
pub fn frames_from(rip: u64, rbp: u64) -> Frames {
    Frames {
        next_pc: Some(rip),
        rbp,
        count: 0,
    }
}

/// The call chain of the caller of this function.
#[inline(never)]
pub fn current_frames() -> Frames {
    let rbp: u64;
    // SAFETY: reading rbp has no side effects.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack)) };
    match (read_stack_word(rbp + 8), read_stack_word(rbp)) {
        (Some(ret), Some(caller_rbp)) => frames_from(ret, caller_rbp),
        _ => Frames {
            next_pc: None,
            rbp: 0,
            count: 0,
        },
    }
}

/// Write a call chain in the runner's format.
pub fn write(out: &mut dyn Write, frames: Frames) -> fmt::Result {
    writeln!(out, "backtrace:")?;
    for (n, pc) in frames.enumerate() {
        writeln!(out, "  #{n} {pc:#018x}")?;
    }
    Ok(())
}

//! Traps: the entry stubs for every vector the kernel installs (they push
//! the vector and jump to the common path in `entry`), the saved register
//! state (`TrapFrame`) and the dispatcher that decides what each trap means.
//!
//! - From user mode: a page fault goes to the VM fault routine on the
//!   thread's address space (interrupts on, it may sleep); what it cannot
//!   resolve, and every other exception, becomes a signal for the thread
//!   (`kern::sig::trapsignal`, given a machine-independent `TrapKind`). No
//!   user action reaches the kernel's panic path. Before returning to user
//!   mode, `kern::userret` runs (preemption, signals).
//! - From kernel mode: a page fault at an instruction listed in the
//!   recovery table (`usercopy`) is offered to the VM (user addresses inside
//!   a copy's SMAP window) and otherwise resumes at the fixup; any other
//!   kernel fault, and a kernel access to a user address outside a copy
//!   routine, is a kernel bug: reported (registers, CR2 and the decoded
//!   error code, a backtrace of the interrupted code) and a panic.
//! - The timer interrupt drives the clock (`kern::sched::hardclock`; while
//!   profiling, only every n-th one, the others just take a sample, see
//!   `prof`), and a thread interrupted in the kernel may be preempted on
//!   the way out (`kern::sched::kpreempt`).

use super::{apic, backtrace, cpu, entry, percpu, prof, stack, usercopy};
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

/// RFLAGS bits the kernel looks at.
pub const RFLAGS_IF: u64 = 1 << 9;
pub const RFLAGS_AC: u64 = 1 << 18;

/// Vector of the local APIC timer.
pub const TIMER_VECTOR: u8 = 0x30;
/// Vector of the local APIC spurious interrupt.
pub const SPURIOUS_VECTOR: u8 = 0xff;
/// First vector the legacy PIC is remapped to (it stays masked).
pub const PIC_BASE_VECTOR: u8 = 0x20;

/// Register state saved on the kernel stack at every trap, lowest address first.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    // Pushed by the CPU.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl fmt::Display for TrapFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  rip {:#018x}  cs {:#06x}  rflags {:#010x}",
            self.rip, self.cs, self.rflags
        )?;
        writeln!(
            f,
            "  rsp {:#018x}  ss {:#06x}  error {:#x}",
            self.rsp, self.ss, self.error_code
        )?;
        writeln!(
            f,
            "  rax {:#018x}  rbx {:#018x}  rcx {:#018x}",
            self.rax, self.rbx, self.rcx
        )?;
        writeln!(
            f,
            "  rdx {:#018x}  rsi {:#018x}  rdi {:#018x}",
            self.rdx, self.rsi, self.rdi
        )?;
        writeln!(
            f,
            "  rbp {:#018x}  r8  {:#018x}  r9  {:#018x}",
            self.rbp, self.r8, self.r9
        )?;
        writeln!(
            f,
            "  r10 {:#018x}  r11 {:#018x}  r12 {:#018x}",
            self.r10, self.r11, self.r12
        )?;
        write!(
            f,
            "  r13 {:#018x}  r14 {:#018x}  r15 {:#018x}",
            self.r13, self.r14, self.r15
        )
    }
}

/// Entry stub for a vector where the CPU pushes no error code.
macro_rules! stub_noerr {
    ($name:ident, $vector:expr) => {
        #[unsafe(naked)]
        pub extern "C" fn $name() {
            core::arch::naked_asm!("push 0", "push {v}", "jmp ferrite_trap_common",
                v = const $vector);
        }
    };
}

/// Entry stub for a vector where the CPU pushes an error code.
macro_rules! stub_err {
    ($name:ident, $vector:expr) => {
        #[unsafe(naked)]
        pub extern "C" fn $name() {
            core::arch::naked_asm!("push {v}", "jmp ferrite_trap_common",
                v = const $vector);
        }
    };
}

pub mod stubs {
    stub_noerr!(divide_error, 0);
    stub_noerr!(debug, 1);
    stub_noerr!(nmi, 2);
    stub_noerr!(breakpoint, 3);
    stub_noerr!(overflow, 4);
    stub_noerr!(bound_range, 5);
    stub_noerr!(invalid_opcode, 6);
    stub_noerr!(device_not_available, 7);
    stub_err!(double_fault, 8);
    stub_noerr!(coprocessor_segment_overrun, 9);
    stub_err!(invalid_tss, 10);
    stub_err!(segment_not_present, 11);
    stub_err!(stack_segment_fault, 12);
    stub_err!(general_protection, 13);
    stub_err!(page_fault, 14);
    stub_noerr!(reserved_15, 15);
    stub_noerr!(x87_floating_point, 16);
    stub_err!(alignment_check, 17);
    stub_noerr!(machine_check, 18);
    stub_noerr!(simd_floating_point, 19);
    stub_noerr!(virtualization, 20);
    stub_err!(control_protection, 21);
    stub_noerr!(reserved_22, 22);
    stub_noerr!(reserved_23, 23);
    stub_noerr!(reserved_24, 24);
    stub_noerr!(reserved_25, 25);
    stub_noerr!(reserved_26, 26);
    stub_noerr!(reserved_27, 27);
    stub_noerr!(hypervisor_injection, 28);
    stub_err!(vmm_communication, 29);
    stub_err!(security, 30);
    stub_noerr!(reserved_31, 31);
    stub_noerr!(pic_master_spurious, 0x27);
    stub_noerr!(pic_slave_spurious, 0x2f);
    stub_noerr!(apic_timer, 0x30);
    stub_noerr!(apic_spurious, 0xff);

    /// The 32 exception stubs, indexed by vector.
    pub const EXCEPTIONS: [extern "C" fn(); 32] = [
        divide_error,
        debug,
        nmi,
        breakpoint,
        overflow,
        bound_range,
        invalid_opcode,
        device_not_available,
        double_fault,
        coprocessor_segment_overrun,
        invalid_tss,
        segment_not_present,
        stack_segment_fault,
        general_protection,
        page_fault,
        reserved_15,
        x87_floating_point,
        alignment_check,
        machine_check,
        simd_floating_point,
        virtualization,
        control_protection,
        reserved_22,
        reserved_23,
        reserved_24,
        reserved_25,
        reserved_26,
        reserved_27,
        hypervisor_injection,
        vmm_communication,
        security,
        reserved_31,
    ];
}

const EXCEPTION_NAMES: [&str; 32] = [
    "divide error (#DE)",
    "debug (#DB)",
    "non-maskable interrupt (NMI)",
    "breakpoint (#BP)",
    "overflow (#OF)",
    "bound range exceeded (#BR)",
    "invalid opcode (#UD)",
    "device not available (#NM)",
    "double fault (#DF)",
    "coprocessor segment overrun",
    "invalid TSS (#TS)",
    "segment not present (#NP)",
    "stack-segment fault (#SS)",
    "general protection fault (#GP)",
    "page fault (#PF)",
    "reserved (15)",
    "x87 floating-point exception (#MF)",
    "alignment check (#AC)",
    "machine check (#MC)",
    "SIMD floating-point exception (#XM)",
    "virtualization exception (#VE)",
    "control protection exception (#CP)",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "hypervisor injection (#HV)",
    "VMM communication (#VC)",
    "security exception (#SX)",
    "reserved (31)",
];

/// Human-readable name of an exception vector.
pub fn exception_name(vector: u64) -> &'static str {
    EXCEPTION_NAMES
        .get(vector as usize)
        .copied()
        .unwrap_or("interrupt")
}

/// Decoded page-fault error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFaultCode(pub u64);

impl PageFaultCode {
    pub const PRESENT: u64 = 1 << 0;
    pub const WRITE: u64 = 1 << 1;
    pub const USER: u64 = 1 << 2;
    pub const RESERVED: u64 = 1 << 3;
    pub const INSTRUCTION: u64 = 1 << 4;
    pub const PROTECTION_KEY: u64 = 1 << 5;
    pub const SHADOW_STACK: u64 = 1 << 6;

    /// True if all of `bits` are set.
    pub fn has(self, bits: u64) -> bool {
        self.0 & bits == bits
    }
}

impl fmt::Display for PageFaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cause = if self.has(Self::PRESENT) {
            "protection violation"
        } else {
            "page not present"
        };
        let access = if self.has(Self::INSTRUCTION) {
            "instruction fetch"
        } else if self.has(Self::WRITE) {
            "write"
        } else {
            "read"
        };
        let mode = if self.has(Self::USER) {
            "user"
        } else {
            "kernel"
        };
        write!(f, "{cause}, {mode} {access}")?;
        if self.has(Self::RESERVED) {
            write!(f, ", reserved bit set")?;
        }
        if self.has(Self::PROTECTION_KEY) {
            write!(f, ", protection key")?;
        }
        if self.has(Self::SHADOW_STACK) {
            write!(f, ", shadow stack")?;
        }
        Ok(())
    }
}

/// Statistics of traps the kernel handled and returned from.
pub struct TrapCounters {
    pub breakpoints: AtomicU64,
    pub last_breakpoint_rip: AtomicU64,
    pub timer_ticks: AtomicU64,
    pub spurious: AtomicU64,
}

pub static COUNTERS: TrapCounters = TrapCounters {
    breakpoints: AtomicU64::new(0),
    last_breakpoint_rip: AtomicU64::new(0),
    timer_ticks: AtomicU64::new(0),
    spurious: AtomicU64::new(0),
};

/// Hook run on every timer tick (the ktest watchdog); set once at boot.
static TICK_HOOK: spin::Once<fn(&TrapFrame)> = spin::Once::new();
/// Install the function called on every timer tick, after the tick is counted.
pub fn set_tick_hook(hook: fn(&TrapFrame)) {
    TICK_HOOK.call_once(|| hook);
}

/// A user-mode exception in machine-independent terms, for the signal code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// #DE: integer divide by zero or overflow.
    DivideError,
    /// #DB: single step or hardware breakpoint.
    Debug,
    /// #BP: `int3` (rip is past it).
    Breakpoint,
    /// #UD.
    InvalidOpcode,
    /// #GP (also a user `hlt`, a privileged instruction, a bad `iretq`).
    GeneralProtection,
    /// #NP, #SS: a segment or stack problem.
    StackSegment,
    /// #AC: misaligned access with alignment checking on.
    Alignment,
    /// #MF, #XM: an unmasked x87 or SIMD floating-point exception.
    FloatingPoint,
    /// #PF the VM could not resolve, and why.
    PageFault {
        addr: u64,
        write: bool,
        cause: FaultCause,
    },
    /// Anything else.
    Other(u64),
}

/// Why the VM could not resolve a user page fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultCause {
    /// Nothing is mapped there (SEGV_MAPERR).
    Unmapped,
    /// The mapping does not allow the access (SEGV_ACCERR).
    Protection,
    /// No memory for the page, even after waiting.
    NoMemory,
    /// The pager failed (SIGBUS).
    Io,
}

impl TrapFrame {
    /// True if the frame was saved on entry from user mode.
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// True for a system-call frame (built by the `syscall` entry).
    pub fn is_syscall(&self) -> bool {
        self.vector == entry::SYSCALL_VECTOR
    }
}

pub(super) extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let from_user = frame.from_user();
    match frame.vector {
        v if v == TIMER_VECTOR as u64 => {
            let cpu = percpu::this_cpu();
            cpu.intr_enter();
            // While profiling, most timer interrupts only take a sample.
            let clock_tick = prof::on_timer(frame);
            if clock_tick {
                COUNTERS.timer_ticks.fetch_add(1, Ordering::Relaxed);
            }
            apic::end_of_interrupt();
            if clock_tick {
                if let Some(hook) = TICK_HOOK.get() {
                    hook(frame);
                }
                crate::kern::sched::hardclock();
            }
            cpu.intr_exit();
        }
        v if v == SPURIOUS_VECTOR as u64 || v == 0x27 || v == 0x2f => {
            COUNTERS.spurious.fetch_add(1, Ordering::Relaxed);
        }
        14 => page_fault(frame),
        8 => double_fault(frame),
        2 | 18 => fatal(frame, format_args!("{}", exception_name(frame.vector))),
        v if from_user => user_exception(frame, v),
        3 => {
            // #BP is a trap: rip already points after the int3, just return.
            COUNTERS.breakpoints.fetch_add(1, Ordering::Relaxed);
            COUNTERS
                .last_breakpoint_rip
                .store(frame.rip, Ordering::Relaxed);
            log::info!("breakpoint at {:#x}", frame.rip - 1);
        }
        13 if frame.rip == entry::iretq_addr() => bad_iret(frame),
        v => fatal(frame, format_args!("{} in kernel mode", exception_name(v))),
    }
    if from_user {
        crate::kern::userret::userret(frame);
    } else if frame.rflags & RFLAGS_IF != 0 {
        crate::kern::sched::kpreempt();
    }
}

fn user_exception(frame: &mut TrapFrame, vector: u64) {
    let kind = match vector {
        0 => TrapKind::DivideError,
        1 => TrapKind::Debug,
        3 => TrapKind::Breakpoint,
        6 => TrapKind::InvalidOpcode,
        13 => TrapKind::GeneralProtection,
        11 | 12 => TrapKind::StackSegment,
        17 => TrapKind::Alignment,
        16 | 19 => TrapKind::FloatingPoint,
        v => TrapKind::Other(v),
    };
    crate::kern::sig::trapsignal(frame, kind);
}

/// `iretq` to user mode faulted (#GP in kernel mode at `ferrite_iretq`):
/// the user frame it tried to load is bad (a non-canonical rip, say). The
/// registers were already restored from the user frame, so the fault's own
/// frame holds the user's general registers; put them back into the user
/// frame, then handle the fault as the program's #GP and leave through the
/// user frame (this nested frame is abandoned).
fn bad_iret(frame: &mut TrapFrame) {
    let (_, top) = percpu::this_cpu().kernel_stack();
    let user = (top - core::mem::size_of::<TrapFrame>() as u64) as *mut TrapFrame;
    // The iretq that faulted was returning through this frame.
    // SAFETY: the current thread's own user frame atop its kernel stack; nothing else refers to it now.
    let uf = unsafe { &mut *user };
    let (rip, cs, rflags, rsp, ss) = (uf.rip, uf.cs, uf.rflags, uf.rsp, uf.ss);
    *uf = TrapFrame {
        vector: 13,
        error_code: 0,
        rip,
        cs,
        rflags,
        rsp,
        ss,
        ..*frame
    };
    log::debug!("iretq to user rip {rip:#x} faulted: #GP for the program");
    crate::kern::sig::trapsignal(uf, TrapKind::GeneralProtection);
    crate::kern::userret::userret(uf);
    // SAFETY: `uf` is the current thread's user frame, validated again by
    // userret (which leaves interrupts off); the nested frame is dead.
    unsafe { entry::return_to_user(uf) }
}

/// USER_END: first address past the user half.
const USER_END: u64 = 0x0000_8000_0000_0000;

fn page_fault(frame: &mut TrapFrame) {
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    let code = PageFaultCode(frame.error_code);
    if frame.from_user() {
        // The VM may sleep: take further interrupts while it works.
        x86_64::instructions::interrupts::enable();
        let r = crate::uvm::fault::user_fault(cr2, code);
        x86_64::instructions::interrupts::disable();
        if let Err(cause) = r {
            let kind = TrapKind::PageFault {
                addr: cr2,
                write: code.has(PageFaultCode::WRITE),
                cause,
            };
            crate::kern::sig::trapsignal(frame, kind);
        }
        return;
    }
    // An `ferrite_probe_exec` whose target could not be fetched: the probe
    // pushed its return address and nothing else; emulate `ret`.
    if code.has(PageFaultCode::INSTRUCTION)
        && frame.rip == cr2
        && stack::contains(frame.rsp, 8)
        && read_stack(frame.rsp) == usercopy::probe_exec_return()
    {
        frame.rip = usercopy::probe_exec_return();
        frame.rsp += 8;
        set_fixup_result(frame, cr2, code);
        return;
    }
    let fixup = usercopy::fixup_for(frame.rip);
    if cr2 < USER_END {
        // A user address. Only a listed copy routine, inside its SMAP
        // window, may have it resolved; a plain kernel access (AC clear) is
        // a bug, never "resolved" and retried.
        let in_window = !cpu::smap_on() || frame.rflags & RFLAGS_AC != 0;
        if let Some(fix) = fixup {
            if in_window {
                if frame.rflags & RFLAGS_IF != 0 {
                    x86_64::instructions::interrupts::enable();
                }
                let ok = crate::uvm::fault::copy_fault(cr2, code);
                x86_64::instructions::interrupts::disable();
                if ok {
                    return;
                }
            }
            frame.rip = fix;
            set_fixup_result(frame, cr2, code);
            return;
        }
        fatal(
            frame,
            format_args!(
                "kernel access to user address {cr2:#x} outside a copy routine ({code}{})",
                if in_window { "" } else { ", SMAP" }
            ),
        );
    }
    if let Some(fix) = fixup {
        frame.rip = fix;
        set_fixup_result(frame, cr2, code);
        return;
    }
    fatal(frame, format_args!("page fault at {cr2:#x}: {code}"));
}

/// What a recovered routine returns: `rax` = fault marker | error code,
/// `rdx` = the address (see `usercopy::ProbeResult`).
fn set_fixup_result(frame: &mut TrapFrame, cr2: u64, code: PageFaultCode) {
    frame.rax = usercopy::FAULT_BIT | code.0;
    frame.rdx = cr2;
}

fn read_stack(addr: u64) -> u64 {
    // SAFETY: the caller checked that `addr` lies inside a known, mapped
    // kernel stack (stack::contains).
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn double_fault(frame: &mut TrapFrame) {
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    let (guard_lo, guard_hi) = stack::boot_stack_guard();
    if (guard_lo..guard_hi).contains(&cr2) || (guard_lo..guard_hi).contains(&frame.rsp) {
        fatal(
            frame,
            format_args!(
                "kernel stack overflow: guard page {guard_lo:#x} of the boot stack hit (cr2 {cr2:#x}, rsp {:#x})",
                frame.rsp
            ),
        );
    }
    if let Some((lo, hi)) = stack::thread_stack_guard()
        && ((lo..hi).contains(&cr2) || (lo..hi).contains(&frame.rsp))
    {
        let name = crate::kern::sched::panic_thread_name();
        fatal(
            frame,
            format_args!(
                "kernel stack overflow: guard page {lo:#x} of thread '{name}' hit (cr2 {cr2:#x}, rsp {:#x})",
                frame.rsp
            ),
        );
    }
    fatal(frame, format_args!("double fault (cr2 {cr2:#x})"));
}

/// Report an unrecoverable trap with registers and a backtrace of the
/// interrupted code, then panic (which ends the test or powers off).
pub fn fatal(frame: &TrapFrame, what: fmt::Arguments<'_>) -> ! {
    crate::kern::panic::trap_panic(what, frame, |out| {
        backtrace::write(out, backtrace::frames_from(frame.rip, frame.rbp))
    })
}

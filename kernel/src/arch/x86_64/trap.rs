//! Trap entry: the assembly stubs for every vector the kernel installs, the
//! saved register state (`TrapFrame`) and the dispatcher that decides what
//! each trap means. Exceptions the kernel cannot recover from are reported
//! (registers, CR2 and the decoded page-fault error code, a backtrace of the
//! interrupted code) and end in a kernel panic.

use super::{apic, backtrace, probe, stack};
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

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

/// The common part of every entry stub: save the general registers, call
/// `trap_dispatch(&mut TrapFrame)`, restore and return from the interrupt.
#[unsafe(naked)]
extern "C" fn trap_common() {
    core::arch::naked_asm!(
        "push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push rbp",
        "push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
        "mov rdi, rsp",
        "cld",
        "call {dispatch}",
        "pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10", "pop r9", "pop r8",
        "pop rbp", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rbx", "pop rax",
        "add rsp, 16",
        "iretq",
        dispatch = sym trap_dispatch,
    );
}

/// Entry stub for a vector where the CPU pushes no error code.
macro_rules! stub_noerr {
    ($name:ident, $vector:expr) => {
        #[unsafe(naked)]
        pub extern "C" fn $name() {
            core::arch::naked_asm!("push 0", "push {v}", "jmp {common}",
                v = const $vector, common = sym trap_common);
        }
    };
}

/// Entry stub for a vector where the CPU pushes an error code.
macro_rules! stub_err {
    ($name:ident, $vector:expr) => {
        #[unsafe(naked)]
        pub extern "C" fn $name() {
            core::arch::naked_asm!("push {v}", "jmp {common}",
                v = const $vector, common = sym trap_common);
        }
    };
}

pub mod stubs {
    use super::trap_common;
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

/// Hook asked to resolve a page fault (the VM fault routine): given the
/// faulting address and error code, true if it made the access possible
/// (the instruction is then retried).
static FAULT_HOOK: spin::Once<fn(u64, PageFaultCode) -> bool> = spin::Once::new();

/// Install the VM fault routine.
pub fn set_fault_hook(hook: fn(u64, PageFaultCode) -> bool) {
    FAULT_HOOK.call_once(|| hook);
}

/// Install the function called on every timer tick, after the tick is counted.
pub fn set_tick_hook(hook: fn(&TrapFrame)) {
    TICK_HOOK.call_once(|| hook);
}

extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    match frame.vector {
        3 => {
            // #BP is a trap: rip already points after the int3, just return.
            COUNTERS.breakpoints.fetch_add(1, Ordering::Relaxed);
            COUNTERS
                .last_breakpoint_rip
                .store(frame.rip, Ordering::Relaxed);
            log::info!("breakpoint at {:#x}", frame.rip - 1);
        }
        14 => page_fault(frame),
        8 => double_fault(frame),
        v if v == TIMER_VECTOR as u64 => {
            COUNTERS.timer_ticks.fetch_add(1, Ordering::Relaxed);
            apic::end_of_interrupt();
            if let Some(hook) = TICK_HOOK.get() {
                hook(frame);
            }
        }
        v if v == SPURIOUS_VECTOR as u64 || v == 0x27 || v == 0x2f => {
            COUNTERS.spurious.fetch_add(1, Ordering::Relaxed);
        }
        v => fatal(frame, format_args!("{} in kernel mode", exception_name(v))),
    }
}

fn page_fault(frame: &mut TrapFrame) {
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    let code = PageFaultCode(frame.error_code);
    if let Some(hook) = FAULT_HOOK.get()
        && hook(cr2, code)
    {
        return;
    }
    if probe::recover(frame, cr2, code) {
        return;
    }
    fatal(frame, format_args!("page fault at {cr2:#x}: {code}"));
}

fn double_fault(frame: &mut TrapFrame) {
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    let (guard_lo, guard_hi) = stack::boot_stack_guard();
    if (guard_lo..guard_hi).contains(&cr2) || (guard_lo..guard_hi).contains(&frame.rsp) {
        fatal(
            frame,
            format_args!(
                "kernel stack overflow: guard page {guard_lo:#x} hit (cr2 {cr2:#x}, rsp {:#x})",
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

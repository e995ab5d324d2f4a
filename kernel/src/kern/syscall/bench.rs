//! Benchmarks of the user/kernel boundary (guest instructions under
//! `-icount`): the null system call round trip from ring 3 and the user
//! page fault round trip (zero fill), both timed by the ring-3 program
//! itself with `rdtsc` around a loop, so only the boundary is measured.

use crate::ktest::user::{DATA, EXIT_EDI, SYSCALL, UserProg, code, mov_eax};
use crate::uvm::VmProt;
use crate::uvm::map::MapRequest;
use crate::uvm::vmspace::PAGE;

/// rdtsc into r13 (start).
const RDTSC_TO_R13: &[u8] = &[
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xc2, // or rdx, rax
    0x49, 0x89, 0xd5, // mov r13, rdx
];

/// rdtsc - r13 into [rsi], then exit(0).
const RDTSC_STORE_EXIT: &[u8] = &[
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xc2, // or rdx, rax
    0x4c, 0x29, 0xea, // sub rdx, r13
    0x48, 0x89, 0x16, // mov [rsi], rdx
    0x31, 0xff, // xor edi, edi
];

fn mov_r12d(n: u32) -> [u8; 6] {
    let b = n.to_le_bytes();
    [0x41, 0xbc, b[0], b[1], b[2], b[3]]
}

/// Cycles per getppid round trip from ring 3.
pub fn syscall_null(n: u32) -> u64 {
    let text = code(&[
        &mov_r12d(n),
        RDTSC_TO_R13,
        // loop: getppid (keeps rsi: the syscall clobbers rcx and r11 only)
        &mov_eax(ferrite_abi::syscall::SYS_getppid as u32),
        &SYSCALL,
        &[0x41, 0xff, 0xcc], // dec r12d
        &[0x75, 0xf4],       // jnz loop (-12)
        RDTSC_STORE_EXIT,
        &EXIT_EDI,
    ]);
    let p = UserProg::new(&text).expect("bench program");
    p.run(|f| f.rsi = DATA).expect("bench run");
    p.data_u64(0) / n as u64
}

/// Cycles per zero-fill page fault from ring 3 (write one byte per page).
pub fn user_zero_fill(pages: u32) -> u64 {
    let text = code(&[
        &mov_r12d(pages),
        RDTSC_TO_R13,
        // loop:
        &[0xc6, 0x07, 0x01],                         // mov byte [rdi], 1
        &[0x48, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00], // add rdi, 4096
        &[0x41, 0xff, 0xcc],                         // dec r12d
        &[0x75, 0xf1],                               // jnz loop (-15)
        RDTSC_STORE_EXIT,
        &EXIT_EDI,
    ]);
    let p = UserProg::new(&text).expect("bench program");
    let area =
        p.vs.map(MapRequest::anon(
            pages as u64 * PAGE,
            VmProt::READ | VmProt::WRITE,
        ))
        .expect("bench area");
    p.run(|f| {
        f.rdi = area;
        f.rsi = DATA;
    })
    .expect("bench run");
    p.data_u64(0) / pages as u64
}

/// Run the boundary benchmarks.
pub fn run() {
    // A first run warms QEMU's translation caches.
    syscall_null(100);
    crate::bench::report(
        "null system call round trip (getppid from ring 3)",
        syscall_null(10_000),
        "cycles",
    );
    user_zero_fill(64);
    crate::bench::report(
        "user page fault round trip, zero fill (ring 3 write loop)",
        user_zero_fill(4096),
        "cycles",
    );
}

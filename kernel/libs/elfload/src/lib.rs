//! exec's layout arithmetic for static x86_64 ELF executables.
//!
//! This crate owns the decisions `execve` makes from the bytes of an
//! executable and its arguments, with no I/O and no address space:
//! - [`LoadPlan`] ([`plan`]): validate the ELF header and program headers
//!   (with the `elf` crate) and compute the load bias, the page-aligned
//!   file mappings and zero-fill regions, the bytes to clear or copy after
//!   mapping, the entry point, AT_PHDR and the initial break;
//! - [`build_stack`] ([`stack`]): the byte image of the initial stack
//!   (strings, AT_RANDOM bytes, auxiliary vector, envp, argv, argc) and
//!   the argument limits.
//!
//! The kernel gives the first page of the file (the program headers are
//! there in practice; when they are not, [`ElfError::NeedMore`] says which
//! bytes to read), maps what the plan says, applies the fixups, maps the
//! stack and copies the image. Programs with an interpreter (PT_INTERP)
//! are refused with [`ElfError::Interpreter`] (ENOEXEC). Every error is a
//! value; no input makes the crate panic.
//!
//! ```
//! use ferrite_elfload::*;
//!
//! // A minimal ET_EXEC: one R+X segment mapping the first page at 0x400000
//! // and an RW segment with 0x20 file bytes and 0x2000 bytes in memory.
//! let mut f = vec![0u8; 0x1100];
//! f[..4].copy_from_slice(b"\x7fELF");
//! f[4] = 2; f[5] = 1; f[6] = 1;                              // ELF64, LE, v1
//! f[16..18].copy_from_slice(&2u16.to_le_bytes());             // ET_EXEC
//! f[18..20].copy_from_slice(&62u16.to_le_bytes());            // x86_64
//! f[20..24].copy_from_slice(&1u32.to_le_bytes());
//! f[24..32].copy_from_slice(&0x401000u64.to_le_bytes());      // entry
//! f[32..40].copy_from_slice(&64u64.to_le_bytes());            // e_phoff
//! f[54..56].copy_from_slice(&56u16.to_le_bytes());            // e_phentsize
//! f[56..58].copy_from_slice(&2u16.to_le_bytes());             // e_phnum
//! let mut ph = |i: usize, flags: u32, off: u64, va: u64, filesz: u64, memsz: u64| {
//!     let p = &mut f[64 + 56 * i..][..56];
//!     p[0..4].copy_from_slice(&1u32.to_le_bytes());           // PT_LOAD
//!     p[4..8].copy_from_slice(&flags.to_le_bytes());
//!     for (at, v) in [(8, off), (16, va), (24, va), (32, filesz), (40, memsz), (48, 0x1000)] {
//!         p[at..at + 8].copy_from_slice(&v.to_le_bytes());
//!     }
//! };
//! ph(0, 5, 0, 0x400000, 0x1100, 0x1100);
//! ph(1, 6, 0x1100, 0x402100, 0x20, 0x2000);
//!
//! let plan = LoadPlan::new(&f[..4096], &LoadParams::default()).unwrap();
//! assert_eq!(plan.entry, 0x401000);
//! assert_eq!(plan.phdr_addr, 0x400040);
//! let rx = Prot::READ | Prot::EXEC;
//! let rw = Prot::READ | Prot::WRITE;
//! assert_eq!(plan.mappings, [
//!     Mapping::FileMap { vaddr: 0x400000, len: 0x2000, file_offset: 0, prot: rx },
//!     Mapping::FileMap { vaddr: 0x402000, len: 0x1000, file_offset: 0x1000, prot: rw },
//!     Mapping::ZeroFill { vaddr: 0x403000, len: 0x2000, prot: rw },
//! ]);
//! assert_eq!(plan.fixups, [Fixup::ZeroTail { vaddr: 0x402120, len: 0xee0 }]);
//! assert_eq!(plan.brk_start, 0x405000);
//!
//! // The initial stack.
//! let args = StackArgs {
//!     argv: &[b"prog", b"-v"],
//!     envp: &[b"HOME=/"],
//!     execfn: b"/bin/prog",
//!     platform: b"x86_64",
//!     random: [7; 16],
//!     stack_limit: 8 << 20,
//! };
//! let img = build_stack(0x7fff_ffff_f000, &args, &AuxvInputs::from_plan(&plan)).unwrap();
//! assert_eq!(img.sp % 16, 0);
//! assert_eq!(img.bytes[..8], 2u64.to_le_bytes()); // argc
//! assert_eq!(img.start + img.bytes.len() as u64, 0x7fff_ffff_f000);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod error;
mod header;
pub mod plan;
pub mod stack;

pub use error::{ElfError, SegmentProblem};
pub use header::{EHDR_SIZE, PHDR_SIZE};
pub use plan::{ElfKind, Fixup, LoadParams, LoadPlan, Mapping};
pub use stack::{AuxvInputs, StackArgs, StackError, StackImage, build_stack};

/// The page size.
pub const PAGE_SIZE: u64 = 4096;

/// Page protection of a mapping; the bits are the `PROT_*` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Prot(u8);

impl Prot {
    /// No access.
    pub const NONE: Prot = Prot(0);
    /// Readable (`PROT_READ`).
    pub const READ: Prot = Prot(ferrite_abi::mman::PROT_READ as u8);
    /// Writable (`PROT_WRITE`).
    pub const WRITE: Prot = Prot(ferrite_abi::mman::PROT_WRITE as u8);
    /// Executable (`PROT_EXEC`).
    pub const EXEC: Prot = Prot(ferrite_abi::mman::PROT_EXEC as u8);

    /// The `PROT_*` bits.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Prot) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for Prot {
    type Output = Prot;
    fn bitor(self, o: Prot) -> Prot {
        Prot(self.0 | o.0)
    }
}

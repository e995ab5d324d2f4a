//! Auxiliary-vector entry types (include/uapi/linux/auxvec.h and x86's
//! auxvec.h): the `(type, value)` pairs exec puts above envp.

use crate::flagfmt::{Named, names};

/// End of the vector.
pub const AT_NULL: u64 = 0;
/// Entry to ignore.
pub const AT_IGNORE: u64 = 1;
/// Descriptor of the program (binfmt_misc).
pub const AT_EXECFD: u64 = 2;
/// Address of the program headers.
pub const AT_PHDR: u64 = 3;
/// Size of a program header.
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// Page size.
pub const AT_PAGESZ: u64 = 6;
/// Load address of the interpreter (0 without one).
pub const AT_BASE: u64 = 7;
/// Flags (0).
pub const AT_FLAGS: u64 = 8;
/// The program's entry point.
pub const AT_ENTRY: u64 = 9;
/// The program is not ELF.
pub const AT_NOTELF: u64 = 10;
/// Real user ID.
pub const AT_UID: u64 = 11;
/// Effective user ID.
pub const AT_EUID: u64 = 12;
/// Real group ID.
pub const AT_GID: u64 = 13;
/// Effective group ID.
pub const AT_EGID: u64 = 14;
/// Address of the platform string ("x86_64").
pub const AT_PLATFORM: u64 = 15;
/// CPU capabilities (CPUID.1:EDX on x86).
pub const AT_HWCAP: u64 = 16;
/// Clock ticks per second (100).
pub const AT_CLKTCK: u64 = 17;
/// Secure mode (setuid exec).
pub const AT_SECURE: u64 = 23;
/// Address of the base platform string.
pub const AT_BASE_PLATFORM: u64 = 24;
/// Address of 16 random bytes.
pub const AT_RANDOM: u64 = 25;
/// More CPU capabilities.
pub const AT_HWCAP2: u64 = 26;
/// rseq supported feature size.
pub const AT_RSEQ_FEATURE_SIZE: u64 = 27;
/// rseq allocation alignment.
pub const AT_RSEQ_ALIGN: u64 = 28;
/// Even more CPU capabilities.
pub const AT_HWCAP3: u64 = 29;
/// Even more CPU capabilities.
pub const AT_HWCAP4: u64 = 30;
/// Address of the executed file name.
pub const AT_EXECFN: u64 = 31;
/// Address of the vDSO's ELF header.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// The minimal signal stack size the kernel's frame needs.
pub const AT_MINSIGSTKSZ: u64 = 51;

const NAMES: &[(i64, &str)] = names!(i64;
    AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS,
    AT_ENTRY, AT_NOTELF, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK,
    AT_SECURE, AT_BASE_PLATFORM, AT_RANDOM, AT_HWCAP2, AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN,
    AT_HWCAP3, AT_HWCAP4, AT_EXECFN, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ);

/// An auxv type, e.g. `AT_PHDR`.
pub fn fmt_auxv_type(ty: u64) -> Named {
    Named::new(ty as i64, NAMES)
}

//! arch_prctl(2) codes (arch/x86/include/uapi/asm/prctl.h).

use crate::flagfmt::{Named, names};

/// Set the GS base.
pub const ARCH_SET_GS: i32 = 0x1001;
/// Set the FS base (the TLS pointer).
pub const ARCH_SET_FS: i32 = 0x1002;
/// Get the FS base.
pub const ARCH_GET_FS: i32 = 0x1003;
/// Get the GS base.
pub const ARCH_GET_GS: i32 = 0x1004;
/// Whether CPUID faults.
pub const ARCH_GET_CPUID: i32 = 0x1011;
/// Make CPUID fault or not.
pub const ARCH_SET_CPUID: i32 = 0x1012;
/// Map the x32 vDSO.
pub const ARCH_MAP_VDSO_X32: i32 = 0x2001;
/// Map the 32-bit vDSO.
pub const ARCH_MAP_VDSO_32: i32 = 0x2002;
/// Map the 64-bit vDSO.
pub const ARCH_MAP_VDSO_64: i32 = 0x2003;

const NAMES: &[(i64, &str)] = names!(i64;
    ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS, ARCH_GET_CPUID, ARCH_SET_CPUID,
    ARCH_MAP_VDSO_X32, ARCH_MAP_VDSO_32, ARCH_MAP_VDSO_64);

/// An arch_prctl code, e.g. `ARCH_SET_FS`.
pub fn fmt_arch_prctl_code(code: i32) -> Named {
    Named::new(code as i64, NAMES).hex()
}

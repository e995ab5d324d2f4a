//! The initial process stack exec builds (System V x86_64 ABI, laid out
//! the way Linux's `create_elf_tables` and `copy_strings` do).
//!
//! This module owns the byte image of the stack and the argument limits;
//! it does not allocate the stack mapping or copy anything to user space:
//! the kernel maps `[start, top)` and copies `bytes` there.
//!
//! From the top down:
//! - 8 zero bytes (`top - 8` is where Linux starts);
//! - the strings: `argv[0] .. argv[argc-1]`, `envp[0] .. envp[envc-1]`, then
//!   the executable's name (AT_EXECFN) highest, each NUL-terminated and
//!   contiguous (so `/proc/pid/cmdline` is `[arg_start, arg_end)`);
//! - alignment down to 16 bytes;
//! - the platform string ("x86_64", AT_PLATFORM), then the 16 AT_RANDOM
//!   bytes right below it;
//! - padding so that the final `sp` is 16-byte aligned;
//! - from `sp` up: argc, the argv pointers and NULL, the envp pointers and
//!   NULL, the auxiliary vector ending with AT_NULL.
//!
//! Limits (Linux's `bprm_stack_limits` and `valid_arg_len`): each string,
//! with its NUL, at most [`MAX_ARG_STRLEN`]; all strings (including the
//! executable name) plus one pointer per argument and environment string
//! at most a quarter of the stack limit, capped at 6 MiB and at least
//! 128 KiB. Like Linux since 5.18, an empty argv is replaced by one empty
//! string so that `argv[0]` always exists.

use alloc::vec::Vec;

use ferrite_abi::Errno;
use ferrite_abi::auxv::*;

use crate::LoadPlan;

/// The longest argument or environment string, NUL included (32 pages).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The smallest argument-space limit whatever the stack limit (Linux's
/// `ARG_MAX`, 32 pages).
pub const ARG_SPACE_MIN: u64 = 32 * 4096;

/// The largest argument-space limit: three quarters of the default 8 MiB
/// stack limit (`_STK_LIM / 4 * 3`).
pub const ARG_SPACE_MAX: u64 = (8 << 20) / 4 * 3;

/// Why the stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackError {
    /// An argument or environment string is longer than
    /// [`MAX_ARG_STRLEN`], or they take more than the argument space, or
    /// the image does not fit below `top`.
    TooBig,
    /// The image buffer could not be allocated.
    NoMem,
}

impl StackError {
    /// The errno execve returns: E2BIG or ENOMEM.
    pub fn errno(&self) -> Errno {
        match self {
            StackError::TooBig => Errno::E2BIG,
            StackError::NoMem => Errno::ENOMEM,
        }
    }
}

impl core::fmt::Display for StackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            StackError::TooBig => "argument list too long",
            StackError::NoMem => "out of memory for the stack image",
        })
    }
}

impl core::error::Error for StackError {}

/// The values of the auxiliary vector that do not point into the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuxvInputs {
    /// AT_PHDR.
    pub phdr: u64,
    /// AT_PHENT.
    pub phent: u64,
    /// AT_PHNUM.
    pub phnum: u64,
    /// AT_ENTRY.
    pub entry: u64,
    /// AT_BASE: the interpreter's base, 0 without one (a static PIE takes
    /// a non-zero AT_BASE for an interpreter's).
    pub base: u64,
    /// AT_FLAGS (0).
    pub flags: u64,
    /// AT_UID.
    pub uid: u32,
    /// AT_EUID.
    pub euid: u32,
    /// AT_GID.
    pub gid: u32,
    /// AT_EGID.
    pub egid: u32,
    /// AT_SECURE (set-ID exec).
    pub secure: bool,
    /// AT_HWCAP (CPUID.1:EDX).
    pub hwcap: u64,
    /// AT_HWCAP2, if any.
    pub hwcap2: Option<u64>,
    /// AT_PAGESZ.
    pub pagesz: u64,
    /// AT_CLKTCK (100).
    pub clktck: u64,
    /// AT_MINSIGSTKSZ: the signal frame size, if reported.
    pub minsigstksz: Option<u64>,
    /// AT_SYSINFO_EHDR: the vDSO's address, if one is mapped.
    pub sysinfo_ehdr: Option<u64>,
}

impl AuxvInputs {
    /// The inputs for a loaded plan: its AT_PHDR/PHENT/PHNUM/ENTRY, base
    /// and flags 0, root IDs, not secure, no hardware capabilities, 4 KiB
    /// pages, 100 ticks per second, no AT_MINSIGSTKSZ, no vDSO. Adjust the
    /// fields that differ.
    pub fn from_plan(plan: &LoadPlan) -> AuxvInputs {
        AuxvInputs {
            phdr: plan.phdr_addr,
            phent: plan.phent,
            phnum: plan.phnum,
            entry: plan.entry,
            base: 0,
            flags: 0,
            uid: 0,
            euid: 0,
            gid: 0,
            egid: 0,
            secure: false,
            hwcap: 0,
            hwcap2: None,
            pagesz: crate::PAGE_SIZE,
            clktck: 100,
            minsigstksz: None,
            sysinfo_ehdr: None,
        }
    }
}

/// The strings and limits of one exec.
#[derive(Clone, Copy, Debug)]
pub struct StackArgs<'a> {
    /// The argument strings, without NULs (must not contain NUL).
    pub argv: &'a [&'a [u8]],
    /// The environment strings, without NULs.
    pub envp: &'a [&'a [u8]],
    /// The executable's path as given to execve (AT_EXECFN).
    pub execfn: &'a [u8],
    /// The platform string (AT_PLATFORM), `b"x86_64"`; empty for none.
    pub platform: &'a [u8],
    /// The 16 bytes AT_RANDOM points to.
    pub random: [u8; 16],
    /// The stack size limit (RLIMIT_STACK's soft limit).
    pub stack_limit: u64,
}

/// The initial stack: `bytes` is the content of `[start, top)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    /// The bytes to copy to `[start, top)`.
    pub bytes: Vec<u8>,
    /// Lowest address of the image (equal to `sp`).
    pub start: u64,
    /// The initial stack pointer: 16-byte aligned, pointing at argc.
    pub sp: u64,
    /// argc (at least 1).
    pub argc: u64,
    /// Address of the argv pointer array.
    pub argv: u64,
    /// Address of the envp pointer array.
    pub envp: u64,
    /// Address of the auxiliary vector.
    pub auxv: u64,
    /// The argument strings: `[arg_start, arg_end)`.
    pub arg_start: u64,
    /// End of the argument strings.
    pub arg_end: u64,
    /// The environment strings: `[env_start, env_end)`.
    pub env_start: u64,
    /// End of the environment strings.
    pub env_end: u64,
    /// Address of the executable name (AT_EXECFN).
    pub execfn: u64,
    /// Address of the platform string (AT_PLATFORM), 0 if none.
    pub platform: u64,
    /// Address of the random bytes (AT_RANDOM).
    pub random: u64,
}

/// The argument-space limit for a stack limit (Linux's
/// `bprm_stack_limits`, before subtracting the pointers).
pub fn arg_space_limit(stack_limit: u64) -> u64 {
    ARG_SPACE_MAX.min(stack_limit / 4).max(ARG_SPACE_MIN)
}

/// Build the initial stack below `top` (see the module documentation).
pub fn build_stack(
    top: u64,
    args: &StackArgs<'_>,
    aux: &AuxvInputs,
) -> Result<StackImage, StackError> {
    const EMPTY: &[&[u8]] = &[b""];
    let argv = if args.argv.is_empty() {
        EMPTY
    } else {
        args.argv
    };
    let (argc, envc) = (argv.len() as u64, args.envp.len() as u64);

    // Limits, before any arithmetic on addresses.
    let all = argv
        .iter()
        .chain(args.envp)
        .chain(core::iter::once(&args.execfn));
    let mut strings: u64 = 0;
    for s in all {
        if s.len() + 1 > MAX_ARG_STRLEN {
            return Err(StackError::TooBig);
        }
        strings += s.len() as u64 + 1;
    }
    let ptrs = (argc + envc) * 8;
    let limit = arg_space_limit(args.stack_limit);
    if limit <= ptrs || strings > limit - ptrs {
        return Err(StackError::TooBig);
    }

    // Addresses, top down (checked: a tiny `top` must fail, not wrap).
    let sub = |a: u64, b: u64| a.checked_sub(b).ok_or(StackError::TooBig);
    let execfn = sub(top, 8 + args.execfn.len() as u64 + 1)?;
    let env_end = execfn;
    let env_len: u64 = args.envp.iter().map(|s| s.len() as u64 + 1).sum();
    let env_start = sub(env_end, env_len)?;
    let arg_end = env_start;
    let arg_len: u64 = argv.iter().map(|s| s.len() as u64 + 1).sum();
    let arg_start = sub(arg_end, arg_len)?;
    let mut p = arg_start & !15;
    let platform = if args.platform.is_empty() {
        0
    } else {
        p = sub(p, args.platform.len() as u64 + 1)?;
        p
    };
    let random = sub(p, 16)?;
    p = random;

    // The auxiliary vector, in Linux's order.
    let mut auxv: [(u64, u64); 24] = [(0, 0); 24];
    let mut na = 0;
    let mut put = |t: u64, v: u64| {
        auxv[na] = (t, v);
        na += 1;
    };
    if let Some(v) = aux.sysinfo_ehdr {
        put(AT_SYSINFO_EHDR, v);
    }
    if let Some(v) = aux.minsigstksz {
        put(AT_MINSIGSTKSZ, v);
    }
    put(AT_HWCAP, aux.hwcap);
    put(AT_PAGESZ, aux.pagesz);
    put(AT_CLKTCK, aux.clktck);
    put(AT_PHDR, aux.phdr);
    put(AT_PHENT, aux.phent);
    put(AT_PHNUM, aux.phnum);
    put(AT_BASE, aux.base);
    put(AT_FLAGS, aux.flags);
    put(AT_ENTRY, aux.entry);
    put(AT_UID, aux.uid as u64);
    put(AT_EUID, aux.euid as u64);
    put(AT_GID, aux.gid as u64);
    put(AT_EGID, aux.egid as u64);
    put(AT_SECURE, aux.secure as u64);
    put(AT_RANDOM, random);
    if let Some(v) = aux.hwcap2 {
        put(AT_HWCAP2, v);
    }
    put(AT_EXECFN, execfn);
    if platform != 0 {
        put(AT_PLATFORM, platform);
    }
    put(AT_NULL, 0);

    // sp: below the auxv, the pointer arrays and argc, 16-byte aligned.
    let items = (argc + 1) + (envc + 1) + 1;
    let sp = sub(sub(p, na as u64 * 16)?, items * 8)? & !15;

    let size = usize::try_from(top - sp).map_err(|_| StackError::TooBig)?;
    let mut bytes: Vec<u8> = Vec::new();
    bytes
        .try_reserve_exact(size)
        .map_err(|_| StackError::NoMem)?;
    bytes.resize(size, 0);
    let at = |addr: u64| (addr - sp) as usize;
    let mut put_bytes = |addr: u64, b: &[u8]| {
        let o = at(addr);
        bytes[o..o + b.len()].copy_from_slice(b);
    };

    // Strings (the NULs are already there: the buffer is zeroed).
    put_bytes(execfn, args.execfn);
    let mut a = env_start;
    for s in args.envp {
        put_bytes(a, s);
        a += s.len() as u64 + 1;
    }
    let mut a = arg_start;
    for s in argv {
        put_bytes(a, s);
        a += s.len() as u64 + 1;
    }
    if platform != 0 {
        put_bytes(platform, args.platform);
    }
    put_bytes(random, &args.random);

    // argc, argv[], NULL, envp[], NULL, auxv.
    let mut w = sp;
    let mut word = |v: u64| {
        put_bytes(w, &v.to_le_bytes());
        w += 8;
    };
    word(argc);
    let mut a = arg_start;
    for s in argv {
        word(a);
        a += s.len() as u64 + 1;
    }
    word(0);
    let mut a = env_start;
    for s in args.envp {
        word(a);
        a += s.len() as u64 + 1;
    }
    word(0);
    for &(t, v) in &auxv[..na] {
        word(t);
        word(v);
    }

    Ok(StackImage {
        bytes,
        start: sp,
        sp,
        argc,
        argv: sp + 8,
        envp: sp + 8 + (argc + 1) * 8,
        auxv: sp + 8 + (argc + 1 + envc + 1) * 8,
        arg_start,
        arg_end,
        env_start,
        env_end,
        execfn,
        platform,
        random,
    })
}

//! execve (NetBSD's kern_exec.c and exec_elf.c): replace the calling
//! process's program.
//!
//! 1. Copy in the path, argv and envp (with Linux's limits: a string of 32
//!    pages or more, or more than a quarter of the stack limit in all, is
//!    E2BIG; a path of 4096 bytes or more is ENAMETOOLONG).
//! 2. Look the file up and check it: a regular file (EACCES otherwise) with
//!    an execute bit (EACCES), an ELF64 x86_64 executable, static (ET_EXEC,
//!    or static-PIE ET_DYN loaded at a fixed base); a program with an
//!    interpreter (PT_INTERP) is refused with ENOEXEC and a log line; the
//!    layout arithmetic is `ferrite_elfload`.
//! 3. Build the new address space completely: PT_LOAD segments **mapped
//!    from the file's memory object**, private and copy-on-write (read-only
//!    text and rodata are the file's own pages, shared by every process
//!    running the program; writable data is copied on first write: fault
//!    case 2B), bss zero-fill, pages shared by two segments fixed up; the
//!    stack reservation at the top of the user half sized by RLIMIT_STACK,
//!    a guard gap below it, pages faulted in on demand; the initial stack
//!    (argc, argv, envp, the auxiliary vector) written at its top. The
//!    thread switches to the new space to write it.
//! 4. Only then, the point of no return: the old address space goes,
//!    close-on-exec descriptors close, caught signals reset to the default
//!    (ignored stay ignored), the alternate signal stack is disabled, FPU
//!    state and TLS bases are reset, and the thread's registers are set to
//!    start the program. Any failure before that leaves the caller running
//!    unchanged.

use super::proc::curproc;
use crate::arch::x86_64::{fpu, percpu, usermode};
use crate::kern::sched::curlwp;
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::uvm::copy::{self, StrError};
use crate::uvm::map::MapRequest;
use crate::uvm::vmspace::{PAGE, Vmspace, default_layout};
use crate::uvm::{VmProt, object};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use ferrite_abi::resource::RLIMIT_STACK;
use ferrite_abi::syscall as nr;
use ferrite_elfload::{
    AuxvInputs, ElfError, Fixup, LoadParams, LoadPlan, Mapping, Prot, StackArgs, build_stack,
};

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[crate::sys!(
    nr::SYS_execve,
    "execve",
    sys_execve,
    [Arg::Str, Arg::Hex, Arg::Hex]
)];

/// Longest path (PATH_MAX, with its NUL).
pub const PATH_MAX: usize = 4096;
/// Longest single argument or environment string, with its NUL.
pub const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Largest stack reservation, whatever RLIMIT_STACK says.
const STACK_MAX: u64 = 1 << 30;
/// Unmapped gap below the stack reservation (Linux's stack_guard_gap).
const STACK_GUARD_GAP: u64 = 256 * PAGE;

/// Copy a path from user memory.
pub fn copyin_path(addr: u64) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; PATH_MAX];
    match copy::copyinstr(addr, &mut buf) {
        Ok(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        Err(StrError::TooLong) => Err(Errno::ENAMETOOLONG),
        Err(StrError::Fault) => Err(Errno::EFAULT),
    }
}

/// Copy a NULL-terminated array of strings (argv, envp) from user memory,
/// at most `budget` bytes in all (strings and pointers).
fn copyin_strv(addr: u64, budget: &mut u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut buf = vec![0u8; MAX_ARG_STRLEN];
    for i in 0.. {
        let p = copy::copyin_u64(addr + i * 8).map_err(|_| Errno::EFAULT)?;
        if p == 0 {
            break;
        }
        let n = match copy::copyinstr(p, &mut buf) {
            Ok(n) => n,
            Err(StrError::TooLong) => return Err(Errno::E2BIG),
            Err(StrError::Fault) => return Err(Errno::EFAULT),
        };
        let cost = n as u64 + 1 + 8;
        if cost > *budget {
            return Err(Errno::E2BIG);
        }
        *budget -= cost;
        out.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        out.push(buf[..n].to_vec());
    }
    Ok(out)
}

/// execve(path, argv, envp)
pub fn sys_execve(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = copyin_path(ctx.arg(0))?;
    let stack_limit = curproc().rlimit(RLIMIT_STACK).rlim_cur;
    let mut budget = ferrite_elfload::stack::arg_space_limit(stack_limit);
    let argv = copyin_strv(ctx.arg(1), &mut budget)?;
    let envp = copyin_strv(ctx.arg(2), &mut budget)?;
    exec(&path, &argv, &envp, ctx.frame)?;
    crate::kern::ptrace::exec_event(ctx.frame);
    Ok(0)
}

fn prot_of(p: Prot) -> VmProt {
    let mut v = VmProt::empty();
    if p.contains(Prot::READ) {
        v |= VmProt::READ;
    }
    if p.contains(Prot::WRITE) {
        v |= VmProt::WRITE | VmProt::READ;
    }
    if p.contains(Prot::EXEC) {
        v |= VmProt::EXECUTE;
    }
    v
}

/// The random bytes of AT_RANDOM: 16 bytes different for every program
/// started (mixed from the TSC until the kernel has a random generator).
fn at_random() -> [u8; 16] {
    let mut r = [0u8; 16];
    let mut x = crate::arch::x86_64::tsc::read() ^ 0x9e37_79b9_7f4a_7c15;
    for chunk in r.chunks_mut(8) {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
    r
}

/// The last component of a path (the program's name for ps).
fn basename(path: &[u8]) -> &[u8] {
    let trimmed = match path.iter().rposition(|&c| c != b'/') {
        Some(end) => &path[..=end],
        None => path,
    };
    match trimmed.iter().rposition(|&c| c == b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Load the plan of the executable `vn`, reading more of it if the
/// program headers are not in its first page.
fn plan_of(vn: &crate::fs::VnodeRef, size: u64, path: &[u8]) -> Result<LoadPlan, Errno> {
    let params = LoadParams::default();
    let mut head = vec![0u8; (PAGE.min(size)) as usize];
    let n = vn.read(0, &mut head)?;
    head.truncate(n);
    let r = match LoadPlan::new(&head, &params) {
        Err(ElfError::NeedMore { offset, len }) if offset + len <= size && len <= PAGE => {
            let mut table = vec![0u8; len as usize];
            vn.read(offset, &mut table)?;
            LoadPlan::with_phdrs(&head, &table, &params)
        }
        r => r,
    };
    r.map_err(|e| {
        if e == ElfError::Interpreter {
            log::warn!(
                "exec {}: dynamically linked (PT_INTERP); only static executables run here",
                alloc::string::String::from_utf8_lossy(path)
            );
        }
        match e {
            ElfError::NeedMore { .. } => e.errno_short_file(),
            _ => e.errno(),
        }
    })
}

/// Replace the current process's program with `path` (see the module
/// comment); on success `frame` starts it.
pub fn exec(
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    frame: &mut crate::arch::x86_64::trap::TrapFrame,
) -> Result<(), Errno> {
    let p = curproc();
    let l = curlwp();
    let vn = crate::fs::namei::lookup(path, true)?;
    if !vn.is_regular() {
        return Err(Errno::EACCES);
    }
    vn.access(crate::fs::vnode::amode::X_OK)?;
    let size = vn.getattr().st_size as u64;
    let plan = plan_of(&vn, size, path)?;
    let obj = vn.object().ok_or(Errno::EACCES)?;

    // The new address space.
    let stack_size = p
        .rlimit(RLIMIT_STACK)
        .rlim_cur
        .clamp(128 * 1024, STACK_MAX)
        .next_multiple_of(PAGE);
    let mut layout = default_layout();
    layout.text_start = plan.image_start();
    layout.data_end = plan.brk_start.next_multiple_of(PAGE);
    layout.stack_max = stack_size + STACK_GUARD_GAP;
    let vs = Vmspace::new(layout).map_err(|_| Errno::ENOMEM)?;
    for m in &plan.mappings {
        let r = match *m {
            Mapping::FileMap {
                vaddr,
                len,
                file_offset,
                prot,
            } => vs.map_object_at(obj, file_offset, vaddr, len, prot_of(prot), false),
            Mapping::ZeroFill { vaddr, len, prot } => {
                let mut req = MapRequest::anon(len, prot_of(prot)).at(vaddr);
                req.merge = false;
                vs.map(req)
            }
        };
        r.map_err(|e| match e {
            crate::kern::error::KernError::NoMem => Errno::ENOMEM,
            _ => Errno::EINVAL,
        })?;
    }
    let stack_top = layout.stack_top;
    vs.map_stack(stack_top, stack_size)
        .map_err(|_| Errno::ENOMEM)?;

    // Write the fixups and the initial stack from inside the new space.
    let argv_refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    let envp_refs: Vec<&[u8]> = envp.iter().map(|a| a.as_slice()).collect();
    let args = StackArgs {
        argv: &argv_refs,
        envp: &envp_refs,
        execfn: path,
        platform: b"x86_64",
        random: at_random(),
        stack_limit: stack_size,
    };
    let aux = AuxvInputs::from_plan(&plan);
    let image = build_stack(stack_top, &args, &aux).map_err(|e| e.errno())?;
    let old = l.set_vmspace(Some(vs.clone()));
    let written = write_image(&vs, &plan, obj, &image);
    if let Err(e) = written {
        l.set_vmspace(old);
        return Err(e);
    }

    let record = super::procinfo::ExecImage::new(path, argv, obj, vn.dev(), vn.ino()).map(Arc::new);

    // The point of no return.
    let old_image = core::mem::replace(&mut *p.image.lock(), record);
    drop(old_image);
    drop(old);
    drop(vs);
    p.vfork_done();
    p.files.lock().close_on_exec();
    p.sig.lock().exec_reset();
    p.caps.reset_for_exec();
    l.sig.exec_reset();
    l.md.fpu.with_mut(|a| *a = fpu::FpuArea::initial());
    fpu::reset_current();
    l.md.fs_base.store(0, Ordering::Relaxed);
    l.md.gs_base.store(0, Ordering::Relaxed);
    percpu::set_fs_base(0);
    percpu::set_user_gs_base(0);
    l.clear_child_tid.store(0, Ordering::Relaxed);
    l.set_name(core::str::from_utf8(basename(path)).unwrap_or("?"));
    *frame = usermode::initial_frame(plan.entry, image.sp);
    Ok(())
}

/// The writes into the new (current) address space `vs`: fixups of shared
/// pages and bss tails (made regardless of the pages' protection: they
/// are private copies), then the initial stack.
fn write_image(
    vs: &Arc<Vmspace>,
    plan: &LoadPlan,
    obj: object::ObjRef,
    image: &ferrite_elfload::StackImage,
) -> Result<(), Errno> {
    let efault = |_| Errno::EFAULT;
    for f in &plan.fixups {
        let (vaddr, bytes) = match *f {
            Fixup::ZeroTail { vaddr, len } => (vaddr, vec![0u8; len as usize]),
            Fixup::CopyFromFile {
                vaddr,
                len,
                file_offset,
            } => {
                let mut buf = vec![0u8; len as usize];
                object::read(obj, file_offset, &mut buf);
                (vaddr, buf)
            }
        };
        if bytes.is_empty() {
            continue;
        }
        let start = vaddr & !(PAGE - 1);
        let end = (vaddr + bytes.len() as u64).next_multiple_of(PAGE);
        let prot = vs.map.lookup(vaddr).map(|e| e.prot).ok_or(Errno::EINVAL)?;
        if !prot.contains(VmProt::WRITE) {
            vs.protect(start, end, prot | VmProt::READ | VmProt::WRITE)
                .map_err(|_| Errno::ENOMEM)?;
        }
        let r = copy::copyout(vaddr, &bytes).map_err(efault);
        if !prot.contains(VmProt::WRITE) {
            vs.protect(start, end, prot).map_err(|_| Errno::ENOMEM)?;
        }
        r?;
    }
    copy::copyout(image.start, &image.bytes).map_err(efault)?;
    Ok(())
}

//! uvm_io: read or write another address space's memory (ptrace's
//! PEEK/POKE, process_vm_readv/writev), the UVM way (NetBSD's uvm_io.c).
//!
//! 1. Extract the range into the kernel map (`map_extract`): kernel
//!    entries over the target's own amaps and objects, at the target's
//!    maximum protection (a debugger; process_vm_readv/writev use the
//!    current one), with the target's needs-copy resolved first.
//! 2. For each page, run the fault routine **on the kernel map**
//!    (`fault::fault_map` with the kernel pmap) for the access wanted. It
//!    does what a fault of the target would: zero fill, and for a write
//!    copy-on-write (case 1B: a new anon replaces one shared with a forked
//!    relative) or promotion of a file page (case 2B), always into the
//!    target's amap slot, which the kernel entry shares. Read-only text is
//!    writable here (maximum protection), and the new anon is the
//!    target's alone: the file's page and the relatives' copies stay.
//! 3. Copy through the direct map, never through the kernel virtual
//!    address the fault just mapped: the page is looked up again in the
//!    kernel entry's amap slot (or object) and a reference is held on its
//!    anon (or object) for the copy. The kernel mapping is not stable: the
//!    target, or a process sharing one of its pages, may replace the anon
//!    meanwhile (its own copy-on-write fault removes every mapping of the
//!    old page with `pmap::page_protect`, the kernel's included), and a
//!    kernel-mode access through a mapping pulled that way would be a
//!    kernel page fault outside any recovery routine. The held reference
//!    keeps the page alive instead; a copy races with the target exactly
//!    as another thread's access would. A write goes into the anon only if
//!    no other amap shares it (else the fault is taken again), so it can
//!    never reach a relative's copy; a shared object's page is written in
//!    place (that is what sharing means), without changing the object's
//!    size.
//! 4. After a write that put a new page in the slot (a promotion of a
//!    file page leaves the target's own mapping of the file page in
//!    place), remove the target's stale mapping of that address so its
//!    next access finds the new page. NetBSD's fault instead removes every
//!    mapping of the file page (`pmap_page_protect`, with its "XXX: page
//!    might be wired" caveat); removing only the target's keeps other
//!    processes' mappings, wired ones included, untouched.
//! 5. Unmap the kernel range and drop the references (dropping the
//!    extraction).
//!
//! Nothing is copied but the bytes asked for, and no page is wired.
//! Errors: `Fault` for a hole or a page that cannot be had (a file page
//! past the end), `Access` when the maximum protection forbids the access.

use super::anon::{self, AnonRef};
use super::map::{self, EntryFlags};
use super::map_extract;
pub use super::map_extract::Prot;
use super::object::{self, ObjRef};
use super::vmspace::{PAGE, Vmspace};
use super::{Paddr, Vaddr, VmProt, amap};
use crate::kern::error::{KResult, KernError};
use crate::pmap::{self, Pmap, pte::Pte};

/// Times a page is faulted again when the target changed it between the
/// fault and the lookup (a livelock guard: once is the rule).
const MAX_TRIES: usize = 16;

/// What `uvm_io` moves.
pub enum IoBuf<'a> {
    /// Read the target's memory into this buffer.
    Read(&'a mut [u8]),
    /// Write these bytes into the target's memory.
    Write(&'a [u8]),
}

impl IoBuf<'_> {
    fn len(&self) -> usize {
        match self {
            IoBuf::Read(b) => b.len(),
            IoBuf::Write(b) => b.len(),
        }
    }
}

/// Read or write `buf.len()` bytes at `uva` of `vs` as a debugger does
/// (at the maximum protection; see the module comment). On an error
/// nothing more is copied; what came before the failing page may have
/// been.
pub fn uvm_io(vs: &Vmspace, uva: Vaddr, mut buf: IoBuf<'_>) -> KResult<()> {
    let len = buf.len();
    if len == 0 {
        return Ok(());
    }
    let x = map_extract::extract(&vs.map, uva, len as u64, Prot::Max)?;
    let access = match buf {
        IoBuf::Read(_) => VmProt::READ,
        IoBuf::Write(_) => VmProt::WRITE,
    };
    let mut done = 0;
    while done < len {
        let va = uva + done as u64;
        let off = (va % PAGE) as usize;
        let n = (PAGE as usize - off).min(len - done);
        let kva = x.kernel_addr(va - off as u64);
        let held = hold_page(kva, access)?;
        match &mut buf {
            IoBuf::Read(b) => held.read(off, &mut b[done..done + n]),
            IoBuf::Write(b) => {
                let pa = held.pa();
                held.write(off, &b[done..done + n]);
                if let Some(pa) = pa {
                    drop_stale_mapping(vs, va - off as u64, pa);
                }
            }
        }
        done += n;
    }
    drop(x);
    Ok(())
}

/// Which way `uvm_io_with` copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Read,
    Write,
}

/// `uvm_io` of `len` bytes at `uva` with the bytes passed through `f` a
/// piece (at most a page) at a time, through a one-page kernel buffer: for
/// a read, `f(offset, piece)` gets what was read at `uva + offset`; for a
/// write, `f` fills `piece` with what goes there. `f` may fault and sleep
/// (copyout and copyin of the caller's memory, which may be the target
/// itself): no lock and no page reference is held while it runs. An
/// error from `f` ends the copy with that error. `prot` says whether the
/// target's maximum protection applies (a debugger) or its current one
/// (process_vm_readv/writev).
pub fn uvm_io_with(
    vs: &Vmspace,
    uva: Vaddr,
    len: usize,
    dir: Dir,
    prot: Prot,
    mut f: impl FnMut(usize, &mut [u8]) -> KResult<()>,
) -> KResult<()> {
    if len == 0 {
        return Ok(());
    }
    let mut bounce = alloc::vec::Vec::new();
    bounce
        .try_reserve_exact(PAGE as usize)
        .map_err(|_| KernError::NoMem)?;
    bounce.resize(PAGE as usize, 0u8);
    let x = map_extract::extract(&vs.map, uva, len as u64, prot)?;
    let access = match dir {
        Dir::Read => VmProt::READ,
        Dir::Write => VmProt::WRITE,
    };
    let mut done = 0;
    while done < len {
        let va = uva + done as u64;
        let off = (va % PAGE) as usize;
        let n = (PAGE as usize - off).min(len - done);
        let kva = x.kernel_addr(va - off as u64);
        let piece = &mut bounce[..n];
        match dir {
            Dir::Read => {
                hold_page(kva, access)?.read(off, piece);
                f(done, piece)?;
            }
            Dir::Write => {
                f(done, piece)?;
                let held = hold_page(kva, access)?;
                let pa = held.pa();
                held.write(off, piece);
                if let Some(pa) = pa {
                    drop_stale_mapping(vs, va - off as u64, pa);
                }
            }
        }
        done += n;
    }
    drop(x);
    Ok(())
}

/// A page of the extraction, held for a copy.
enum Held {
    Anon(AnonRef),
    Object { obj: ObjRef, page_off: u64 },
}

impl Held {
    /// The page's physical address (None: gone meanwhile).
    fn pa(&self) -> Option<Paddr> {
        match *self {
            Held::Anon(an) => anon::page(an),
            Held::Object { obj, page_off } => object::lookup_page(obj, page_off),
        }
    }

    fn read(self, off: usize, out: &mut [u8]) {
        match self {
            Held::Anon(an) => {
                let pa = anon::page(an).expect("anon without a resident page");
                pmap::direct::read_bytes(pa, off, out);
                anon::drop_ref(an);
            }
            Held::Object { obj, page_off } => {
                object::read(obj, page_off + off as u64, out);
                object::drop_ref(obj);
            }
        }
    }

    fn write(self, off: usize, data: &[u8]) {
        match self {
            Held::Anon(an) => {
                anon::write_bytes(an, off, data);
                anon::drop_ref(an);
            }
            Held::Object { obj, page_off } => {
                // The page was resident a moment ago; if the object was
                // truncated meanwhile the bytes have nowhere to go, as a
                // store through a mapping of a truncated file would not.
                let _ = object::write_resident(obj, page_off, off, data);
                object::drop_ref(obj);
            }
        }
    }
}

/// After a write that put a new page in the target's amap slot at `va`
/// (copy-on-write or promotion done through the kernel entry), the
/// target's own pmap may still map the page the slot held before (a file
/// page read through a private mapping: case 2B replaces no anon, so no
/// `page_protect` removed it): remove that mapping, so the target's next
/// access faults and finds the new page. Done with the target's map
/// write-locked, so no fault of the target is between its lookup and its
/// pmap_enter. A wired mapping is never removed (it cannot be stale: a
/// private range is copied into its own anons when it is wired, and a
/// shared one is written in place).
fn drop_stale_mapping(vs: &Vmspace, va: Vaddr, pa: Paddr) {
    let _w = vs.map.write();
    let Some(e) = vs.pmap.leaf_entry(va) else {
        return;
    };
    let stale = vs.pmap.extract(va).is_some_and(|old| old != pa);
    if stale && !Pte::from_bits_retain(e).contains(Pte::WIRED) {
        vs.pmap.remove(va, va + PAGE);
        pmap::update();
    }
}

/// Fault the kernel page `kva` of an extraction in for `access` and hold
/// the page that now backs it.
fn hold_page(kva: Vaddr, access: VmProt) -> KResult<Held> {
    for _ in 0..MAX_TRIES {
        super::fault::fault_map(map::kernel_map(), Pmap::kernel(), kva, access, false)?;
        if let Some(h) = lookup(kva, access.contains(VmProt::WRITE))? {
            return Ok(h);
        }
    }
    Err(KernError::Fault)
}

/// The page backing kernel address `kva` with a reference taken, or None
/// if it is not (or no longer) what the access needs: then fault again.
fn lookup(kva: Vaddr, write: bool) -> KResult<Option<Held>> {
    let r = map::kernel_map().read();
    let e = r.lookup(kva).ok_or(KernError::Fault)?;
    let index = (kva - e.start) / PAGE;
    if let Some(a) = e.backing.amap
        && let Some(an) = amap::lookup_ref(a.amap, (a.slot + index) as usize)
    {
        // One reference is the amap's, one ours: more means another amap
        // still shares the page, which a write must not reach.
        if write && anon::refs(an) > 2 {
            anon::drop_ref(an);
            return Ok(None);
        }
        return Ok(Some(Held::Anon(an)));
    }
    if write && e.flags.contains(EntryFlags::COPY_ON_WRITE) {
        // A private write lands in an anon; none yet: fault again.
        return Ok(None);
    }
    let Some(o) = e.backing.object else {
        return Ok(None);
    };
    let page_off = o.offset + index * PAGE;
    if object::lookup_page(o.object, page_off).is_none() {
        return Ok(None);
    }
    object::add_ref(o.object);
    Ok(Some(Held::Object {
        obj: o.object,
        page_off,
    }))
}

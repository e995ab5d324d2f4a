//! uvm_object: a memory object (a file, an anonymous object, later a
//! device) whose pages are found by offset, with pager operations that
//! bring pages in and write them out. Every page it holds records the
//! object and offset as its owner. Objects come from their own pool
//! (`uobjpl`) and are named by checked handles (`ObjRef`).
//!
//! Pager results map to Linux errno values at the syscall boundary:
//! ok → 0, error → EIO, again → EAGAIN, busy → EBUSY; `Refault` asks the
//! fault routine to start over.
//!
//! The anonymous object (aobj) is the first pager: pages are zero-filled on
//! first use and live as long as the object (swap comes with the page
//! daemon).

use crate::kern::error::KResult;
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_arena::{Handle, PoolArena};
use crate::pmap::{self, VmProt};
use crate::uvm::Paddr;
use crate::uvm::page::{PageOwner, PageUse};
use crate::uvm::physmem::{self, OwnedPage};
use alloc::collections::BTreeMap;
use spin::{Mutex, Once};

/// A handle on an object.
pub type ObjRef = Handle;

/// Why a pager could not deliver a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagerError {
    /// I/O error (EIO).
    Error,
    /// Temporary shortage, try again (EAGAIN); also out of memory.
    Again,
    /// The page is busy (EBUSY).
    Busy,
    /// State changed: redo the fault.
    Refault,
}

/// The pager operations of an object type.
pub trait Pager: Sync {
    fn name(&self) -> &'static str;
    /// Bring in (or create) the page at `offset` of `obj` and return it.
    fn get(&self, obj: ObjRef, data: &mut ObjectData, offset: u64) -> Result<Paddr, PagerError>;
    /// Write the page at `offset` to backing store so it is clean
    /// (pgo_put). `Error` if the object has no such page.
    fn put(&self, data: &mut ObjectData, offset: u64) -> Result<(), PagerError>;
}

/// The object's state.
pub struct ObjectData {
    refs: u32,
    size: u64,
    pages: BTreeMap<u64, OwnedPage>,
    /// Made for MAP_SHARED|MAP_ANONYMOUS memory (not a file's data): it
    /// grows with mremap, and MADV_REMOVE may free its pages.
    shared_memory: bool,
}

struct Object {
    data: ObjectData,
    pager: &'static dyn Pager,
}

crate::arena_pool!(OBJECT_POOL, Object, "uobjpl");

static OBJECTS: Once<Mutex<PoolArena<Object>>> = Once::new();

fn with<R>(f: impl FnOnce(&mut PoolArena<Object>) -> R) -> R {
    let objects = OBJECTS.call_once(|| Mutex::new(PoolArena::new(&OBJECT_POOL)));
    x86_64::instructions::interrupts::without_interrupts(|| f(&mut objects.lock()))
}

/// The anonymous object's pager: zero-fill on first use.
struct AobjPager;

impl Pager for AobjPager {
    fn name(&self) -> &'static str {
        "aobj"
    }

    fn get(&self, obj: ObjRef, data: &mut ObjectData, offset: u64) -> Result<Paddr, PagerError> {
        if let Some(p) = data.pages.get(&offset) {
            return Ok(p.pa());
        }
        if offset >= data.size.next_multiple_of(PAGE) {
            return Err(PagerError::Error);
        }
        new_page(obj, data, offset).map_err(|_| PagerError::Again)
    }

    /// An anonymous object's only backing store is memory until swap
    /// exists: a resident page is as clean as it can be.
    fn put(&self, data: &mut ObjectData, offset: u64) -> Result<(), PagerError> {
        if Self::has(data, offset) {
            Ok(())
        } else {
            Err(PagerError::Error)
        }
    }
}

static AOBJ_PAGER: AobjPager = AobjPager;

impl AobjPager {
    fn has(data: &ObjectData, offset: u64) -> bool {
        data.pages.contains_key(&offset)
    }
}

/// A new anonymous object of `size` bytes (one reference).
pub fn aobj_create(size: u64) -> KResult<ObjRef> {
    aobj_new(size, false)
}

/// A new anonymous object of `size` bytes for shared anonymous memory
/// (mmap MAP_SHARED|MAP_ANONYMOUS), one reference.
pub fn aobj_create_shared_memory(size: u64) -> KResult<ObjRef> {
    aobj_new(size, true)
}

fn aobj_new(size: u64, shared_memory: bool) -> KResult<ObjRef> {
    let object = Object {
        data: ObjectData {
            refs: 1,
            size,
            pages: BTreeMap::new(),
            shared_memory,
        },
        pager: &AOBJ_PAGER,
    };
    with(|arena| arena.alloc(object, PoolFlags::NOWAIT)).ok_or(crate::kern::error::KernError::NoMem)
}

/// True for the object behind shared anonymous memory.
pub fn is_shared_memory(obj: ObjRef) -> bool {
    with(|arena| arena.get(obj).data.shared_memory)
}

/// Free the resident pages of `[off, off + len)` (hole punching, for
/// MADV_REMOVE): their mappings are removed first; they read back as
/// zeroes.
pub fn free_range(obj: ObjRef, off: u64, len: u64) {
    let gone: alloc::vec::Vec<OwnedPage> = with(|arena| {
        let d = &mut arena.get_mut(obj).data;
        let keys: alloc::vec::Vec<u64> = d.pages.range(off..off + len).map(|(&k, _)| k).collect();
        keys.into_iter()
            .filter_map(|k| d.pages.remove(&k))
            .collect()
    });
    for page in gone {
        pmap::page_protect(page.pa(), VmProt::empty());
        pmap::update();
        physmem::free_owned(page);
    }
}

/// The page of `obj` at `offset` (page aligned), through its pager.
pub fn get_page(obj: ObjRef, offset: u64) -> Result<Paddr, PagerError> {
    with(|arena| {
        let o = arena.get_mut(obj);
        let pager = o.pager;
        pager.get(obj, &mut o.data, offset)
    })
}

/// Write the page at `offset` out through the object's pager.
pub fn put_page(obj: ObjRef, offset: u64) -> Result<(), PagerError> {
    with(|arena| {
        let o = arena.get_mut(obj);
        let pager = o.pager;
        pager.put(&mut o.data, offset)
    })
}

/// The resident page at `offset`, if any (no pager call).
pub fn lookup_page(obj: ObjRef, offset: u64) -> Option<Paddr> {
    with(|arena| arena.get(obj).data.pages.get(&offset).map(|p| p.pa()))
}

/// Resident pages of the object.
pub fn resident(obj: ObjRef) -> usize {
    with(|arena| arena.get(obj).data.pages.len())
}

/// Resident pages at byte offsets `[start, end)` (the /proc viewers).
pub fn resident_in(obj: ObjRef, start: u64, end: u64) -> usize {
    with(|arena| arena.get(obj).data.pages.range(start..end).count())
}

pub fn add_ref(obj: ObjRef) {
    with(|arena| arena.get_mut(obj).data.refs += 1);
}

/// Drop a reference; the last one frees every page and the object (detach).
pub fn drop_ref(obj: ObjRef) {
    let dead = with(|arena| {
        let o = arena.get_mut(obj);
        o.data.refs -= 1;
        (o.data.refs == 0).then(|| arena.free(obj))
    });
    if let Some(object) = dead {
        for (_, page) in object.data.pages {
            pmap::page_protect(page.pa(), VmProt::empty());
            pmap::update();
            physmem::free_owned(page);
        }
    }
}

const PAGE: u64 = 4096;

/// A zero-filled page for `obj` at `offset` (the caller holds the objects'
/// lock: `data` is the object's state).
fn new_page(obj: ObjRef, data: &mut ObjectData, offset: u64) -> KResult<Paddr> {
    let mut page = physmem::alloc_owned(PageUse::Object)?;
    pmap::direct::zero_page(&mut page);
    let pa = page.pa();
    physmem::set_owner(
        pa,
        PageOwner::Object {
            object: obj,
            offset,
        },
    );
    data.pages.insert(offset, page);
    Ok(pa)
}

// ---------------------------------------------------------------------------
// Byte access to an object's pages, for file systems keeping file data in
// an object (the RAM file system's files are anonymous objects, as tmpfs
// does). Callers serialise changes of one object's size and pages against
// these copies (a file system holds its vnode's lock); the object lock is
// only held while a page is looked up or written, never across a user copy
// (which may fault and sleep): user data goes through a bounce buffer.

/// The object's size in bytes.
pub fn size(obj: ObjRef) -> u64 {
    with(|arena| arena.get(obj).data.size)
}

/// Set the object's size. Shrinking frees the pages wholly past the new
/// end (their mappings removed first) and zeroes the rest of the last
/// partial page, so a later growth reads zeroes there.
pub fn set_size(obj: ObjRef, new_size: u64) -> KResult<()> {
    let gone: alloc::vec::Vec<OwnedPage> = with(|arena| {
        let d = &mut arena.get_mut(obj).data;
        let old = d.size;
        d.size = new_size;
        if new_size >= old {
            return alloc::vec::Vec::new();
        }
        let keep = new_size.next_multiple_of(PAGE);
        let tail = d.pages.split_off(&keep);
        if !new_size.is_multiple_of(PAGE)
            && let Some(p) = d.pages.get_mut(&(new_size & !(PAGE - 1)))
        {
            let off = (new_size % PAGE) as usize;
            let zeros = [0u8; PAGE as usize];
            pmap::direct::write_bytes(p, off, &zeros[off..]);
        }
        tail.into_values().collect()
    });
    for page in gone {
        pmap::page_protect(page.pa(), VmProt::empty());
        pmap::update();
        physmem::free_owned(page);
    }
    Ok(())
}

/// Copy `buf.len()` bytes at byte offset `off` out of the object (holes
/// and the part past its size read as zeroes; no page is allocated).
pub fn read(obj: ObjRef, off: u64, buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        let pos = off + done as u64;
        let in_page = (pos % PAGE) as usize;
        let n = (PAGE as usize - in_page).min(buf.len() - done);
        let chunk = &mut buf[done..done + n];
        match lookup_page(obj, pos - in_page as u64) {
            Some(pa) => pmap::direct::read_bytes(pa, in_page, chunk),
            None => chunk.fill(0),
        }
        done += n;
    }
}

/// Copy `data` into the object at byte offset `off`, allocating pages as
/// needed; the object grows to cover it.
pub fn write(obj: ObjRef, off: u64, data: &[u8]) -> KResult<()> {
    let mut done = 0;
    while done < data.len() {
        let pos = off + done as u64;
        let in_page = (pos % PAGE) as usize;
        let n = (PAGE as usize - in_page).min(data.len() - done);
        let page_off = pos - in_page as u64;
        with(|arena| -> KResult<()> {
            let d = &mut arena.get_mut(obj).data;
            if !d.pages.contains_key(&page_off) {
                new_page(obj, d, page_off)?;
            }
            let p = d.pages.get_mut(&page_off).expect("page just ensured");
            pmap::direct::write_bytes(p, in_page, &data[done..done + n]);
            d.size = d.size.max(pos + n as u64);
            Ok(())
        })?;
        done += n;
    }
    Ok(())
}

/// Copy `data` into the resident page at `page_off` of the object, at
/// byte offset `off` in it, without changing the object's size (uvm_io:
/// a debugger's write into a shared mapping, possibly past the end of the
/// file in its last page). False if the page is not resident.
pub fn write_resident(obj: ObjRef, page_off: u64, off: usize, data: &[u8]) -> bool {
    with(|arena| {
        let Some(p) = arena.get_mut(obj).data.pages.get_mut(&page_off) else {
            return false;
        };
        pmap::direct::write_bytes(p, off, data);
        true
    })
}

/// Copy `len` bytes of the object at `off` to user address `uaddr` (EFAULT
/// on a bad user range; part may have been copied).
pub fn copyout(obj: ObjRef, off: u64, uaddr: u64, len: usize) -> KResult<()> {
    let mut bounce = alloc::vec![0u8; (PAGE as usize).min(len)];
    let mut done = 0;
    while done < len {
        let n = bounce.len().min(len - done);
        read(obj, off + done as u64, &mut bounce[..n]);
        super::copy::copyout(uaddr + done as u64, &bounce[..n])?;
        done += n;
    }
    Ok(())
}

/// Copy `len` bytes from user address `uaddr` into the object at `off`
/// (EFAULT on a bad user range: what came before the fault is written).
pub fn copyin(obj: ObjRef, off: u64, uaddr: u64, len: usize) -> KResult<()> {
    let mut bounce = alloc::vec![0u8; (PAGE as usize).min(len)];
    let mut done = 0;
    while done < len {
        let n = bounce.len().min(len - done);
        super::copy::copyin(&mut bounce[..n], uaddr + done as u64)?;
        write(obj, off + done as u64, &bounce[..n])?;
        done += n;
    }
    Ok(())
}

/// The pager's name (for the pmap/vmstat viewers).
pub fn pager_name(obj: ObjRef) -> &'static str {
    with(|arena| arena.get(obj).pager.name())
}

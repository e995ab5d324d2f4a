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
use crate::uvm::physmem;
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

impl PagerError {
    pub fn errno(self) -> i32 {
        match self {
            PagerError::Error => 5,
            PagerError::Again => 11,
            PagerError::Busy => 16,
            PagerError::Refault => 0,
        }
    }
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
    pages: BTreeMap<u64, Paddr>,
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
        if let Some(&pa) = data.pages.get(&offset) {
            return Ok(pa);
        }
        if offset >= data.size {
            return Err(PagerError::Error);
        }
        let pa = physmem::alloc_page(PageUse::Object).map_err(|_| PagerError::Again)?;
        pmap::direct::zero_page(pa);
        physmem::set_owner(
            pa,
            PageOwner::Object {
                object: obj,
                offset,
            },
        );
        data.pages.insert(offset, pa);
        Ok(pa)
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
    let object = Object {
        data: ObjectData {
            refs: 1,
            size,
            pages: BTreeMap::new(),
        },
        pager: &AOBJ_PAGER,
    };
    with(|arena| arena.alloc(object, PoolFlags::NOWAIT)).ok_or(crate::kern::error::KernError::NoMem)
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
    with(|arena| arena.get(obj).data.pages.get(&offset).copied())
}

/// Resident pages of the object.
pub fn resident(obj: ObjRef) -> usize {
    with(|arena| arena.get(obj).data.pages.len())
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
        for (_, pa) in object.data.pages {
            pmap::page_protect(pa, VmProt::empty());
            pmap::update();
            physmem::free_page(pa);
        }
    }
}

/// The pager's name (for the pmap/vmstat viewers).
pub fn pager_name(obj: ObjRef) -> &'static str {
    with(|arena| arena.get(obj).pager.name())
}

//! vm_anon: one page of anonymous memory, shared by the amaps that refer
//! to it (after fork) and counted by references. An anon holds a resident
//! page (later: or a swap slot). Anons come from their own pool (`anonpl`);
//! they are named by checked handles (`AnonRef`).
//!
//! When the last reference goes, every mapping of the page is removed
//! (pmap_page_protect to none) and the page is freed.

use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_arena::{Handle, PoolArena};
use crate::pmap::{self, VmProt};
use crate::uvm::Paddr;
use crate::uvm::page::{PageOwner, PageUse};
use crate::uvm::physmem::{self, OwnedPage};
use spin::{Mutex, Once};

/// A handle on an anon.
pub type AnonRef = Handle;

pub struct Anon {
    refs: u32,
    page: Option<OwnedPage>,
}

crate::arena_pool!(ANON_POOL, Anon, "anonpl");

static ANONS: Once<Mutex<PoolArena<Anon>>> = Once::new();

fn with<R>(f: impl FnOnce(&mut PoolArena<Anon>) -> R) -> R {
    let anons = ANONS.call_once(|| Mutex::new(PoolArena::new(&ANON_POOL)));
    x86_64::instructions::interrupts::without_interrupts(|| f(&mut anons.lock()))
}

/// How a new anon's page starts.
#[derive(Clone, Copy, Debug)]
pub enum Fill {
    Zero,
    CopyOf(Paddr),
}

/// A new anon (one reference) with a resident page, zero-filled or copied
/// from `fill`. `NoMem` if no page or no anon can be had.
pub fn alloc(fill: Fill, flags: PoolFlags) -> KResult<AnonRef> {
    let mut page = physmem::alloc_owned(PageUse::Anon)?;
    match fill {
        Fill::Zero => pmap::direct::zero_page(&mut page),
        Fill::CopyOf(src) => pmap::direct::copy_page(src, &mut page),
    }
    let pa = page.pa();
    // One hold of the anons' lock; the page comes back if the pool is dry.
    let made = with(|a| {
        match a.alloc(
            Anon {
                refs: 1,
                page: None,
            },
            flags,
        ) {
            Some(h) => {
                a.get_mut(h).page = Some(page);
                Ok(h)
            }
            None => Err(page),
        }
    });
    let h = match made {
        Ok(h) => h,
        Err(page) => {
            physmem::free_owned(page);
            return Err(KernError::NoMem);
        }
    };
    physmem::set_owner(pa, PageOwner::Anon(h));
    Ok(h)
}

/// The anon's resident page.
pub fn page(a: AnonRef) -> Option<Paddr> {
    with(|arena| arena.get(a).page.as_ref().map(|p| p.pa()))
}

/// Write `data` into the anon's page at byte offset `off` (uvm_io: a
/// debugger's write into a page of another address space). The caller
/// holds a reference on the anon and has made sure, through a write fault,
/// that no other amap shares it: the bytes are seen only through the
/// amap slot that holds it.
pub fn write_bytes(a: AnonRef, off: usize, data: &[u8]) {
    with(|arena| {
        let page = arena
            .get_mut(a)
            .page
            .as_mut()
            .expect("anon without a resident page");
        pmap::direct::write_bytes(page, off, data);
    });
}

/// References to the anon.
pub fn refs(a: AnonRef) -> u32 {
    with(|arena| arena.get(a).refs)
}

/// Take another reference.
pub fn add_ref(a: AnonRef) {
    with(|arena| arena.get_mut(a).refs += 1);
}

/// Drop a reference; the last one frees the anon and its page.
pub fn drop_ref(a: AnonRef) {
    let freed = with(|arena| {
        let anon = arena.get_mut(a);
        anon.refs -= 1;
        if anon.refs == 0 {
            arena.free(a).page
        } else {
            None
        }
    });
    if let Some(page) = freed {
        // Normally every mapping went before the last reference (unmap
        // removes them first); remove any left.
        if pmap::mapping_count(page.pa()) > 0 {
            pmap::page_protect(page.pa(), VmProt::empty());
            pmap::update();
        }
        physmem::free_owned(page);
    }
}

/// Anons alive now (for tests and statistics).
pub fn count() -> usize {
    with(|arena| arena.len())
}

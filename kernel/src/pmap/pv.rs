//! pv entries: the reverse map from a managed physical page to every
//! (pmap, va) that maps it, so `page_protect` and the referenced/modified
//! queries can reach all mappings of a page.
//!
//! Entries are allocated from whole pages taken straight from the page
//! allocator (never from the VM layer, which may itself need pmap
//! operations): 256 entries per page, each page with its own free list.
//! A page whose entries are all free goes back to the page allocator,
//! except the last one, kept to avoid churn.

use super::Paddr;
use super::direct::{self, PAGE_SIZE};
use crate::kern::error::{KResult, KernError};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use alloc::vec::Vec;

/// "No entry".
pub const NIL: u32 = u32::MAX;
const PER_PAGE: usize = (PAGE_SIZE as usize) / core::mem::size_of::<PvEntry>();
const NO_SLOT: u16 = u16::MAX;

/// One mapping of a page.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PvEntry {
    pub va: u64,
    /// The pmap's id.
    pub pmap: u32,
    /// Next entry of the same page (or of the page's free list).
    pub next: u32,
}

struct PvPage {
    pa: Paddr,
    used: u16,
    free_head: u16,
}

/// The pv entry allocator.
pub struct PvAlloc {
    pages: Vec<Option<PvPage>>,
    /// A page index likely to have a free slot.
    hint: usize,
    in_use: u64,
}

fn entry_pa(page_pa: Paddr, slot: usize) -> Paddr {
    page_pa + (slot * core::mem::size_of::<PvEntry>()) as u64
}

fn read_entry(pa: Paddr) -> PvEntry {
    let w0 = direct::read_u64(pa);
    let w1 = direct::read_u64(pa + 8);
    PvEntry {
        va: w0,
        pmap: w1 as u32,
        next: (w1 >> 32) as u32,
    }
}

fn write_entry(pa: Paddr, e: PvEntry) {
    direct::write_u64(pa, e.va);
    direct::write_u64(pa + 8, e.pmap as u64 | ((e.next as u64) << 32));
}

impl PvAlloc {
    pub const fn new() -> Self {
        PvAlloc {
            pages: Vec::new(),
            hint: 0,
            in_use: 0,
        }
    }

    fn locate(&self, id: u32) -> Paddr {
        let (page, slot) = (id as usize / PER_PAGE, id as usize % PER_PAGE);
        let p = self.pages[page].as_ref().expect("pv entry on a freed page");
        entry_pa(p.pa, slot)
    }

    /// Read entry `id`.
    pub fn get(&self, id: u32) -> PvEntry {
        read_entry(self.locate(id))
    }

    /// Change the `next` link of entry `id`.
    pub fn set_next(&mut self, id: u32, next: u32) {
        let pa = self.locate(id);
        let mut e = read_entry(pa);
        e.next = next;
        write_entry(pa, e);
    }

    fn page_with_room(&self) -> Option<usize> {
        let has_room =
            |p: &Option<PvPage>| p.as_ref().is_some_and(|p| (p.used as usize) < PER_PAGE);
        if self.pages.get(self.hint).is_some_and(has_room) {
            return Some(self.hint);
        }
        self.pages.iter().position(has_room)
    }

    fn add_page(&mut self) -> KResult<usize> {
        let index = match self.pages.iter().position(|p| p.is_none()) {
            Some(i) => i,
            None => {
                self.pages.try_reserve(1).map_err(|_| KernError::NoMem)?;
                self.pages.push(None);
                self.pages.len() - 1
            }
        };
        let pa = physmem::alloc_page(PageUse::PvPage)?;
        for slot in 0..PER_PAGE {
            let next = if slot + 1 < PER_PAGE {
                slot as u32 + 1
            } else {
                NO_SLOT as u32
            };
            write_entry(
                entry_pa(pa, slot),
                PvEntry {
                    va: 0,
                    pmap: NIL,
                    next,
                },
            );
        }
        self.pages[index] = Some(PvPage {
            pa,
            used: 0,
            free_head: 0,
        });
        Ok(index)
    }

    /// Allocate an entry holding `e`; `NoMem` if no page can be had.
    pub fn alloc(&mut self, e: PvEntry) -> KResult<u32> {
        let index = match self.page_with_room() {
            Some(i) => i,
            None => self.add_page()?,
        };
        self.hint = index;
        let page = self.pages[index].as_mut().expect("page just chosen");
        let slot = page.free_head as usize;
        let pa = entry_pa(page.pa, slot);
        page.free_head = read_entry(pa).next as u16;
        page.used += 1;
        write_entry(pa, e);
        self.in_use += 1;
        Ok((index * PER_PAGE + slot) as u32)
    }

    /// Free entry `id`.
    pub fn free(&mut self, id: u32) {
        let (index, slot) = (id as usize / PER_PAGE, id as usize % PER_PAGE);
        let live_pages = self.pages.iter().flatten().count();
        let page = self.pages[index]
            .as_mut()
            .expect("free of a pv entry on a freed page");
        write_entry(
            entry_pa(page.pa, slot),
            PvEntry {
                va: 0,
                pmap: NIL,
                next: page.free_head as u32,
            },
        );
        page.free_head = slot as u16;
        page.used -= 1;
        self.in_use -= 1;
        if page.used == 0 && live_pages > 1 {
            physmem::free_page(page.pa);
            self.pages[index] = None;
        }
    }

    /// Make room for `pages` pv pages in the page table up front.
    pub fn reserve(&mut self, pages: usize) {
        self.pages.reserve(pages);
    }

    /// Entries in use.
    pub fn in_use(&self) -> u64 {
        self.in_use
    }

    /// Pages held (in use or cached).
    pub fn pages(&self) -> usize {
        self.pages.iter().flatten().count()
    }

    /// Free entries in the pages held now.
    pub fn free_slots(&self) -> usize {
        self.pages
            .iter()
            .flatten()
            .map(|p| PER_PAGE - p.used as usize)
            .sum()
    }
}

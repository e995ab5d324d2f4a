//! `vm_page`: one structure per physical page frame, indexed by page frame
//! number. It records what the page is used for and carries the free-list
//! link of the buddy allocator; later layers add the owner (object or anon),
//! the paging queues and the pmap's pv list.

use crate::pmap::PageMd;
use ferrite_buddy::{HasLink, Link};

/// What a physical page is used for. Every frame is in exactly one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PageUse {
    /// On the free lists.
    Free = 0,
    /// Not RAM, or RAM the firmware keeps (never handed out).
    Reserved,
    /// The kernel image as loaded by the bootloader.
    KernelImage,
    /// Bootloader structures: page tables, boot info, boot stack, ...
    Boot,
    /// The initial ramdisk.
    Ramdisk,
    /// Stolen at boot for the vm_page array itself.
    PageArray,
    /// Large kmem blocks (page runs).
    Heap,
    /// Page-table pages.
    PageTable,
    /// Pages of pools (kernel object caches).
    Pool,
    /// Other wired kernel memory.
    Kernel,
    /// Anonymous memory: the page of an anon.
    Anon,
    /// A page of a memory object (file, anonymous object).
    Object,
}

impl PageUse {
    pub const COUNT: usize = 12;
    pub const ALL: [PageUse; Self::COUNT] = [
        PageUse::Free,
        PageUse::Reserved,
        PageUse::KernelImage,
        PageUse::Boot,
        PageUse::Ramdisk,
        PageUse::PageArray,
        PageUse::Heap,
        PageUse::PageTable,
        PageUse::Pool,
        PageUse::Kernel,
        PageUse::Anon,
        PageUse::Object,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PageUse::Free => "free",
            PageUse::Reserved => "reserved",
            PageUse::KernelImage => "kernel image",
            PageUse::Boot => "boot structures",
            PageUse::Ramdisk => "ramdisk",
            PageUse::PageArray => "vm_page array",
            PageUse::Heap => "heap",
            PageUse::PageTable => "page tables",
            PageUse::Pool => "pools",
            PageUse::Kernel => "kernel",
            PageUse::Anon => "anon",
            PageUse::Object => "object",
        }
    }

    /// Pageable memory (anons and object pages), as opposed to wired kernel memory.
    pub fn is_pageable(self) -> bool {
        matches!(self, PageUse::Anon | PageUse::Object)
    }

    /// Pages in this state may be given back to the free lists.
    pub fn is_allocated(self) -> bool {
        matches!(
            self,
            PageUse::Heap
                | PageUse::PageTable
                | PageUse::Pool
                | PageUse::Kernel
                | PageUse::Anon
                | PageUse::Object
        )
    }
}

/// The per-frame structure.
#[derive(Debug)]
pub struct VmPage {
    link: Link,
    pub usage: PageUse,
    /// The pmap's per-page data (vm_page_md): pv list, saved R/M bits,
    /// memory attribute, page-table-page use count.
    pub md: PageMd,
    /// Who owns the page's contents (anon, or object and offset).
    pub owner: PageOwner,
}

/// The owner of a pageable page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageOwner {
    None,
    Anon(crate::kern::mem::pool_arena::Handle),
    Object {
        object: crate::kern::mem::pool_arena::Handle,
        offset: u64,
    },
}

impl VmPage {
    pub const fn new(usage: PageUse) -> Self {
        VmPage {
            link: Link::new(),
            usage,
            md: PageMd::new(),
            owner: PageOwner::None,
        }
    }
}

impl HasLink for VmPage {
    fn link(&self) -> &Link {
        &self.link
    }
    fn link_mut(&mut self) -> &mut Link {
        &mut self.link
    }
}

//! The per-page free-list link embedded in every `vm_page`, and the
//! [`HasLink`] trait through which the allocator reaches it.

/// "No page" in a [`Link`]'s `next`/`prev` fields.
pub(crate) const NIL: u32 = u32::MAX;

/// Free-list state of one physical page, embedded in the kernel's `vm_page`.
///
/// Only the head page of a free block carries `free == true` and the block's
/// order; every other page (allocated, or inside a free block but not its
/// head) is in the [`Link::new`] state. The kernel must not modify a link
/// itself except to initialise it with [`Link::new`] before the page is
/// first handed to the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub(crate) next: u32,
    pub(crate) prev: u32,
    pub(crate) order: u8,
    pub(crate) free: bool,
}

impl Link {
    /// A link that is on no list: the state of an allocated page.
    pub const fn new() -> Self {
        Link {
            next: NIL,
            prev: NIL,
            order: 0,
            free: false,
        }
    }

    /// Whether this page is the head of a free block. Pages inside a free
    /// block other than its head return `false`; see
    /// [`Buddy::page_is_free`](crate::Buddy::page_is_free).
    pub fn is_free(&self) -> bool {
        self.free
    }

    /// The order of the free block this page heads; `None` unless the page
    /// is the head of a free block.
    pub fn order(&self) -> Option<u8> {
        self.free.then_some(self.order)
    }
}

impl Default for Link {
    fn default() -> Self {
        Link::new()
    }
}

/// Access to the [`Link`] embedded in a page descriptor.
pub trait HasLink {
    /// The page's free-list link.
    fn link(&self) -> &Link;
    /// The page's free-list link, mutably.
    fn link_mut(&mut self) -> &mut Link;
}

/// A bare slice of links is a valid page array (handy for tests and for
/// tables that keep links separately from the page descriptors).
impl HasLink for Link {
    fn link(&self) -> &Link {
        self
    }
    fn link_mut(&mut self) -> &mut Link {
        self
    }
}

//! `/proc/meminfo` in Linux's format (`Name:` left in 16 columns, the
//! value in kB right aligned in 8), with Linux's lines in Linux's order.
//! Where Ferrite keeps the figure it is shown; the rest is 0:
//!
//! | line | Ferrite's figure |
//! |---|---|
//! | MemTotal | pages the allocator manages (free + wired + pageable) |
//! | MemFree | free pages |
//! | MemAvailable | free pages + empty pages cached by pools and cached kernel stacks |
//! | Cached, Active(file) | pages of memory objects (file data, shared memory) |
//! | Active(anon), AnonPages | pages of anons |
//! | Unevictable, Mlocked | wired mappings of user address spaces (mlock) |
//! | Slab; SReclaimable; SUnreclaim | pool pages; their empty ones; the rest |
//! | KernelStack | kernel stacks of the threads |
//! | PageTables | page-table pages |
//! | CommitLimit | MemTotal (no swap, no overcommit accounting) |
//! | VmallocTotal, VmallocUsed | the kernel map's size and what is mapped in it |
//!
//! There is no page cache apart from objects, no swap, no huge pages.

use super::text::{Text, kb_line, nomem, num_line};
use super::vmstat::{Counters, user_wired_pages};
use ferrite_abi::Errno;

/// Pages to kB.
fn kb(pages: u64) -> u64 {
    pages * 4
}

pub fn generate(t: &mut Text) -> Result<(), Errno> {
    let c = Counters::now();
    let mlocked = user_wired_pages();
    let kmap = crate::uvm::map::kernel_map();
    let lines: [(&str, u64); 46] = [
        ("MemTotal", kb(c.managed)),
        ("MemFree", kb(c.free)),
        ("MemAvailable", kb(c.available())),
        ("Buffers", 0),
        ("Cached", kb(c.object)),
        ("SwapCached", 0),
        ("Active", kb(c.anon + c.object)),
        ("Inactive", 0),
        ("Active(anon)", kb(c.anon)),
        ("Inactive(anon)", 0),
        ("Active(file)", kb(c.object)),
        ("Inactive(file)", 0),
        ("Unevictable", kb(mlocked)),
        ("Mlocked", kb(mlocked)),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", kb(c.anon)),
        ("Mapped", 0),
        ("Shmem", 0),
        ("KReclaimable", kb(c.pool_empty)),
        ("Slab", kb(c.pool_pages)),
        ("SReclaimable", kb(c.pool_empty)),
        (
            "SUnreclaim",
            kb(c.pool_pages - c.pool_empty.min(c.pool_pages)),
        ),
        ("KernelStack", kb(c.kstack_pages)),
        ("PageTables", kb(c.page_tables)),
        ("SecPageTables", 0),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", kb(c.managed)),
        ("Committed_AS", 0),
        ("VmallocTotal", crate::uvm::map::KERNEL_MAP_SIZE / 1024),
        ("VmallocUsed", kmap.size() / 1024),
        ("VmallocChunk", 0),
        ("Percpu", 0),
        ("AnonHugePages", 0),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
        ("Balloon", 0),
        ("Hugetlb", 0),
    ];
    for (name, v) in &lines[..45] {
        kb_line(t, name, *v).map_err(nomem)?;
    }
    for name in [
        "HugePages_Total",
        "HugePages_Free",
        "HugePages_Rsvd",
        "HugePages_Surp",
    ] {
        num_line(t, name, 0, "").map_err(nomem)?;
    }
    kb_line(t, "Hugepagesize", 2048).map_err(nomem)?;
    let (name, v) = lines[45];
    kb_line(t, name, v).map_err(nomem)
}

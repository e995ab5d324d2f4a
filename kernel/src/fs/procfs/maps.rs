//! A process's map entries: `/proc/<pid>/maps` in Linux's format and
//! `/proc/<pid>/uvm` with UVM's detail (what pmap(1) shows).
//!
//! `maps`, one line per entry (Linux's show_map_vma):
//! ```text
//! 00400000-00401000 r-xp 00000000 00:02 7                          /bin/utests
//! start    end      perms offset dev  inode [padded to column 73] pathname
//! ```
//! perms are r, w, x and `s` (shared: writes reach an object others see)
//! or `p` (private). The offset is the object offset of an object-backed
//! entry, 0 for anonymous memory. The pathname is the program's path for
//! entries of its file (with the file's device and inode), `[heap]` for the
//! entry holding the program break's range, `[stack]` for the one holding
//! the top of the stack; other entries have none (Ferrite does not know
//! the names of other mapped files yet: their device and inode are 0).
//!
//! `uvm`, a header line starting with `#`, then one line per entry:
//! ```text
//! start end prot max inherit wired advice amap slot amaprefs anons
//!     object offset objpages resident flags [name]
//! ```
//! addresses and offsets in hex, counts in decimal, `-` for what an entry
//! does not have; the amap and object are named `amap#N`, `<pager>#N`
//! (N a number unique to the allocation); `anons` counts the anons in the
//! entry's amap slots, `objpages` the object's resident pages in the
//! entry's range, `resident` the pages mapped in the pmap; flags are
//! `cow` (copy-on-write), `nc` (needs copy), `mlock` (wired by the program)
//! joined by `,`. The name, if any, is last (it may hold spaces).
//!
//! A zombie has no address space: both files are empty.

use super::text::{Text, nomem};
use crate::kern::proc::procinfo::{ExecImage, ProcView};
use crate::uvm::map::{Advice, EntryFlags, Inherit, UserLayout};
use crate::uvm::map_info::{self, EntryReport};
use crate::uvm::{Vaddr, VmProt};
use core::fmt::Write;
use ferrite_abi::Errno;

/// Column where Linux starts the pathname (25 + 6 * sizeof(void *) - 1).
const NAME_COLUMN: usize = 73;

/// What an entry is, for its pathname.
pub enum Role<'a> {
    /// The program's file.
    Program(&'a ExecImage),
    Heap,
    Stack,
    None,
}

/// The role of entry `e` in an address space with `layout`, program
/// break `brk` and program `image`.
pub fn role<'a>(
    e: &EntryReport,
    layout: Option<UserLayout>,
    brk: Vaddr,
    image: Option<&'a ExecImage>,
) -> Role<'a> {
    let i = &e.info;
    if let (Some(img), Some(o)) = (image, i.backing.object)
        && o.object == img.object
    {
        return Role::Program(img);
    }
    if let Some(l) = layout {
        let heap_end = brk.next_multiple_of(crate::uvm::vmspace::PAGE);
        if heap_end > l.data_end && i.start < heap_end && i.end > l.data_end {
            return Role::Heap;
        }
        if i.start < l.stack_top && i.end >= l.stack_top {
            return Role::Stack;
        }
    }
    Role::None
}

/// Linux's `major:minor` of a device number.
fn dev_parts(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

fn prot_str(p: VmProt) -> [u8; 3] {
    [
        if p.contains(VmProt::READ) { b'r' } else { b'-' },
        if p.contains(VmProt::WRITE) {
            b'w'
        } else {
            b'-'
        },
        if p.contains(VmProt::EXECUTE) {
            b'x'
        } else {
            b'-'
        },
    ]
}

/// The entries of a process with everything their lines need.
struct Space {
    entries: alloc::vec::Vec<EntryReport>,
    layout: Option<UserLayout>,
    brk: Vaddr,
}

fn space(v: &ProcView) -> Result<Option<Space>, Errno> {
    let Some(vs) = v.vmspace.as_ref() else {
        return Ok(None);
    };
    let entries = map_info::entries(vs).map_err(|_| Errno::ENOMEM)?;
    Ok(Some(Space {
        entries,
        layout: vs.map.layout(),
        brk: vs.brk(),
    }))
}

/// One `maps` line.
pub fn maps_line(t: &mut Text, e: &EntryReport, role: &Role<'_>) -> core::fmt::Result {
    let i = &e.info;
    let p = prot_str(i.prot);
    let offset = i.backing.object.map_or(0, |o| o.offset);
    let (dev, ino, name): (u64, u64, &[u8]) = match role {
        Role::Program(img) => (img.dev, img.ino, &img.path),
        Role::Heap => (0, 0, b"[heap]"),
        Role::Stack => (0, 0, b"[stack]"),
        Role::None => (0, 0, b""),
    };
    let (major, minor) = dev_parts(dev);
    let start = t.written();
    write!(
        t,
        "{:08x}-{:08x} {}{}{}{} {offset:08x} {major:02x}:{minor:02x} {ino} ",
        i.start,
        i.end,
        p[0] as char,
        p[1] as char,
        p[2] as char,
        if e.is_shared() { 's' } else { 'p' },
    )?;
    if !name.is_empty() {
        let used = t.written() - start;
        write!(t, "{:1$}", "", NAME_COLUMN.saturating_sub(used))?;
        t.bytes(name)?;
    }
    t.write_char('\n')
}

/// `/proc/<pid>/maps`.
pub fn maps(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    let Some(s) = space(v)? else {
        return Ok(());
    };
    for e in &s.entries {
        let r = role(e, s.layout, s.brk, v.image.as_deref());
        maps_line(t, e, &r).map_err(nomem)?;
    }
    Ok(())
}

fn inherit_str(i: Inherit) -> &'static str {
    match i {
        Inherit::Share => "share",
        Inherit::Copy => "copy",
        Inherit::None => "none",
        Inherit::Zero => "zero",
    }
}

fn advice_str(a: Advice) -> &'static str {
    match a {
        Advice::Normal => "normal",
        Advice::Random => "random",
        Advice::Sequential => "sequential",
        Advice::WillNeed => "willneed",
    }
}

/// The header of `uvm`.
pub const UVM_HEADER: &str = "# start end prot max inherit wired advice amap slot amaprefs anons object offset objpages resident flags name";

/// One `uvm` line.
pub fn uvm_line(t: &mut Text, e: &EntryReport, role: &Role<'_>) -> core::fmt::Result {
    let i = &e.info;
    let (p, m) = (prot_str(i.prot), prot_str(i.max_prot));
    write!(
        t,
        "{:016x} {:016x} {} {} {} {} {} ",
        i.start,
        i.end,
        core::str::from_utf8(&p).unwrap_or("???"),
        core::str::from_utf8(&m).unwrap_or("???"),
        inherit_str(i.inherit),
        i.wired_count,
        advice_str(i.advice),
    )?;
    match i.backing.amap {
        Some(a) => write!(
            t,
            "amap#{} {} {} ",
            a.amap.generation(),
            a.slot,
            e.amap_refs
        )?,
        None => t.write_str("- - 0 ")?,
    }
    write!(t, "{} ", e.anons)?;
    match i.backing.object {
        Some(o) => write!(t, "{}#{} {:x} ", e.pager, o.object.generation(), o.offset)?,
        None => t.write_str("- - ")?,
    }
    write!(t, "{} {} ", e.object_pages, e.resident)?;
    let mut any = false;
    for (flag, word) in [
        (EntryFlags::COPY_ON_WRITE, "cow"),
        (EntryFlags::NEEDS_COPY, "nc"),
        (EntryFlags::USER_WIRED, "mlock"),
    ] {
        if i.flags.contains(flag) {
            if any {
                t.write_char(',')?;
            }
            t.write_str(word)?;
            any = true;
        }
    }
    if !any {
        t.write_char('-')?;
    }
    match role {
        Role::Program(img) => {
            t.write_char(' ')?;
            t.bytes(&img.path)?;
        }
        Role::Heap => t.write_str(" [heap]")?,
        Role::Stack => t.write_str(" [stack]")?,
        Role::None => {}
    }
    t.write_char('\n')
}

/// `/proc/<pid>/uvm`.
pub fn uvm(v: &ProcView, t: &mut Text) -> Result<(), Errno> {
    let Some(s) = space(v)? else {
        return Ok(());
    };
    writeln!(t, "{UVM_HEADER}").map_err(nomem)?;
    for e in &s.entries {
        let r = role(e, s.layout, s.brk, v.image.as_deref());
        uvm_line(t, e, &r).map_err(nomem)?;
    }
    Ok(())
}

/// The sizes `status` and `stat` report, in bytes (Linux's VmStk, VmExe,
/// VmData) and the program's text range.
pub struct Regions {
    pub stack: u64,
    pub exe: u64,
    pub code: (Vaddr, Vaddr),
}

/// The regions of a process's entries.
pub fn regions(v: &ProcView, entries: &[EntryReport]) -> Regions {
    let (layout, brk) = match v.vmspace.as_ref() {
        Some(vs) => (vs.map.layout(), vs.brk()),
        None => (None, 0),
    };
    let mut r = Regions {
        stack: 0,
        exe: 0,
        code: (0, 0),
    };
    for e in entries {
        let i = &e.info;
        match role(e, layout, brk, v.image.as_deref()) {
            Role::Stack => r.stack += i.len(),
            Role::Program(_)
                if i.prot.contains(VmProt::EXECUTE) && !i.prot.contains(VmProt::WRITE) =>
            {
                r.exe += i.len();
                r.code.0 = if r.code.0 == 0 {
                    i.start
                } else {
                    r.code.0.min(i.start)
                };
                r.code.1 = r.code.1.max(i.end);
            }
            _ => {}
        }
    }
    r
}

/// The entries of a process (None for a zombie), for `status` and `stat`.
pub fn entries_of(v: &ProcView) -> Result<Option<alloc::vec::Vec<EntryReport>>, Errno> {
    Ok(space(v)?.map(|s| s.entries))
}

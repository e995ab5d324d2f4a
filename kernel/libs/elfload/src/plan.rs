//! The load plan: where exec maps the program, from its program headers.
//!
//! This module owns the page arithmetic of `load_elf_binary` (Linux) /
//! `exec_elf_makecmds` (NetBSD): the load bias, the page-aligned file
//! mappings and zero-fill regions of every PT_LOAD, the bytes to clear
//! after mapping, the entry point, AT_PHDR and the initial break. It does
//! no I/O and maps nothing: the kernel carries the plan out.
//!
//! Per PT_LOAD segment at `v = p_vaddr + bias` (after the checks of
//! [`SegmentProblem`]), with `file_end = v + p_filesz`, `mem_end = v +
//! p_memsz`:
//! - pages `[trunc(v), round_up(file_end))` map the file privately
//!   (copy-on-write) from `trunc(p_offset)`;
//! - pages `[round_up(file_end), round_up(mem_end))` are anonymous zero
//!   fill (the bss beyond the file-backed pages);
//! - if `p_memsz > p_filesz` and `file_end` is inside a page, the bytes
//!   `[file_end, page end)` of that file-backed page hold whatever follows
//!   in the file and must be cleared after mapping: a
//!   [`Fixup::ZeroTail`] (Linux's `padzero`).
//!
//! **Shared pages.** Two segments may touch the same page (the last page of
//! one is the first of the next; a small segment may even share one page
//! with both neighbours). A page is never mapped twice. Such a page gets
//! the union of the segments' protections and:
//! - if every segment with file bytes in the page reads them from the
//!   same file page (the usual case: both segments are contiguous in the
//!   file as in memory), one file mapping of that page, plus a
//!   [`Fixup::ZeroTail`] for exactly each segment's bss bytes in the page
//!   (not up to the page end, which would clear the next segment's data);
//! - if they disagree (e.g. text end and data start in the same page from
//!   different file offsets), one anonymous zero page plus a
//!   [`Fixup::CopyFromFile`] for each segment's file bytes in the page;
//! - if no segment has file bytes there, one anonymous zero page.
//!
//! Linux instead maps each segment in turn with MAP_FIXED, so the later
//! segment's file page silently replaces the earlier one's bytes; the plan
//! above keeps every segment's bytes.
//!
//! Adjacent mappings of the same kind and protection (file mappings also
//! with contiguous offsets) are merged, so an ordinary two-segment
//! executable yields one file mapping per segment plus the bss.

use alloc::vec::Vec;

use elf::abi::{ET_DYN, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR};

use crate::header::{Header, PHDR_SIZE, parse_header, program_headers};
use crate::{ElfError, PAGE_SIZE, Prot, SegmentProblem};

/// Where a position-independent executable (ET_DYN) is loaded by default:
/// Linux's `ELF_ET_DYN_BASE` on x86_64 with address randomization off
/// (two thirds of the 47-bit user space, page aligned).
pub const DEFAULT_DYN_BASE: u64 = 0x5555_5555_4000;

/// Linux's default lowest mappable address (`vm.mmap_min_addr`).
pub const DEFAULT_USER_MIN: u64 = 0x1_0000;

/// End of the x86_64 user address space (`TASK_SIZE`, exclusive): 2^47
/// minus the guard page.
pub const DEFAULT_USER_END: u64 = 0x7fff_ffff_f000;

/// The address-space parameters of a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadParams {
    /// Where ET_DYN programs are loaded (rounded down to the largest
    /// PT_LOAD alignment). Randomization is the caller's business: pass a
    /// randomized base.
    pub dyn_base: u64,
    /// Lowest address a segment may use.
    pub user_min: u64,
    /// End (exclusive) of the addresses segments may use; rounded down to
    /// a page.
    pub user_end: u64,
}

impl Default for LoadParams {
    fn default() -> Self {
        LoadParams {
            dyn_base: DEFAULT_DYN_BASE,
            user_min: DEFAULT_USER_MIN,
            user_end: DEFAULT_USER_END,
        }
    }
}

/// The kind of executable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElfKind {
    /// ET_EXEC: loaded at its link addresses (bias 0).
    Exec,
    /// ET_DYN without interpreter (static PIE): loaded at a bias.
    Dyn,
}

/// One mapping of the plan; addresses and lengths are page aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mapping {
    /// Map `len` bytes of the file from `file_offset` at `vaddr`,
    /// private (copy on write).
    FileMap {
        /// Start address.
        vaddr: u64,
        /// Length in bytes.
        len: u64,
        /// File offset of the first byte.
        file_offset: u64,
        /// Protection.
        prot: Prot,
    },
    /// Map `len` bytes of anonymous zero-filled memory at `vaddr`.
    ZeroFill {
        /// Start address.
        vaddr: u64,
        /// Length in bytes.
        len: u64,
        /// Protection.
        prot: Prot,
    },
}

impl Mapping {
    /// Start address.
    pub fn vaddr(&self) -> u64 {
        match *self {
            Mapping::FileMap { vaddr, .. } | Mapping::ZeroFill { vaddr, .. } => vaddr,
        }
    }
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match *self {
            Mapping::FileMap { len, .. } | Mapping::ZeroFill { len, .. } => len,
        }
    }
    /// Whether the mapping is empty (never, in a plan).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// End address (exclusive).
    pub fn end(&self) -> u64 {
        self.vaddr() + self.len()
    }
    /// Protection.
    pub fn prot(&self) -> Prot {
        match *self {
            Mapping::FileMap { prot, .. } | Mapping::ZeroFill { prot, .. } => prot,
        }
    }
}

/// A change to make to the mapped memory before the program runs. The
/// kernel writes regardless of the page protection (through its own
/// mapping of the page, or by mapping writable and changing the protection
/// afterwards); the pages are private, so the file is not changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fixup {
    /// Clear `len` bytes at `vaddr` (bss bytes inside a file-backed page).
    ZeroTail {
        /// Start address.
        vaddr: u64,
        /// Length in bytes.
        len: u64,
    },
    /// Read `len` bytes of the file at `file_offset` into memory at
    /// `vaddr` (a page shared by segments with different file offsets).
    CopyFromFile {
        /// Start address.
        vaddr: u64,
        /// Length in bytes.
        len: u64,
        /// File offset.
        file_offset: u64,
    },
}

/// How to load an executable: see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// ET_EXEC or ET_DYN.
    pub kind: ElfKind,
    /// Added to every link address (0 for ET_EXEC; two's complement, like
    /// Linux's `load_bias`).
    pub bias: u64,
    /// The entry point (AT_ENTRY), biased.
    pub entry: u64,
    /// Address of the program headers in memory (AT_PHDR): PT_PHDR's
    /// address, else where the PT_LOAD that contains the table in the file
    /// maps it, else 0 (no segment maps the table).
    pub phdr_addr: u64,
    /// Size of a program header (AT_PHENT): 56.
    pub phent: u64,
    /// Number of program headers (AT_PHNUM).
    pub phnum: u64,
    /// The mappings, in address order, disjoint, page aligned.
    pub mappings: Vec<Mapping>,
    /// What to change after mapping, in address order.
    pub fixups: Vec<Fixup>,
    /// The initial program break: the page-rounded end of the highest
    /// segment.
    pub brk_start: u64,
    /// PT_GNU_STACK's protection, if the program has that header.
    pub gnu_stack: Option<Prot>,
}

/// A validated PT_LOAD, biased.
#[derive(Clone, Copy, Debug)]
struct Seg {
    v: u64,
    filesz: u64,
    memsz: u64,
    off: u64,
    prot: Prot,
}

const fn trunc(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

/// Round up; callers guarantee `x <= user_end`, which is page aligned and
/// below `u64::MAX`, so this cannot overflow.
const fn round_up(x: u64) -> u64 {
    trunc(x + (PAGE_SIZE - 1))
}

impl Seg {
    fn first_page(&self) -> u64 {
        trunc(self.v)
    }
    /// End of the last page (exclusive).
    fn end_page(&self) -> u64 {
        round_up(self.v + self.memsz)
    }
    fn file_end(&self) -> u64 {
        self.v + self.filesz
    }
    /// End (exclusive) of the pages holding file bytes.
    fn file_pages_end(&self) -> u64 {
        if self.filesz == 0 {
            self.first_page()
        } else {
            round_up(self.file_end())
        }
    }
    /// File offset of page `page` of this segment.
    fn page_offset(&self, page: u64) -> u64 {
        trunc(self.off) + (page - self.first_page())
    }
    /// The segment's file bytes inside page `p`, as `[a, b)`.
    fn file_bytes_in(&self, p: u64) -> Option<(u64, u64)> {
        let (a, b) = (self.v.max(p), self.file_end().min(p + PAGE_SIZE));
        (a < b).then_some((a, b))
    }
    /// The segment's bss bytes inside page `p`, as `[a, b)`.
    fn zero_bytes_in(&self, p: u64) -> Option<(u64, u64)> {
        let (a, b) = (
            self.file_end().max(p),
            (self.v + self.memsz).min(p + PAGE_SIZE),
        );
        (a < b).then_some((a, b))
    }
}

/// The protection of ELF segment flags: PF_W implies read (x86 pages
/// cannot be write-only).
pub(crate) fn prot_of(p_flags: u32) -> Prot {
    let mut p = Prot::NONE;
    if p_flags & PF_R != 0 {
        p = p | Prot::READ;
    }
    if p_flags & PF_W != 0 {
        p = p | Prot::READ | Prot::WRITE;
    }
    if p_flags & PF_X != 0 {
        p = p | Prot::EXEC;
    }
    p
}

fn push<T>(v: &mut Vec<T>, x: T) -> Result<(), ElfError> {
    v.try_reserve(1).map_err(|_| ElfError::NoMem)?;
    v.push(x);
    Ok(())
}

impl LoadPlan {
    /// Plan the load of the executable whose file starts with `image`
    /// (normally its first page). The program header table must be inside
    /// `image`; if it is not, the error is [`ElfError::NeedMore`] with its
    /// file range: read it and call [`LoadPlan::with_phdrs`].
    pub fn new(image: &[u8], params: &LoadParams) -> Result<LoadPlan, ElfError> {
        let h = parse_header(image)?;
        let (off, len) = h.table_range();
        let table = usize::try_from(off)
            .ok()
            .and_then(|o| image.get(o..o.checked_add(len as usize)?))
            .ok_or(ElfError::NeedMore { offset: off, len })?;
        Self::build(&h, table, params)
    }

    /// Plan the load from the ELF header (`header`, the file's first 64
    /// bytes or more) and the program header table read separately
    /// (`phdrs`, the bytes at `e_phoff`; extra bytes are ignored).
    pub fn with_phdrs(
        header: &[u8],
        phdrs: &[u8],
        params: &LoadParams,
    ) -> Result<LoadPlan, ElfError> {
        let h = parse_header(header)?;
        let (offset, len) = h.table_range();
        let table = phdrs
            .get(..len as usize)
            .ok_or(ElfError::NeedMore { offset, len })?;
        Self::build(&h, table, params)
    }

    /// Lowest mapped address.
    pub fn image_start(&self) -> u64 {
        self.mappings.first().map_or(0, Mapping::vaddr)
    }

    /// End of the highest mapping.
    pub fn image_end(&self) -> u64 {
        self.mappings.last().map_or(0, Mapping::end)
    }

    fn build(h: &Header, table: &[u8], params: &LoadParams) -> Result<LoadPlan, ElfError> {
        let user_end = trunc(params.user_end.min(u64::MAX - PAGE_SIZE));
        let user_min = params.user_min;

        // Pass 1: classify the program headers.
        let mut loads: Vec<(u16, elf::segment::ProgramHeader)> = Vec::new();
        loads
            .try_reserve(h.phnum as usize)
            .map_err(|_| ElfError::NoMem)?;
        let (mut pt_phdr, mut gnu_stack) = (None, None);
        for (i, ph) in program_headers(table).enumerate() {
            match ph.p_type {
                PT_INTERP => return Err(ElfError::Interpreter),
                PT_LOAD => loads.push((i as u16, ph)),
                PT_PHDR => pt_phdr = Some(ph.p_vaddr),
                PT_GNU_STACK => gnu_stack = Some(prot_of(ph.p_flags)),
                _ => {}
            }
        }
        let Some((_, first)) = loads.first() else {
            return Err(ElfError::NoLoadSegment);
        };

        // The bias: 0 for ET_EXEC; for ET_DYN the base aligned to the
        // largest power-of-two p_align, minus the first segment's page.
        let (kind, bias) = if h.e_type == ET_DYN {
            let align = loads
                .iter()
                .map(|(_, ph)| ph.p_align)
                .filter(|a| a.is_power_of_two())
                .fold(PAGE_SIZE, u64::max);
            let base = params.dyn_base & !(align - 1);
            (ElfKind::Dyn, trunc(base.wrapping_sub(first.p_vaddr)))
        } else {
            (ElfKind::Exec, 0)
        };

        // Pass 2: validate the segments (in i128, so nothing overflows).
        let mut segs: Vec<Seg> = Vec::new();
        segs.try_reserve(loads.len()).map_err(|_| ElfError::NoMem)?;
        let signed_bias = bias as i64 as i128;
        let mut prev_end: i128 = i128::MIN;
        for &(index, ph) in &loads {
            let bad = |problem| ElfError::Segment { index, problem };
            if ph.p_filesz > ph.p_memsz {
                return Err(bad(SegmentProblem::FileszOverMemsz));
            }
            if ph.p_offset % PAGE_SIZE != ph.p_vaddr % PAGE_SIZE {
                return Err(bad(SegmentProblem::Misaligned));
            }
            if ph.p_offset.checked_add(ph.p_filesz).is_none() {
                return Err(bad(SegmentProblem::FileRangeOverflow));
            }
            if ph.p_memsz == 0 {
                // Maps nothing (Linux skips it too).
                continue;
            }
            let v = ph.p_vaddr as i128 + signed_bias;
            let end = v + ph.p_memsz as i128;
            if v < user_min as i128 || end > user_end as i128 {
                return Err(bad(SegmentProblem::OutOfRange));
            }
            if v < prev_end {
                return Err(bad(SegmentProblem::Overlap));
            }
            prev_end = end;
            segs.push(Seg {
                v: v as u64,
                filesz: ph.p_filesz,
                memsz: ph.p_memsz,
                off: ph.p_offset,
                prot: prot_of(ph.p_flags),
            });
        }
        if segs.is_empty() {
            return Err(ElfError::NoLoadSegment);
        }

        let entry = h.entry as i128 + signed_bias;
        if entry < user_min as i128 || entry >= user_end as i128 {
            return Err(ElfError::BadEntry);
        }

        // AT_PHDR: PT_PHDR, else the PT_LOAD whose file bytes hold the
        // whole table.
        let (phoff, phlen) = h.table_range();
        let phdr_addr = match pt_phdr {
            Some(va) => va.wrapping_add(bias),
            None => loads
                .iter()
                .find(|(_, ph)| {
                    ph.p_offset <= phoff && phoff + phlen <= ph.p_offset.saturating_add(ph.p_filesz)
                })
                .map_or(0, |(_, ph)| {
                    (ph.p_vaddr + (phoff - ph.p_offset)).wrapping_add(bias)
                }),
        };

        let (mappings, fixups) = page_plan(&segs)?;
        let brk_start = segs.iter().map(Seg::end_page).max().unwrap_or(0);
        Ok(LoadPlan {
            kind,
            bias,
            entry: entry as u64,
            phdr_addr,
            phent: PHDR_SIZE as u64,
            phnum: h.phnum as u64,
            mappings,
            fixups,
            brk_start,
            gnu_stack,
        })
    }
}

/// The mappings and fixups of validated, ordered, disjoint segments (the
/// algorithm of the module documentation).
fn page_plan(segs: &[Seg]) -> Result<(Vec<Mapping>, Vec<Fixup>), ElfError> {
    let n = segs.len();
    let mut maps: Vec<Mapping> = Vec::new();
    let mut fixups: Vec<Fixup> = Vec::new();
    // Last page of segment i is the first page of segment i + 1.
    let shares_next =
        |i: usize| i + 1 < n && segs[i].end_page() - PAGE_SIZE == segs[i + 1].first_page();

    // Pages touched by one segment only.
    for (i, s) in segs.iter().enumerate() {
        let lo = s.first_page()
            + if i > 0 && shares_next(i - 1) {
                PAGE_SIZE
            } else {
                0
            };
        let hi = s.end_page() - if shares_next(i) { PAGE_SIZE } else { 0 };
        if lo >= hi {
            continue;
        }
        let file_hi = s.file_pages_end().min(hi);
        if lo < file_hi {
            push(
                &mut maps,
                Mapping::FileMap {
                    vaddr: lo,
                    len: file_hi - lo,
                    file_offset: s.page_offset(lo),
                    prot: s.prot,
                },
            )?;
        }
        let zero_lo = s.file_pages_end().max(lo);
        if zero_lo < hi {
            push(
                &mut maps,
                Mapping::ZeroFill {
                    vaddr: zero_lo,
                    len: hi - zero_lo,
                    prot: s.prot,
                },
            )?;
        }
        // The bss starts inside a file-backed page of this segment alone:
        // clear to the end of that page.
        let fe = s.file_end();
        if s.filesz > 0
            && s.memsz > s.filesz
            && fe % PAGE_SIZE != 0
            && (lo..hi).contains(&trunc(fe))
        {
            push(
                &mut fixups,
                Fixup::ZeroTail {
                    vaddr: fe,
                    len: round_up(fe) - fe,
                },
            )?;
        }
    }

    // Shared pages: the group of segments touching page p.
    let mut i = 0;
    while i < n {
        if !shares_next(i) {
            i += 1;
            continue;
        }
        let p = segs[i].end_page() - PAGE_SIZE;
        let mut j = i + 1;
        while segs[j].end_page() == p + PAGE_SIZE && shares_next(j) {
            j += 1;
        }
        let group = &segs[i..=j];
        let prot = group.iter().fold(Prot::NONE, |a, s| a | s.prot);
        let mut offset: Option<u64> = None;
        let mut agree = true;
        for s in group {
            if s.file_bytes_in(p).is_some() {
                let o = s.page_offset(p);
                agree &= offset.is_none_or(|x| x == o);
                offset.get_or_insert(o);
            }
        }
        match offset {
            Some(file_offset) if agree => {
                push(
                    &mut maps,
                    Mapping::FileMap {
                        vaddr: p,
                        len: PAGE_SIZE,
                        file_offset,
                        prot,
                    },
                )?;
                for s in group {
                    if let Some((a, b)) = s.zero_bytes_in(p) {
                        push(
                            &mut fixups,
                            Fixup::ZeroTail {
                                vaddr: a,
                                len: b - a,
                            },
                        )?;
                    }
                }
            }
            _ => {
                push(
                    &mut maps,
                    Mapping::ZeroFill {
                        vaddr: p,
                        len: PAGE_SIZE,
                        prot,
                    },
                )?;
                for s in group {
                    if let Some((a, b)) = s.file_bytes_in(p) {
                        push(
                            &mut fixups,
                            Fixup::CopyFromFile {
                                vaddr: a,
                                len: b - a,
                                file_offset: s.off + (a - s.v),
                            },
                        )?;
                    }
                }
            }
        }
        i = j;
    }

    maps.sort_unstable_by_key(Mapping::vaddr);
    fixups.sort_unstable_by_key(|f| match *f {
        Fixup::ZeroTail { vaddr, .. } | Fixup::CopyFromFile { vaddr, .. } => vaddr,
    });
    Ok((merge(maps), fixups))
}

/// Merge adjacent mappings of the same kind and protection (and, for
/// file mappings, contiguous offsets), in place.
fn merge(mut maps: Vec<Mapping>) -> Vec<Mapping> {
    // `dedup_by` passes (later, earlier kept): extend the earlier one.
    maps.dedup_by(|next, prev| match (prev, *next) {
        (
            Mapping::FileMap {
                vaddr,
                len,
                file_offset,
                prot,
            },
            Mapping::FileMap {
                vaddr: v2,
                len: l2,
                file_offset: o2,
                prot: p2,
            },
        ) if *vaddr + *len == v2 && *prot == p2 && *file_offset + *len == o2 => {
            *len += l2;
            true
        }
        (
            Mapping::ZeroFill { vaddr, len, prot },
            Mapping::ZeroFill {
                vaddr: v2,
                len: l2,
                prot: p2,
            },
        ) if *vaddr + *len == v2 && *prot == p2 => {
            *len += l2;
            true
        }
        _ => false,
    });
    maps
}

//! Test helpers: an ELF64 image builder and a simulator that carries a
//! load plan out on a sparse memory, to compare with what the segments
//! say the memory must hold.

#![allow(dead_code)]

use std::collections::BTreeMap;

use ferrite_elfload::*;

pub const P: u64 = PAGE_SIZE;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

#[derive(Clone, Copy, Debug)]
pub struct Ph {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        p_type: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align: P,
    }
}

/// An ELF64 x86_64 file of `e_type` (2 = ET_EXEC, 3 = ET_DYN) with the
/// program headers at offset 64, padded with `fill(offset)` bytes to
/// `len`.
pub fn elf(e_type: u16, entry: u64, phs: &[Ph], len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len.max(64 + 56 * phs.len())).map(fill).collect();
    f[..64].fill(0);
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&e_type.to_le_bytes());
    f[18..20].copy_from_slice(&62u16.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&(phs.len() as u16).to_le_bytes());
    for (i, ph) in phs.iter().enumerate() {
        let p = &mut f[64 + 56 * i..][..56];
        p[0..4].copy_from_slice(&ph.p_type.to_le_bytes());
        p[4..8].copy_from_slice(&ph.flags.to_le_bytes());
        for (at, v) in [
            (8, ph.offset),
            (16, ph.vaddr),
            (24, ph.vaddr),
            (32, ph.filesz),
            (40, ph.memsz),
            (48, ph.align),
        ] {
            p[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
    }
    f
}

/// The byte at file offset `o` (distinct enough to catch wrong offsets).
pub fn fill(o: usize) -> u8 {
    (o.wrapping_mul(131) >> 3) as u8 ^ (o >> 12) as u8
}

/// The memory after carrying out `plan` on `file`: page address -> (bytes,
/// prot). Panics if the plan maps a page twice or writes outside a mapping.
pub fn simulate(plan: &LoadPlan, file: &[u8]) -> BTreeMap<u64, (Vec<u8>, Prot)> {
    let mut mem: BTreeMap<u64, (Vec<u8>, Prot)> = BTreeMap::new();
    let byte = |o: u64| file.get(o as usize).copied().unwrap_or(0);
    for m in &plan.mappings {
        assert_eq!(m.vaddr() % P, 0, "{m:?}");
        assert_eq!(m.len() % P, 0, "{m:?}");
        assert!(!m.is_empty());
        for page in (m.vaddr()..m.end()).step_by(P as usize) {
            let content = match *m {
                Mapping::FileMap {
                    vaddr, file_offset, ..
                } => {
                    assert_eq!(file_offset % P, 0);
                    (0..P)
                        .map(|i| byte(file_offset + (page - vaddr) + i))
                        .collect()
                }
                Mapping::ZeroFill { .. } => vec![0; P as usize],
            };
            assert!(
                mem.insert(page, (content, m.prot())).is_none(),
                "page {page:#x} mapped twice"
            );
        }
    }
    for f in &plan.fixups {
        let (vaddr, len) = match *f {
            Fixup::ZeroTail { vaddr, len } | Fixup::CopyFromFile { vaddr, len, .. } => (vaddr, len),
        };
        assert!(len > 0);
        for a in vaddr..vaddr + len {
            let (page, _) = mem
                .get_mut(&(a & !(P - 1)))
                .unwrap_or_else(|| panic!("fixup {f:?} outside the mappings"));
            page[(a % P) as usize] = match *f {
                Fixup::ZeroTail { .. } => 0,
                Fixup::CopyFromFile { file_offset, .. } => byte(file_offset + (a - vaddr)),
            };
        }
    }
    mem
}

/// Check the plan's memory against the segments: every segment byte holds
/// the file byte (below filesz) or 0 (up to memsz), its pages are mapped
/// with at least its protection, and pages no segment touches are not
/// mapped.
pub fn check_against_segments(plan: &LoadPlan, file: &[u8], loads: &[Ph]) {
    let mem = simulate(plan, file);
    let byte = |o: u64| file.get(o as usize).copied().unwrap_or(0);
    let prot_of = |f: u32| {
        let mut p = Prot::NONE;
        if f & PF_R != 0 || f & PF_W != 0 {
            p = p | Prot::READ;
        }
        if f & PF_W != 0 {
            p = p | Prot::WRITE;
        }
        if f & PF_X != 0 {
            p = p | Prot::EXEC;
        }
        p
    };
    let mut touched = std::collections::BTreeSet::new();
    for ph in loads.iter().filter(|p| p.p_type == PT_LOAD && p.memsz > 0) {
        let v = ph.vaddr.wrapping_add(plan.bias);
        for i in 0..ph.memsz {
            let a = v + i;
            let (page, prot) = mem
                .get(&(a & !(P - 1)))
                .unwrap_or_else(|| panic!("{a:#x} not mapped"));
            assert!(prot.contains(prot_of(ph.flags)), "{a:#x}: {prot:?}");
            let want = if i < ph.filesz {
                byte(ph.offset + i)
            } else {
                0
            };
            assert_eq!(
                page[(a % P) as usize],
                want,
                "byte at {a:#x} (segment {ph:?})"
            );
            touched.insert(a & !(P - 1));
        }
    }
    let mapped: std::collections::BTreeSet<u64> = mem.keys().copied().collect();
    assert_eq!(
        mapped, touched,
        "pages mapped but not used by any segment, or the reverse"
    );
    // Address order, brk.
    for w in plan.mappings.windows(2) {
        assert!(w[0].end() <= w[1].vaddr());
    }
    assert_eq!(plan.brk_start, plan.image_end());
}

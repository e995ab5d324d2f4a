//! Memory attributes through the page attribute table (PAT). The PAT is
//! programmed like Linux's: entry 0 write-back, 1 write-combining, 2 UC-,
//! 3 uncached (and again for 4-7), so an attribute needs only the PWT and
//! PCD bits of an entry, at every level, never the PAT bit itself.

use super::pte::Pte;
use x86_64::registers::model_specific::Msr;

const IA32_PAT: u32 = 0x277;
const PAT_WB: u64 = 0x06;
const PAT_WC: u64 = 0x01;
const PAT_UC_MINUS: u64 = 0x07;
const PAT_UC: u64 = 0x00;

/// The PAT value Ferrite programs.
pub const PAT_VALUE: u64 = PAT_WB
    | (PAT_WC << 8)
    | (PAT_UC_MINUS << 16)
    | (PAT_UC << 24)
    | (PAT_WB << 32)
    | (PAT_WC << 40)
    | (PAT_UC_MINUS << 48)
    | (PAT_UC << 56);

/// The caching behaviour of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MemAttr {
    WriteBack = 0,
    WriteCombining = 1,
    Uncached = 3,
}

impl MemAttr {
    pub fn from_u8(v: u8) -> MemAttr {
        match v {
            1 => MemAttr::WriteCombining,
            3 => MemAttr::Uncached,
            _ => MemAttr::WriteBack,
        }
    }

    /// The PWT/PCD bits that select this attribute's PAT entry.
    pub fn pte_bits(self) -> Pte {
        match self {
            MemAttr::WriteBack => Pte::empty(),
            MemAttr::WriteCombining => Pte::WRITE_THROUGH,
            MemAttr::Uncached => Pte::WRITE_THROUGH | Pte::CACHE_DISABLE,
        }
    }

    /// The attribute an entry's PWT/PCD bits select.
    pub fn of_pte(pte: u64) -> MemAttr {
        let f = Pte::from_bits_retain(pte);
        match (
            f.contains(Pte::WRITE_THROUGH),
            f.contains(Pte::CACHE_DISABLE),
        ) {
            (false, false) => MemAttr::WriteBack,
            (true, false) => MemAttr::WriteCombining,
            _ => MemAttr::Uncached,
        }
    }
}

/// The cache bits of an entry.
pub const CACHE_BITS: u64 = Pte::WRITE_THROUGH.bits() | Pte::CACHE_DISABLE.bits();

/// Program the PAT (once at boot, before any WC/UC mapping exists).
pub fn init() {
    // SAFETY: IA32_PAT exists (CPUID PAT is checked by the caller); entry 0
    // stays write-back, so existing mappings (PWT=PCD=0) keep their type.
    unsafe { Msr::new(IA32_PAT).write(PAT_VALUE) };
}

/// The PAT value the CPU holds now.
pub fn read() -> u64 {
    // SAFETY: reading IA32_PAT has no side effects.
    unsafe { Msr::new(IA32_PAT).read() }
}

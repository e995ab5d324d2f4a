//! ELF header and program header table: parsing (with the `elf` crate)
//! and the checks Linux's `load_elf_binary` makes before mapping anything.
//! Owns no layout policy.

use elf::abi::{EM_X86_64, ET_DYN, ET_EXEC, EV_CURRENT};
use elf::endian::LittleEndian;
use elf::file::{Class, FileHeader, parse_ident};
use elf::segment::{ProgramHeader, SegmentTable};

use crate::{ElfError, PAGE_SIZE};

/// Size of the ELF64 header.
pub const EHDR_SIZE: usize = 64;
/// Size of an ELF64 program header (`AT_PHENT`).
pub const PHDR_SIZE: usize = 56;

/// What the loader uses of the ELF header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub e_type: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phnum: u16,
}

impl Header {
    /// File range of the program header table.
    pub fn table_range(&self) -> (u64, u64) {
        (self.phoff, self.phnum as u64 * PHDR_SIZE as u64)
    }
}

/// Parse and check the ELF header at the start of `bytes`.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<Header, ElfError> {
    const MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
    let have = bytes.len().min(4);
    if bytes[..have] != MAGIC[..have] {
        return Err(ElfError::NotElf);
    }
    if bytes.len() < EHDR_SIZE {
        return Err(ElfError::NeedMore {
            offset: 0,
            len: EHDR_SIZE as u64,
        });
    }
    // Check the identification bytes ourselves for precise errors; the
    // `elf` crate then parses the rest.
    if bytes[4] != 2 {
        return Err(ElfError::Unsupported("not ELF64"));
    }
    if bytes[5] != 1 {
        return Err(ElfError::Unsupported("not little endian"));
    }
    if bytes[6] != EV_CURRENT {
        return Err(ElfError::Unsupported("bad ELF version"));
    }
    let ident = parse_ident::<LittleEndian>(&bytes[..16]).map_err(|_| ElfError::NotElf)?;
    let ehdr = FileHeader::parse_tail(ident, &bytes[16..EHDR_SIZE])
        .map_err(|_| ElfError::Unsupported("bad ELF header"))?;
    if ehdr.version != EV_CURRENT as u32 {
        return Err(ElfError::Unsupported("bad ELF version"));
    }
    if ehdr.e_machine != EM_X86_64 {
        return Err(ElfError::Unsupported("not x86_64"));
    }
    if ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN {
        return Err(ElfError::Unsupported(
            "not an executable (ET_EXEC or ET_DYN)",
        ));
    }
    // Linux: the entry size must be sizeof(Elf64_Phdr), and the table at
    // most a page (it is read into one buffer).
    let table = ehdr.e_phnum as u64 * PHDR_SIZE as u64;
    if ehdr.e_phentsize as usize != PHDR_SIZE || ehdr.e_phnum == 0 || table > PAGE_SIZE {
        return Err(ElfError::BadProgramHeaders);
    }
    if ehdr.e_phoff.checked_add(table).is_none() {
        return Err(ElfError::BadProgramHeaders);
    }
    Ok(Header {
        e_type: ehdr.e_type,
        entry: ehdr.e_entry,
        phoff: ehdr.e_phoff,
        phnum: ehdr.e_phnum,
    })
}

/// The program headers in `table` (exactly the table's bytes).
pub(crate) fn program_headers(table: &[u8]) -> impl Iterator<Item = ProgramHeader> + '_ {
    SegmentTable::new(LittleEndian, Class::ELF64, table).into_iter()
}

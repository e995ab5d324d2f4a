//! Why an executable was refused, and the errno exec returns for it.

use core::fmt;

use ferrite_abi::Errno;

/// What is wrong with one PT_LOAD segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SegmentProblem {
    /// `p_offset % PAGE != p_vaddr % PAGE`: the file pages cannot be
    /// mapped at the segment's pages.
    Misaligned,
    /// `p_filesz > p_memsz`.
    FileszOverMemsz,
    /// `p_offset + p_filesz` overflows.
    FileRangeOverflow,
    /// The segment (after the load bias) is not inside the user address
    /// range, or its end overflows.
    OutOfRange,
    /// The segment's bytes overlap the previous PT_LOAD's, or PT_LOADs
    /// are not in ascending address order (the ELF specification requires
    /// both; Linux maps later segments over earlier ones instead).
    Overlap,
}

/// Why [`crate::LoadPlan`] refused an executable. Every error is a value;
/// no input makes the loader panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElfError {
    /// The bytes given do not reach far enough: the loader needs the file
    /// range `[offset, offset + len)` (the ELF header, or the program
    /// header table when it is not in the first page). Not a verdict on
    /// the file: read that range and call again.
    NeedMore {
        /// File offset of the needed range.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// No ELF magic (exec then tries other formats: `#!` scripts).
    NotElf,
    /// Not ELF64 / little endian / version 1 / x86_64 / ET_EXEC or ET_DYN.
    Unsupported(&'static str),
    /// `e_phentsize` is not 56, or `e_phnum` is 0 or the table is larger
    /// than a page (Linux's limit).
    BadProgramHeaders,
    /// No PT_LOAD segment.
    NoLoadSegment,
    /// A PT_INTERP segment: dynamically linked programs are not supported.
    Interpreter,
    /// A PT_LOAD segment (index in the program header table) is invalid.
    Segment {
        /// Index of the program header.
        index: u16,
        /// What is wrong.
        problem: SegmentProblem,
    },
    /// The entry point (after the bias) is outside the user range.
    BadEntry,
    /// Memory for the plan could not be allocated.
    NoMem,
}

impl ElfError {
    /// The errno execve returns, as Linux does: ENOEXEC for a file that
    /// is not a loadable x86_64 ELF executable, EINVAL for segments or an
    /// entry point the address space cannot hold, ENOMEM when out of
    /// memory, EIO for [`ElfError::NeedMore`] (which the kernel resolves
    /// by reading more, unless the file is too short: then ENOEXEC applies,
    /// see [`ElfError::errno_short_file`]).
    pub fn errno(&self) -> Errno {
        match self {
            ElfError::NeedMore { .. } => Errno::EIO,
            ElfError::NotElf
            | ElfError::Unsupported(_)
            | ElfError::BadProgramHeaders
            | ElfError::NoLoadSegment
            | ElfError::Interpreter => Errno::ENOEXEC,
            ElfError::Segment { problem, .. } => match problem {
                SegmentProblem::Overlap => Errno::ENOEXEC,
                _ => Errno::EINVAL,
            },
            ElfError::BadEntry => Errno::EINVAL,
            ElfError::NoMem => Errno::ENOMEM,
        }
    }

    /// The errno when the file itself ends before the range `NeedMore`
    /// asked for: ENOEXEC (a truncated header or program header table).
    pub fn errno_short_file(&self) -> Errno {
        match self {
            ElfError::NeedMore { .. } => Errno::ENOEXEC,
            e => e.errno(),
        }
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::NeedMore { offset, len } => {
                write!(
                    f,
                    "need file bytes {offset:#x}..{:#x}",
                    offset.saturating_add(*len)
                )
            }
            ElfError::NotElf => f.write_str("not an ELF file"),
            ElfError::Unsupported(what) => write!(f, "unsupported ELF file: {what}"),
            ElfError::BadProgramHeaders => f.write_str("bad program header table"),
            ElfError::NoLoadSegment => f.write_str("no PT_LOAD segment"),
            ElfError::Interpreter => f.write_str("PT_INTERP: dynamic linking is not supported"),
            ElfError::Segment { index, problem } => {
                write!(f, "program header {index}: {problem:?}")
            }
            ElfError::BadEntry => f.write_str("entry point outside user space"),
            ElfError::NoMem => f.write_str("out of memory"),
        }
    }
}

impl core::error::Error for ElfError {}

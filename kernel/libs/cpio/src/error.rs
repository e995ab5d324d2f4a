//! The two error types: [`ReadError`] (a malformed archive, with the offset
//! of the entry at fault) and [`WriteError`] (a member the writer refuses).
//! Both have a one-line `Display` meant to be shown as is.

use alloc::string::String;
use core::fmt;

/// Why an archive could not be read: the offset of the header of the entry
/// at fault (or where the next header should have been) and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// Byte offset of the entry's header in the archive.
    pub offset: usize,
    /// What is wrong with it.
    pub kind: ReadErrorKind,
}

/// The problems [`ReadError`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// Fewer than 110 bytes left for a header.
    TruncatedHeader {
        /// Bytes left in the archive.
        available: usize,
    },
    /// The header does not start with `070701`.
    BadMagic {
        /// The six bytes found instead.
        found: [u8; 6],
    },
    /// A numeric field holds something other than 8 hex digits.
    BadHexDigit {
        /// Name of the field (`c_mode`, `c_filesize`, ...).
        field: &'static str,
    },
    /// `c_namesize` is 0: there is not even room for the NUL.
    EmptyName,
    /// The name (`c_namesize` bytes) runs past the end of the archive.
    NameRunsPastEnd {
        /// `c_namesize`.
        namesize: u32,
        /// Bytes left after the header.
        available: usize,
    },
    /// The last byte of the name is not NUL.
    NameNotTerminated,
    /// A NUL byte appears before the end of the name.
    NameContainsNul,
    /// The data (after the name's padding) runs past the end of the archive.
    DataRunsPastEnd {
        /// `c_filesize`.
        size: u32,
        /// Bytes left where the data starts.
        available: usize,
    },
    /// The archive ended without a `TRAILER!!!` entry.
    MissingTrailer,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpio entry at offset {}: ", self.offset)?;
        match &self.kind {
            ReadErrorKind::TruncatedHeader { available } => write!(
                f,
                "header runs past the end of the archive ({available} of 110 bytes present)"
            ),
            ReadErrorKind::BadMagic { found } => {
                f.write_str("bad magic `")?;
                for &b in found {
                    if b.is_ascii_graphic() {
                        write!(f, "{}", b as char)?;
                    } else {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                f.write_str("` (expected `070701`, the newc format)")
            }
            ReadErrorKind::BadHexDigit { field } => {
                write!(f, "field {field} is not 8 hexadecimal digits")
            }
            ReadErrorKind::EmptyName => {
                f.write_str("c_namesize is 0 (the name needs at least its NUL byte)")
            }
            ReadErrorKind::NameRunsPastEnd {
                namesize,
                available,
            } => write!(
                f,
                "name of {namesize} bytes runs past the end of the archive ({available} bytes left)"
            ),
            ReadErrorKind::NameNotTerminated => f.write_str("name is not NUL-terminated"),
            ReadErrorKind::NameContainsNul => f.write_str("name contains a NUL byte"),
            ReadErrorKind::DataRunsPastEnd { size, available } => write!(
                f,
                "data of {size} bytes runs past the end of the archive ({available} bytes left)"
            ),
            ReadErrorKind::MissingTrailer => f.write_str("archive ends without a TRAILER!!! entry"),
        }
    }
}

impl core::error::Error for ReadError {}

/// Why the [`Writer`](crate::Writer) refused a member.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The path is empty (or only `/` and `./`): the root is implicit.
    EmptyPath,
    /// The path has an empty, `.` or `..` component, or a NUL byte.
    BadPath {
        /// The path as given.
        path: String,
    },
    /// The path is already in the archive.
    Duplicate {
        /// The normalised path.
        path: String,
    },
    /// The parent directory has not been added before the member.
    ParentMissing {
        /// The normalised path.
        path: String,
        /// Its parent.
        parent: String,
    },
    /// The parent is in the archive but is not a directory.
    ParentNotDirectory {
        /// The normalised path.
        path: String,
        /// Its parent.
        parent: String,
    },
    /// Permission bits outside `0o7777`.
    BadPermissions {
        /// The normalised path.
        path: String,
        /// The bits given.
        perm: u32,
    },
    /// Data (or the name) longer than the 32-bit size fields allow.
    TooLarge {
        /// The normalised path.
        path: String,
        /// Its size in bytes.
        size: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::EmptyPath => {
                f.write_str("empty path (the archive root is implicit and cannot be added)")
            }
            WriteError::BadPath { path } => write!(
                f,
                "bad path `{}`: empty, `.` or `..` component, or a NUL byte",
                path.escape_debug()
            ),
            WriteError::Duplicate { path } => write!(f, "`{path}` is already in the archive"),
            WriteError::ParentMissing { path, parent } => write!(
                f,
                "`{path}`: parent directory `{parent}` must be added first (see Writer::add_parents)"
            ),
            WriteError::ParentNotDirectory { path, parent } => {
                write!(f, "`{path}`: parent `{parent}` is not a directory")
            }
            WriteError::BadPermissions { path, perm } => {
                write!(f, "`{path}`: permission bits {perm:#o} outside 0o7777")
            }
            WriteError::TooLarge { path, size } => write!(
                f,
                "`{path}`: {size} bytes do not fit the 32-bit size field of the newc format"
            ),
        }
    }
}

impl core::error::Error for WriteError {}

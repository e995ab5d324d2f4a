//! newc cpio archives (`070701`), the format of Linux's initramfs.
//!
//! - [`entries`] reads an archive held in memory: an iterator of [`Entry`]
//!   values whose name and data borrow from the buffer (no copies), ending
//!   at `TRAILER!!!`. Every malformed input is a [`ReadError`] naming the
//!   offset of the entry at fault; nothing panics.
//! - [`Writer`] builds an archive (directories, regular files, symlinks,
//!   character devices) with parents before children, increasing inode
//!   numbers, padding and the trailer; same members, same bytes.
//!
//! The format (Linux, `Documentation/driver-api/early-userspace/
//! buffer-format.rst`) is described in [`newc`]. The host tool packs the
//! initramfs with the writer; the kernel unpacks it with the reader.
//!
//! ```
//! use ferrite_cpio::{entries, FileType, Writer};
//!
//! let mut w = Writer::new();
//! w.add_parents(["bin/init"], 0o755).unwrap();
//! w.file("bin/init", 0o755, b"#!").unwrap();
//! let archive = w.finish();
//!
//! let e = entries(&archive).nth(1).unwrap().unwrap();
//! assert_eq!(e.name, b"bin/init");
//! assert_eq!(e.file_type(), FileType::Regular);
//! assert_eq!(e.permissions(), 0o755);
//! assert_eq!(e.data, b"#!");
//!
//! // Cut just before the data of `bin/init` (header at 116, data at 236).
//! let err = entries(&archive[..236]).last().unwrap().unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "cpio entry at offset 116: data of 2 bytes runs past the end of the archive (0 bytes left)"
//! );
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod entry;
mod error;
pub mod newc;
mod reader;
mod writer;

pub use entry::{Entry, FileType};
pub use error::{ReadError, ReadErrorKind, WriteError};
pub use reader::{Entries, entries};
pub use writer::Writer;

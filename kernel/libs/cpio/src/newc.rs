//! The newc header layout and the encodings shared by the reader and the
//! writer: the 110-byte header of ASCII hex fields, 4-byte alignment, the
//! trailer name, and the file-type bits of `c_mode`.
//!
//! This module owns the on-disk constants only; it never walks an archive
//! (that is [`crate::reader`]) and never builds one ([`crate::writer`]).
//!
//! Layout of one entry (Linux, `Documentation/driver-api/early-userspace/
//! buffer-format.rst`):
//!
//! ```text
//! offset 0    c_magic     6 bytes  "070701"
//!        6    c_ino       8 hex digits
//!       14    c_mode      8        file type and permission bits
//!       22    c_uid       8
//!       30    c_gid       8
//!       38    c_nlink     8
//!       46    c_mtime     8
//!       54    c_filesize  8        size of the data (symlink: its target)
//!       62    c_maj       8        device holding the file (informational)
//!       70    c_min       8
//!       78    c_rmaj      8        device number of a device node
//!       86    c_rmin      8
//!       94    c_namesize  8        length of the name including its NUL
//!      102    c_chksum    8        0 for newc
//!      110    name        c_namesize bytes, NUL-terminated,
//!                         then NULs up to a multiple of 4
//!             data        c_filesize bytes, then NULs up to a multiple of 4
//! ```
//!
//! The archive ends with an entry named `TRAILER!!!`.

/// The magic of the newc format (the "crc" variant `070702` is not accepted).
pub const MAGIC: &[u8; 6] = b"070701";
/// Size of the fixed header.
pub const HEADER_LEN: usize = 110;
/// Name of the entry that ends an archive.
pub const TRAILER: &[u8] = b"TRAILER!!!";

/// The thirteen numeric fields, in header order (used in error messages).
pub const FIELDS: [&str; 13] = [
    "c_ino",
    "c_mode",
    "c_uid",
    "c_gid",
    "c_nlink",
    "c_mtime",
    "c_filesize",
    "c_maj",
    "c_min",
    "c_rmaj",
    "c_rmin",
    "c_namesize",
    "c_chksum",
];

/// Index of each field in [`FIELDS`] (and in a parsed header).
pub const INO: usize = 0;
/// See [`INO`].
pub const MODE: usize = 1;
/// See [`INO`].
pub const UID: usize = 2;
/// See [`INO`].
pub const GID: usize = 3;
/// See [`INO`].
pub const NLINK: usize = 4;
/// See [`INO`].
pub const MTIME: usize = 5;
/// See [`INO`].
pub const FILESIZE: usize = 6;
/// See [`INO`].
pub const DEV_MAJOR: usize = 7;
/// See [`INO`].
pub const DEV_MINOR: usize = 8;
/// See [`INO`].
pub const RDEV_MAJOR: usize = 9;
/// See [`INO`].
pub const RDEV_MINOR: usize = 10;
/// See [`INO`].
pub const NAMESIZE: usize = 11;

/// Mask of the file-type bits of a mode (`S_IFMT`).
pub const S_IFMT: u32 = 0o170_000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140_000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120_000;
/// Regular file.
pub const S_IFREG: u32 = 0o100_000;
/// Block device.
pub const S_IFBLK: u32 = 0o060_000;
/// Directory.
pub const S_IFDIR: u32 = 0o040_000;
/// Character device.
pub const S_IFCHR: u32 = 0o020_000;
/// Named pipe.
pub const S_IFIFO: u32 = 0o010_000;
/// Permission bits plus set-uid, set-gid and sticky.
pub const PERM_MASK: u32 = 0o7777;

/// `n` rounded up to a multiple of 4, or `None` on overflow.
pub fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|m| m & !3)
}

/// The value of one 8-digit hex field, or `None` if a byte is not a hex
/// digit (either case is accepted, as cpio(1) and Linux do).
pub fn parse_hex8(digits: &[u8]) -> Option<u32> {
    if digits.len() != 8 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some((acc << 4) | d)
    })
}

/// Appends `value` as 8 upper-case hex digits (the form Linux's
/// `gen_init_cpio` and GNU cpio write).
pub fn push_hex8(out: &mut alloc::vec::Vec<u8>, value: u32) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for shift in (0..8).rev() {
        out.push(DIGITS[((value >> (shift * 4)) & 0xf) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn hex_fields() {
        assert_eq!(parse_hex8(b"0000001a"), Some(26));
        assert_eq!(parse_hex8(b"0000001A"), Some(26));
        assert_eq!(parse_hex8(b"FFFFFFFF"), Some(u32::MAX));
        assert_eq!(parse_hex8(b"0000001g"), None);
        assert_eq!(parse_hex8(b" 0000001"), None);
        assert_eq!(parse_hex8(b"+0000001"), None);
        assert_eq!(parse_hex8(b"0000001"), None);
        let mut v = Vec::new();
        push_hex8(&mut v, 0x1234_abcd);
        assert_eq!(v, b"1234ABCD");
    }

    #[test]
    fn alignment() {
        assert_eq!(align4(0), Some(0));
        assert_eq!(align4(1), Some(4));
        assert_eq!(align4(4), Some(4));
        assert_eq!(align4(110 + 5), Some(116));
        assert_eq!(align4(usize::MAX), None);
    }

    #[test]
    fn layout_is_110_bytes() {
        assert_eq!(MAGIC.len() + FIELDS.len() * 8, HEADER_LEN);
    }
}

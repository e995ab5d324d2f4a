//! [`Entry`]: one member of an archive as the reader yields it (metadata
//! plus the data borrowed from the archive buffer), and [`FileType`], the
//! decoded file-type bits of its mode.
//!
//! Entries are plain values: this module does no parsing and no I/O.

use crate::newc::{
    PERM_MASK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
};

/// The kind of file an entry describes (the `S_IFMT` bits of its mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    /// `S_IFREG`: the data is the file's contents.
    Regular,
    /// `S_IFDIR`.
    Directory,
    /// `S_IFLNK`: the data is the link target.
    Symlink,
    /// `S_IFCHR`: see [`Entry::rdev_major`] / [`Entry::rdev_minor`].
    CharDevice,
    /// `S_IFBLK`: see [`Entry::rdev_major`] / [`Entry::rdev_minor`].
    BlockDevice,
    /// `S_IFIFO`.
    Fifo,
    /// `S_IFSOCK`.
    Socket,
    /// Any other value of the type bits (kept, not rejected: an unpacker
    /// decides what to do with it).
    Unknown(u32),
}

impl FileType {
    /// Decodes the type bits of `mode`.
    pub const fn from_mode(mode: u32) -> FileType {
        match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            other => FileType::Unknown(other),
        }
    }
}

/// One archive member. `name` and `data` borrow from the archive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Byte offset of the entry's header in the archive.
    pub offset: usize,
    /// The path without leading `/` or `./` (and without the NUL). The
    /// archive root itself (`.` or `/`) has the empty name. Bytes, as on
    /// Linux: names need not be UTF-8 (see [`Entry::name_str`]).
    pub name: &'a [u8],
    /// `c_ino`: equal inode numbers (with `nlink > 1`) mark hard links.
    pub ino: u32,
    /// File type and permission bits (`st_mode`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u32,
    /// Major number of the device node (character and block devices).
    pub rdev_major: u32,
    /// Minor number of the device node.
    pub rdev_minor: u32,
    /// The file contents (regular files) or the link target (symlinks);
    /// empty for other types in well-formed archives.
    pub data: &'a [u8],
}

impl<'a> Entry<'a> {
    /// The decoded file type.
    pub const fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }

    /// Permission bits, including set-uid, set-gid and sticky (`mode & 07777`).
    pub const fn permissions(&self) -> u32 {
        self.mode & PERM_MASK
    }

    /// The name as UTF-8, if it is.
    pub fn name_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.name).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types() {
        assert_eq!(FileType::from_mode(0o100_755), FileType::Regular);
        assert_eq!(FileType::from_mode(0o040_755), FileType::Directory);
        assert_eq!(FileType::from_mode(0o120_777), FileType::Symlink);
        assert_eq!(FileType::from_mode(0o020_600), FileType::CharDevice);
        assert_eq!(FileType::from_mode(0o060_600), FileType::BlockDevice);
        assert_eq!(FileType::from_mode(0o010_644), FileType::Fifo);
        assert_eq!(FileType::from_mode(0o140_755), FileType::Socket);
        assert_eq!(FileType::from_mode(0o000_644), FileType::Unknown(0));
        assert_eq!(FileType::from_mode(0o170_000), FileType::Unknown(0o170_000));
    }

    #[test]
    fn permissions_and_name() {
        let e = Entry {
            offset: 0,
            name: b"tmp",
            ino: 1,
            mode: 0o041_777,
            uid: 0,
            gid: 0,
            nlink: 2,
            mtime: 0,
            rdev_major: 0,
            rdev_minor: 0,
            data: b"",
        };
        assert_eq!(e.permissions(), 0o1777);
        assert_eq!(e.file_type(), FileType::Directory);
        assert_eq!(e.name_str(), Some("tmp"));
        let bad = Entry { name: b"\xff", ..e };
        assert_eq!(bad.name_str(), None);
    }
}

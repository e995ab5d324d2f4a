//! File type and mode bits (`S_IF*`, set-ID and sticky bits) and the
//! directory-entry types of getdents64 (`DT_*`, which are the `S_IF*`
//! type shifted right by 12).

use core::fmt;

use crate::flagfmt::{Named, names};

/// Mask of the file type.
pub const S_IFMT: u32 = 0o170000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO.
pub const S_IFIFO: u32 = 0o010000;
/// Set user ID on execution.
pub const S_ISUID: u32 = 0o4000;
/// Set group ID on execution.
pub const S_ISGID: u32 = 0o2000;
/// Sticky bit.
pub const S_ISVTX: u32 = 0o1000;

/// Unknown type.
pub const DT_UNKNOWN: u8 = 0;
/// FIFO.
pub const DT_FIFO: u8 = 1;
/// Character device.
pub const DT_CHR: u8 = 2;
/// Directory.
pub const DT_DIR: u8 = 4;
/// Block device.
pub const DT_BLK: u8 = 6;
/// Regular file.
pub const DT_REG: u8 = 8;
/// Symbolic link.
pub const DT_LNK: u8 = 10;
/// Socket.
pub const DT_SOCK: u8 = 12;
/// Whiteout.
pub const DT_WHT: u8 = 14;

/// The `DT_*` type of a mode (`IFTODT`).
pub const fn dt_from_mode(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// The `S_IF*` type of a `DT_*` value (`DTTOIF`).
pub const fn mode_from_dt(dt: u8) -> u32 {
    (dt as u32) << 12
}

const TYPE_NAMES: &[(i64, &str)] = names!(i64;
    S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO);

/// A mode as strace prints it: `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`,
/// or just the octal permissions when no type bits are set (`0644`).
#[derive(Clone, Copy, Debug)]
pub struct Mode(pub u32);

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = self.0 & S_IFMT;
        if ty != 0 {
            match Named::new(ty as i64, TYPE_NAMES).name() {
                Some(n) => write!(f, "{n}|")?,
                None => write!(f, "{ty:#o}|")?,
            }
        }
        for (bit, name) in [
            (S_ISUID, "S_ISUID"),
            (S_ISGID, "S_ISGID"),
            (S_ISVTX, "S_ISVTX"),
        ] {
            if self.0 & bit != 0 {
                write!(f, "{name}|")?;
            }
        }
        // C's "%#03o": a leading 0, at least 3 digits ("0644", "007", "000").
        let perm = self.0 & 0o777;
        let digits = if perm == 0 {
            0
        } else {
            (32 - perm.leading_zeros()).div_ceil(3)
        };
        for _ in (digits + 1)..3 {
            f.write_str("0")?;
        }
        if perm == 0 {
            f.write_str("0")
        } else {
            write!(f, "0{perm:o}")
        }
    }
}

/// A mode, e.g. `S_IFREG|0644`.
pub fn fmt_mode(mode: u32) -> Mode {
    Mode(mode)
}

const DT_NAMES: &[(i64, &str)] = names!(i64;
    DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK, DT_WHT);

/// A directory-entry type, e.g. `DT_REG`.
pub fn fmt_dt(dt: u8) -> Named {
    Named::new(dt as i64, DT_NAMES)
}

//! File-descriptor vocabulary: open flags (`O_*`, the asm-generic values
//! x86_64 uses), fcntl commands (`F_*`), `FD_CLOEXEC`, the `*at()` family's
//! `AT_FDCWD` and `AT_*` flags, and lseek's `SEEK_*`.
//!
//! Note `O_LARGEFILE`: the C library defines it as 0 on 64-bit, but the
//! kernel's value is 0x8000 and musl passes it to open; the kernel accepts
//! and ignores it on 64-bit.

use core::fmt;

use crate::flagfmt::{Flags, Named, names};

/// Open for reading only.
pub const O_RDONLY: i32 = 0o0;
/// Open for writing only.
pub const O_WRONLY: i32 = 0o1;
/// Open for reading and writing.
pub const O_RDWR: i32 = 0o2;
/// Mask of the access mode.
pub const O_ACCMODE: i32 = 0o3;
/// Create the file if it does not exist.
pub const O_CREAT: i32 = 0o100;
/// With O_CREAT: fail if the file exists.
pub const O_EXCL: i32 = 0o200;
/// Do not make a terminal the controlling terminal.
pub const O_NOCTTY: i32 = 0o400;
/// Truncate a regular file to 0.
pub const O_TRUNC: i32 = 0o1000;
/// Writes append.
pub const O_APPEND: i32 = 0o2000;
/// Non-blocking I/O.
pub const O_NONBLOCK: i32 = 0o4000;
/// Alias of O_NONBLOCK.
pub const O_NDELAY: i32 = O_NONBLOCK;
/// Synchronized data integrity writes.
pub const O_DSYNC: i32 = 0o10000;
/// Signal-driven I/O (`FASYNC`).
pub const O_ASYNC: i32 = 0o20000;
/// Direct I/O.
pub const O_DIRECT: i32 = 0o40000;
/// Large-file access (accepted and ignored on 64-bit).
pub const O_LARGEFILE: i32 = 0o100000;
/// Fail unless the path is a directory.
pub const O_DIRECTORY: i32 = 0o200000;
/// Do not follow a final symbolic link.
pub const O_NOFOLLOW: i32 = 0o400000;
/// Do not update the access time.
pub const O_NOATIME: i32 = 0o1000000;
/// Close on exec.
pub const O_CLOEXEC: i32 = 0o2000000;
/// The bit O_SYNC adds to O_DSYNC.
pub const __O_SYNC: i32 = 0o4000000;
/// Synchronized file integrity writes (`__O_SYNC | O_DSYNC`).
pub const O_SYNC: i32 = __O_SYNC | O_DSYNC;
/// A path-only descriptor.
pub const O_PATH: i32 = 0o10000000;
/// The bit O_TMPFILE adds to O_DIRECTORY.
pub const __O_TMPFILE: i32 = 0o20000000;
/// An unnamed temporary file in the given directory.
pub const O_TMPFILE: i32 = __O_TMPFILE | O_DIRECTORY;

/// Duplicate to the lowest free descriptor >= arg.
pub const F_DUPFD: i32 = 0;
/// Get the descriptor flags (FD_CLOEXEC).
pub const F_GETFD: i32 = 1;
/// Set the descriptor flags.
pub const F_SETFD: i32 = 2;
/// Get the file status flags and access mode.
pub const F_GETFL: i32 = 3;
/// Set the file status flags (O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT,
/// O_NOATIME).
pub const F_SETFL: i32 = 4;
/// Test a record lock.
pub const F_GETLK: i32 = 5;
/// Set a record lock, or fail.
pub const F_SETLK: i32 = 6;
/// Set a record lock, waiting.
pub const F_SETLKW: i32 = 7;
/// Set the SIGIO owner.
pub const F_SETOWN: i32 = 8;
/// Get the SIGIO owner.
pub const F_GETOWN: i32 = 9;
/// Set the signal sent for I/O readiness.
pub const F_SETSIG: i32 = 10;
/// Get the signal sent for I/O readiness.
pub const F_GETSIG: i32 = 11;
/// Set the owner (thread, process or group).
pub const F_SETOWN_EX: i32 = 15;
/// Get the owner.
pub const F_GETOWN_EX: i32 = 16;
/// Test an open-file-description lock.
pub const F_OFD_GETLK: i32 = 36;
/// Set an open-file-description lock, or fail.
pub const F_OFD_SETLK: i32 = 37;
/// Set an open-file-description lock, waiting.
pub const F_OFD_SETLKW: i32 = 38;
/// Set a lease.
pub const F_SETLEASE: i32 = 1024;
/// Get the lease.
pub const F_GETLEASE: i32 = 1025;
/// Directory change notification.
pub const F_NOTIFY: i32 = 1026;
/// F_DUPFD with close-on-exec set.
pub const F_DUPFD_CLOEXEC: i32 = 1030;
/// Set a pipe's capacity.
pub const F_SETPIPE_SZ: i32 = 1031;
/// Get a pipe's capacity.
pub const F_GETPIPE_SZ: i32 = 1032;
/// Add file seals.
pub const F_ADD_SEALS: i32 = 1033;
/// Get file seals.
pub const F_GET_SEALS: i32 = 1034;

/// Descriptor flag: close on exec.
pub const FD_CLOEXEC: i32 = 1;

/// Lock type: shared.
pub const F_RDLCK: i16 = 0;
/// Lock type: exclusive.
pub const F_WRLCK: i16 = 1;
/// Lock type: unlock.
pub const F_UNLCK: i16 = 2;

/// The `dirfd` meaning "the current directory".
pub const AT_FDCWD: i32 = -100;
/// Do not follow a final symbolic link.
pub const AT_SYMLINK_NOFOLLOW: i32 = 0x100;
/// faccessat: check with the effective IDs (same bit as AT_REMOVEDIR).
pub const AT_EACCESS: i32 = 0x200;
/// unlinkat: remove a directory.
pub const AT_REMOVEDIR: i32 = 0x200;
/// linkat: follow a final symbolic link.
pub const AT_SYMLINK_FOLLOW: i32 = 0x400;
/// Do not automount the final component.
pub const AT_NO_AUTOMOUNT: i32 = 0x800;
/// An empty path means `dirfd` itself.
pub const AT_EMPTY_PATH: i32 = 0x1000;
/// statx: force synchronization with the server.
pub const AT_STATX_FORCE_SYNC: i32 = 0x2000;
/// statx: do not synchronize.
pub const AT_STATX_DONT_SYNC: i32 = 0x4000;
/// Apply to the whole subtree (open_tree, mount_setattr).
pub const AT_RECURSIVE: i32 = 0x8000;

/// lseek: from the start.
pub const SEEK_SET: i32 = 0;
/// lseek: from the current offset.
pub const SEEK_CUR: i32 = 1;
/// lseek: from the end.
pub const SEEK_END: i32 = 2;
/// lseek: to the next data at or after the offset.
pub const SEEK_DATA: i32 = 3;
/// lseek: to the next hole at or after the offset.
pub const SEEK_HOLE: i32 = 4;

/// Open flags other than the access mode. Multi-bit flags come before
/// their parts (O_SYNC before O_DSYNC, O_TMPFILE before O_DIRECTORY).
const OPEN_NAMES: &[(u64, &str)] = names!(bits32;
    O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_DSYNC, O_ASYNC,
    O_DIRECT, O_LARGEFILE, O_TMPFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_PATH);

/// Open flags as strace prints them: `O_RDONLY|O_CLOEXEC`.
#[derive(Clone, Copy, Debug)]
pub struct OpenFlags(pub i32);

impl fmt::Display for OpenFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let acc = match self.0 & O_ACCMODE {
            O_RDONLY => "O_RDONLY",
            O_WRONLY => "O_WRONLY",
            O_RDWR => "O_RDWR",
            _ => "O_ACCMODE",
        };
        f.write_str(acc)?;
        let rest = (self.0 & !O_ACCMODE) as u32 as u64;
        Flags::new(rest, OPEN_NAMES, "").write_parts(f, true)?;
        Ok(())
    }
}

/// Open flags, e.g. `O_WRONLY|O_CREAT|O_TRUNC`.
pub fn fmt_open_flags(flags: i32) -> OpenFlags {
    OpenFlags(flags)
}

const AT_NAMES: &[(u64, &str)] = names!(bits32;
    AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH,
    AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, AT_RECURSIVE);

/// `*at()` flags (bit 0x200 is printed as AT_REMOVEDIR).
pub fn fmt_at_flags(flags: i32) -> Flags {
    Flags::new(flags as u32 as u64, AT_NAMES, "0")
}

/// A `dirfd`: `AT_FDCWD` or the number.
pub fn fmt_dirfd(fd: i32) -> Named {
    Named::with_names(fd as i64, (fd == AT_FDCWD).then_some("AT_FDCWD"))
}

const FCNTL_NAMES: &[(i64, &str)] = names!(i64;
    F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN,
    F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX, F_OFD_GETLK, F_OFD_SETLK,
    F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC, F_SETPIPE_SZ,
    F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS);

/// A fcntl command, e.g. `F_SETFD`.
pub fn fmt_fcntl_cmd(cmd: i32) -> Named {
    Named::new(cmd as i64, FCNTL_NAMES)
}

const FD_NAMES: &[(u64, &str)] = names!(bits32; FD_CLOEXEC);

/// Descriptor flags: `FD_CLOEXEC` or `0`.
pub fn fmt_fd_flags(flags: i32) -> Flags {
    Flags::new(flags as u32 as u64, FD_NAMES, "0")
}

const SEEK_NAMES: &[(i64, &str)] = names!(i64; SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE);

/// lseek's `whence`.
pub fn fmt_whence(whence: i32) -> Named {
    Named::new(whence as i64, SEEK_NAMES)
}

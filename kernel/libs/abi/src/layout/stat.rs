//! `struct stat` as the x86_64 kernel lays it out (arch/x86/include/uapi/
//! asm/stat.h): stat, fstat, lstat, newfstatat.

use super::plain_struct;

plain_struct! {
    /// x86_64 `struct stat` (144 bytes; `st_nlink` comes before `st_mode`,
    /// unlike the generic layout).
    pub struct Stat [144] {
        pub st_dev: u64,
        pub st_ino: u64,
        pub st_nlink: u64,
        pub st_mode: u32,
        pub st_uid: u32,
        pub st_gid: u32,
        pub __pad0: u32,
        pub st_rdev: u64,
        pub st_size: i64,
        pub st_blksize: i64,
        pub st_blocks: i64,
        pub st_atime: i64,
        pub st_atime_nsec: i64,
        pub st_mtime: i64,
        pub st_mtime_nsec: i64,
        pub st_ctime: i64,
        pub st_ctime_nsec: i64,
        pub __unused: [i64; 3],
    }
}

//! `struct new_utsname` (uname(2)): six NUL-terminated 65-byte fields.

use super::plain_struct;

/// Length of each `utsname` field, NUL included (`__NEW_UTS_LEN + 1`).
pub const UTS_FIELD_LEN: usize = 65;

plain_struct! {
    /// `struct new_utsname`, what the x86_64 `uname` system call fills.
    pub struct Utsname [390] {
        pub sysname: [u8; 65],
        pub nodename: [u8; 65],
        pub release: [u8; 65],
        pub version: [u8; 65],
        pub machine: [u8; 65],
        pub domainname: [u8; 65],
    }
}

/// A utsname field holding `s`, truncated to 64 bytes, NUL padded.
pub fn uts_field(s: &str) -> [u8; UTS_FIELD_LEN] {
    let mut f = [0u8; UTS_FIELD_LEN];
    let n = s.len().min(UTS_FIELD_LEN - 1);
    f[..n].copy_from_slice(&s.as_bytes()[..n]);
    f
}

//! I/O vector and poll structures: `iovec`, `pollfd`.

use super::plain_struct;

plain_struct! {
    /// `struct iovec` (readv, writev, process_vm_readv, ...).
    pub struct Iovec [16] {
        pub iov_base: u64,
        pub iov_len: u64,
    }
}

plain_struct! {
    /// `struct pollfd` (poll, ppoll).
    pub struct Pollfd [8] {
        pub fd: i32,
        pub events: i16,
        pub revents: i16,
    }
}

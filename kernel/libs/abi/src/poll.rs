//! poll(2) event bits (asm-generic/poll.h, as x86_64 uses them).

use crate::flagfmt::{Flags, names};

/// Data to read.
pub const POLLIN: i16 = 0x0001;
/// Urgent data to read.
pub const POLLPRI: i16 = 0x0002;
/// Writing will not block.
pub const POLLOUT: i16 = 0x0004;
/// Error condition (output only).
pub const POLLERR: i16 = 0x0008;
/// Hang up (output only).
pub const POLLHUP: i16 = 0x0010;
/// Invalid descriptor (output only).
pub const POLLNVAL: i16 = 0x0020;
/// Normal data to read.
pub const POLLRDNORM: i16 = 0x0040;
/// Priority band data to read.
pub const POLLRDBAND: i16 = 0x0080;
/// Normal data may be written.
pub const POLLWRNORM: i16 = 0x0100;
/// Priority data may be written.
pub const POLLWRBAND: i16 = 0x0200;
/// Unused on Linux.
pub const POLLMSG: i16 = 0x0400;
/// Unused on Linux.
pub const POLLREMOVE: i16 = 0x1000;
/// Peer closed its writing half.
pub const POLLRDHUP: i16 = 0x2000;

const POLL_NAMES: &[(u64, &str)] = names!(u64;
    POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM,
    POLLWRBAND, POLLMSG, POLLREMOVE, POLLRDHUP);

/// Poll events, e.g. `POLLIN|POLLOUT` (`0` if none).
pub fn fmt_poll_events(events: i16) -> Flags {
    Flags::new(events as u16 as u64, POLL_NAMES, "0")
}

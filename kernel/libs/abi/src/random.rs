//! getrandom(2) flags.

use crate::flagfmt::{Flags, names};

/// Do not block if the pool is not initialised: fail with EAGAIN.
pub const GRND_NONBLOCK: u32 = 0x0001;
/// Use the (legacy) blocking pool.
pub const GRND_RANDOM: u32 = 0x0002;
/// Return possibly insecure bytes rather than block.
pub const GRND_INSECURE: u32 = 0x0004;

const GRND_NAMES: &[(u64, &str)] = names!(u64; GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE);

/// getrandom flags, e.g. `GRND_NONBLOCK` (`0` if none).
pub fn fmt_grnd_flags(flags: u32) -> Flags {
    Flags::new(flags as u64, GRND_NAMES, "0")
}

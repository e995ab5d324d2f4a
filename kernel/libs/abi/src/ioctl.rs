//! ioctl request numbers the kernel handles (terminal and generic file
//! ioctls, asm-generic/ioctls.h) and the `_IOC` encoding of the others
//! (asm-generic/ioctl.h): `dir << 30 | size << 16 | type << 8 | nr`.

use crate::flagfmt::{Named, names};

/// `_IOC` direction: none.
pub const IOC_NONE: u32 = 0;
/// `_IOC` direction: user space writes (the kernel reads).
pub const IOC_WRITE: u32 = 1;
/// `_IOC` direction: user space reads (the kernel writes).
pub const IOC_READ: u32 = 2;

/// `_IOC(dir, type, nr, size)`.
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: u32) -> u32 {
    (dir << 30) | ((size & 0x3fff) << 16) | ((ty as u32) << 8) | nr as u32
}
/// `_IO(type, nr)`.
pub const fn io(ty: u8, nr: u8) -> u32 {
    ioc(IOC_NONE, ty, nr, 0)
}
/// `_IOR(type, nr, size)`.
pub const fn ior(ty: u8, nr: u8, size: u32) -> u32 {
    ioc(IOC_READ, ty, nr, size)
}
/// `_IOW(type, nr, size)`.
pub const fn iow(ty: u8, nr: u8, size: u32) -> u32 {
    ioc(IOC_WRITE, ty, nr, size)
}
/// `_IOWR(type, nr, size)`.
pub const fn iowr(ty: u8, nr: u8, size: u32) -> u32 {
    ioc(IOC_READ | IOC_WRITE, ty, nr, size)
}
/// The direction of an encoded request.
pub const fn ioc_dir(req: u32) -> u32 {
    req >> 30
}
/// The argument size of an encoded request.
pub const fn ioc_size(req: u32) -> u32 {
    (req >> 16) & 0x3fff
}

/// Get the terminal attributes (kernel `struct termios`).
pub const TCGETS: u32 = 0x5401;
/// Set the terminal attributes now.
pub const TCSETS: u32 = 0x5402;
/// Set them after output drains.
pub const TCSETSW: u32 = 0x5403;
/// Set them after output drains, discarding pending input.
pub const TCSETSF: u32 = 0x5404;
/// Send a break (tcsendbreak) / drain (tcdrain).
pub const TCSBRK: u32 = 0x5409;
/// Flow control (tcflow).
pub const TCXONC: u32 = 0x540A;
/// Flush (tcflush).
pub const TCFLSH: u32 = 0x540B;
/// Exclusive mode.
pub const TIOCEXCL: u32 = 0x540C;
/// Leave exclusive mode.
pub const TIOCNXCL: u32 = 0x540D;
/// Make this the controlling terminal.
pub const TIOCSCTTY: u32 = 0x540E;
/// Get the foreground process group.
pub const TIOCGPGRP: u32 = 0x540F;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = 0x5410;
/// Bytes in the output queue.
pub const TIOCOUTQ: u32 = 0x5411;
/// Fake input.
pub const TIOCSTI: u32 = 0x5412;
/// Get the window size.
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size (sends SIGWINCH).
pub const TIOCSWINSZ: u32 = 0x5414;
/// Bytes available to read.
pub const FIONREAD: u32 = 0x541B;
/// Alias of FIONREAD for terminals.
pub const TIOCINQ: u32 = FIONREAD;
/// Set/clear non-blocking I/O.
pub const FIONBIO: u32 = 0x5421;
/// Give up the controlling terminal.
pub const TIOCNOTTY: u32 = 0x5422;
/// Get the session of the terminal.
pub const TIOCGSID: u32 = 0x5429;
/// Get the terminal attributes with speeds (`struct termios2`).
pub const TCGETS2: u32 = ior(b'T', 0x2A, 44);
/// Set the terminal attributes with speeds.
pub const TCSETS2: u32 = iow(b'T', 0x2B, 44);
/// Get the pty number.
pub const TIOCGPTN: u32 = ior(b'T', 0x30, 4);
/// Lock/unlock the pty.
pub const TIOCSPTLCK: u32 = iow(b'T', 0x31, 4);
/// Clear close-on-exec.
pub const FIONCLEX: u32 = 0x5450;
/// Set close-on-exec.
pub const FIOCLEX: u32 = 0x5451;
/// Set/clear asynchronous I/O.
pub const FIOASYNC: u32 = 0x5452;

const IOCTL_NAMES: &[(i64, &str)] = names!(i64;
    TCGETS, TCSETS, TCSETSW, TCSETSF, TCSBRK, TCXONC, TCFLSH, TIOCEXCL, TIOCNXCL, TIOCSCTTY,
    TIOCGPGRP, TIOCSPGRP, TIOCOUTQ, TIOCSTI, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO,
    TIOCNOTTY, TIOCGSID, TCGETS2, TCSETS2, TIOCGPTN, TIOCSPTLCK, FIONCLEX, FIOCLEX, FIOASYNC);

/// An ioctl request by name, e.g. `TCGETS`, or in hex.
pub fn fmt_ioctl_request(req: u32) -> Named {
    Named::new(req as i64, IOCTL_NAMES).hex()
}

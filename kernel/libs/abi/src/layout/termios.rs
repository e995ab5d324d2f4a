//! Terminal structures as the kernel's ioctls see them: the kernel's
//! `struct termios` (TCGETS/TCSETS*: 36 bytes, `NCCS` = 19; the C
//! library's `termios` is larger and translated by the library) and
//! `struct winsize` (TIOCGWINSZ/TIOCSWINSZ).

use super::plain_struct;

/// Number of control characters in the kernel's `termios`.
pub const NCCS: usize = 19;

plain_struct! {
    /// The kernel's `struct termios` (asm-generic/termbits.h).
    pub struct Termios [36] {
        pub c_iflag: u32,
        pub c_oflag: u32,
        pub c_cflag: u32,
        pub c_lflag: u32,
        pub c_line: u8,
        pub c_cc: [u8; 19],
    }
}

plain_struct! {
    /// `struct winsize`.
    pub struct Winsize [8] {
        pub ws_row: u16,
        pub ws_col: u16,
        pub ws_xpixel: u16,
        pub ws_ypixel: u16,
    }
}

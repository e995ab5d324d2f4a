//! The terminal line discipline (Linux's n_tty, NetBSD's tty.c): what a
//! terminal does with typed bytes before a program reads them, set by its
//! termios.
//!
//! - Input mapping: ISTRIP, IGNCR, ICRNL (CR becomes NL), INLCR.
//! - ISIG: the interrupt, quit and suspend characters (^C, ^\, ^Z) become
//!   SIGINT, SIGQUIT, SIGTSTP for the foreground process group (returned
//!   to the caller, who sends them once the terminal is unlocked) and
//!   flush pending input unless NOFLSH.
//! - ICANON (canonical mode): input is edited a line at a time. The erase
//!   character (DEL) removes one character, the word-erase character (^W,
//!   with IEXTEN) one word, the kill character (^U) the whole line; a
//!   newline (or EOL/EOL2) ends the line and makes it readable, newline
//!   included; the EOF character (^D) makes the line readable as it is,
//!   so ^D on an empty line reads as end of file (0 bytes). A read returns
//!   at most one line.
//! - Non-canonical (raw) mode: every byte is readable at once; VMIN and
//!   VTIME say when a read returns (see `console.rs`).
//! - Echo: ECHO echoes input, control characters as `^X` with ECHOCTL;
//!   ECHOE erases visually (`\b \b`); ECHOKE erases a killed line the same
//!   way, ECHOK echoes a newline after the kill character; ECHONL echoes
//!   newlines even without ECHO.
//! - Output: OPOST/ONLCR are what the console does anyway (NL as CR NL).
//!
//! The state is plain data with fixed buffers (no allocation: input
//! arrives in the clock interrupt). Echo goes to a caller-supplied sink so
//! the tests can see it. This file owns no device and sends no signal.

use ferrite_abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use ferrite_abi::{Termios, Winsize};

/// Termios flags (Linux asm-generic/termbits.h) the discipline uses.
pub mod flags {
    pub const ISTRIP: u32 = 0o40;
    pub const INLCR: u32 = 0o100;
    pub const IGNCR: u32 = 0o200;
    pub const ICRNL: u32 = 0o400;
    pub const IXON: u32 = 0o2000;

    pub const OPOST: u32 = 0o1;
    pub const ONLCR: u32 = 0o4;

    pub const B38400: u32 = 0o17;
    pub const CS8: u32 = 0o60;
    pub const CREAD: u32 = 0o200;
    pub const HUPCL: u32 = 0o2000;

    pub const ISIG: u32 = 0o1;
    pub const ICANON: u32 = 0o2;
    pub const ECHO: u32 = 0o10;
    pub const ECHOE: u32 = 0o20;
    pub const ECHOK: u32 = 0o40;
    pub const ECHONL: u32 = 0o100;
    pub const NOFLSH: u32 = 0o200;
    pub const ECHOCTL: u32 = 0o1000;
    pub const ECHOKE: u32 = 0o4000;
    pub const IEXTEN: u32 = 0o100000;

    pub const VINTR: usize = 0;
    pub const VQUIT: usize = 1;
    pub const VERASE: usize = 2;
    pub const VKILL: usize = 3;
    pub const VEOF: usize = 4;
    pub const VTIME: usize = 5;
    pub const VMIN: usize = 6;
    pub const VSUSP: usize = 10;
    pub const VEOL: usize = 11;
    pub const VWERASE: usize = 14;
    pub const VEOL2: usize = 16;
}

use flags::*;

/// Bytes of input a terminal holds (Linux's N_TTY_BUF_SIZE).
pub const TTY_BUF: usize = 4096;
/// Complete lines waiting to be read, at most.
const MAX_LINES: usize = 128;

/// Linux's default termios (tty_std_termios).
pub const fn default_termios() -> Termios {
    let mut cc = [0u8; 19];
    cc[VINTR] = 0x03;
    cc[VQUIT] = 0x1c;
    cc[VERASE] = 0x7f;
    cc[VKILL] = 0x15;
    cc[VEOF] = 0x04;
    cc[VTIME] = 0;
    cc[VMIN] = 1;
    cc[8] = 0x11; // VSTART ^Q
    cc[9] = 0x13; // VSTOP ^S
    cc[VSUSP] = 0x1a;
    cc[12] = 0x12; // VREPRINT ^R
    cc[13] = 0x0f; // VDISCARD ^O
    cc[VWERASE] = 0x17;
    cc[15] = 0x16; // VLNEXT ^V
    Termios {
        c_iflag: ICRNL | IXON,
        c_oflag: OPOST | ONLCR,
        c_cflag: B38400 | CS8 | CREAD | HUPCL,
        c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        c_line: 0,
        c_cc: cc,
    }
}

/// A byte ring of fixed size.
struct Ring<const N: usize> {
    buf: [u8; N],
    head: usize,
    len: usize,
}

impl<const N: usize> Ring<N> {
    const fn new() -> Self {
        Ring {
            buf: [0; N],
            head: 0,
            len: 0,
        }
    }

    fn room(&self) -> usize {
        N - self.len
    }

    fn push(&mut self, b: u8) {
        debug_assert!(self.len < N);
        self.buf[(self.head + self.len) % N] = b;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let b = self.buf[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(b)
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// A terminal's input state.
pub struct Tty {
    pub termios: Termios,
    pub winsize: Winsize,
    /// The foreground process group (TIOCGPGRP/TIOCSPGRP).
    pub pgrp: i32,
    /// Readable bytes.
    readq: Ring<TTY_BUF>,
    /// Canonical mode: the lengths of the complete lines in `readq`, in
    /// order (a 0 is an end of file).
    lines: [u16; MAX_LINES],
    lines_head: usize,
    nlines: usize,
    /// The line being edited (canonical mode).
    line: [u8; TTY_BUF],
    line_len: usize,
}

impl Tty {
    pub const fn new() -> Tty {
        Tty {
            termios: default_termios(),
            winsize: Winsize {
                ws_row: 24,
                ws_col: 80,
                ws_xpixel: 0,
                ws_ypixel: 0,
            },
            pgrp: 1,
            readq: Ring::new(),
            lines: [0; MAX_LINES],
            lines_head: 0,
            nlines: 0,
            line: [0; TTY_BUF],
            line_len: 0,
        }
    }

    /// Back to the state of a new terminal (in place: the state is large).
    pub fn reset(&mut self) {
        self.termios = default_termios();
        self.winsize = Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        self.pgrp = 1;
        self.flush_input();
    }

    fn canonical(&self) -> bool {
        self.termios.c_lflag & ICANON != 0
    }

    fn lflag(&self, f: u32) -> bool {
        self.termios.c_lflag & f != 0
    }

    /// True if `c` is the special character `idx` (a 0 disables it).
    fn is_cc(&self, c: u8, idx: usize) -> bool {
        let v = self.termios.c_cc[idx];
        v != 0 && v == c
    }

    /// Bytes a read could take now (FIONREAD): in canonical mode, those
    /// of complete lines.
    pub fn available(&self) -> usize {
        if self.canonical() {
            (0..self.nlines)
                .map(|i| self.lines[(self.lines_head + i) % MAX_LINES] as usize)
                .sum()
        } else {
            self.readq.len
        }
    }

    /// True if a read would not block (a line, an end of file, or in raw
    /// mode any byte).
    pub fn readable(&self) -> bool {
        if self.canonical() {
            self.nlines > 0
        } else {
            self.readq.len > 0
        }
    }

    /// Take at most `buf.len()` readable bytes (at most one line in
    /// canonical mode). Returns None if nothing is readable, else the
    /// bytes taken (0: an end of file) and whether a further read may
    /// continue where this one stopped (the rest of the same line; in raw
    /// mode, more queued bytes).
    pub fn read(&mut self, buf: &mut [u8]) -> Option<(usize, bool)> {
        if self.canonical() {
            if self.nlines == 0 {
                return None;
            }
            let first = self.lines[self.lines_head] as usize;
            let n = first.min(buf.len());
            for b in buf.iter_mut().take(n) {
                *b = self.readq.pop().expect("line bytes in the queue");
            }
            if n == first {
                self.lines_head = (self.lines_head + 1) % MAX_LINES;
                self.nlines -= 1;
            } else {
                self.lines[self.lines_head] = (first - n) as u16;
            }
            Some((n, n < first))
        } else {
            if self.readq.len == 0 {
                return None;
            }
            let n = self.readq.len.min(buf.len());
            for b in buf.iter_mut().take(n) {
                *b = self.readq.pop().expect("queued byte");
            }
            Some((n, self.readq.len > 0))
        }
    }

    /// True if a read of `resid` bytes must wait: in canonical mode for a
    /// line; in raw mode for VMIN bytes (at most `resid`), or with VMIN = 0
    /// and VTIME > 0 for a first byte (up to `read_timeout_ms`), and never
    /// with both 0.
    pub fn must_wait(&self, resid: usize) -> bool {
        if self.canonical() {
            return !self.readable();
        }
        let (vmin, vtime) = self.vmin_vtime();
        let need = match (vmin, vtime) {
            (0, 0) => 0,
            (0, _) => 1,
            (m, _) => (m as usize).min(resid).max(1),
        };
        self.readq.len < need
    }

    /// How long a raw-mode read waits for its first byte (VTIME in tenths
    /// of a second, when VMIN is 0), in milliseconds.
    pub fn read_timeout_ms(&self) -> Option<u64> {
        let (vmin, vtime) = self.vmin_vtime();
        (!self.canonical() && vmin == 0 && vtime > 0).then_some(vtime as u64 * 100)
    }

    /// Drop all pending input (TCFLSH, TCSETSF, a signal character).
    pub fn flush_input(&mut self) {
        self.readq.clear();
        self.lines_head = 0;
        self.nlines = 0;
        self.line_len = 0;
    }

    /// New settings (TCSETS*). Leaving canonical mode makes the line
    /// being edited readable; entering it makes what is queued one line.
    pub fn set_termios(&mut self, t: Termios) {
        let was_canon = self.canonical();
        self.termios = t;
        let canon = self.canonical();
        if was_canon && !canon {
            let n = self.line_len.min(self.readq.room());
            for i in 0..n {
                self.readq.push(self.line[i]);
            }
            self.line_len = 0;
            self.lines_head = 0;
            self.nlines = 0;
        } else if !was_canon && canon {
            self.lines_head = 0;
            self.nlines = 0;
            if self.readq.len > 0 {
                self.lines[0] = self.readq.len as u16;
                self.nlines = 1;
            }
        }
    }

    /// Echo `c` as the terminal shows it.
    fn echo_char(&self, c: u8, out: &mut dyn FnMut(&[u8])) {
        if !self.lflag(ECHO) {
            return;
        }
        if self.lflag(ECHOCTL) && (c < 0x20 || c == 0x7f) && c != b'\n' && c != b'\t' {
            out(&[b'^', c ^ 0x40]);
        } else {
            out(&[c]);
        }
    }

    /// Columns `c` took when echoed.
    fn echo_width(&self, c: u8) -> usize {
        if self.lflag(ECHOCTL) && (c < 0x20 || c == 0x7f) && c != b'\t' {
            2
        } else {
            1
        }
    }

    /// Erase the last character of the line being edited (with echo).
    fn erase_one(&mut self, out: &mut dyn FnMut(&[u8])) -> bool {
        if self.line_len == 0 {
            return false;
        }
        self.line_len -= 1;
        let c = self.line[self.line_len];
        if self.lflag(ECHO) && self.lflag(ECHOE) {
            for _ in 0..self.echo_width(c) {
                out(b"\x08 \x08");
            }
        }
        true
    }

    /// The line is complete: make it readable (dropped if it does not fit).
    fn deliver_line(&mut self) {
        let n = self.line_len;
        if self.nlines < MAX_LINES && n <= self.readq.room() {
            for i in 0..n {
                self.readq.push(self.line[i]);
            }
            self.lines[(self.lines_head + self.nlines) % MAX_LINES] = n as u16;
            self.nlines += 1;
        }
        self.line_len = 0;
    }

    /// Process one typed byte. Echo goes to `out`; a signal character
    /// returns the signal to send to the foreground process group.
    pub fn input(&mut self, byte: u8, out: &mut dyn FnMut(&[u8])) -> Option<i32> {
        let iflag = self.termios.c_iflag;
        let mut c = byte;
        if iflag & ISTRIP != 0 {
            c &= 0x7f;
        }
        if c == b'\r' {
            if iflag & IGNCR != 0 {
                return None;
            }
            if iflag & ICRNL != 0 {
                c = b'\n';
            }
        } else if c == b'\n' && iflag & INLCR != 0 {
            c = b'\r';
        }

        if self.lflag(ISIG) {
            let sig = if self.is_cc(c, VINTR) {
                Some(SIGINT)
            } else if self.is_cc(c, VQUIT) {
                Some(SIGQUIT)
            } else if self.is_cc(c, VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if sig.is_some() {
                if !self.lflag(NOFLSH) {
                    self.flush_input();
                }
                self.echo_char(c, out);
                return sig;
            }
        }

        if !self.canonical() {
            if self.readq.room() > 0 {
                self.readq.push(c);
                self.echo_char(c, out);
            }
            return None;
        }

        if self.is_cc(c, VERASE) {
            self.erase_one(out);
            return None;
        }
        if self.is_cc(c, VWERASE) && self.lflag(IEXTEN) {
            // Trailing blanks, then the word.
            while self.line_len > 0 && self.line[self.line_len - 1].is_ascii_whitespace() {
                self.erase_one(out);
            }
            while self.line_len > 0 && !self.line[self.line_len - 1].is_ascii_whitespace() {
                self.erase_one(out);
            }
            return None;
        }
        if self.is_cc(c, VKILL) {
            if self.lflag(ECHOKE) {
                while self.erase_one(out) {}
            } else {
                self.line_len = 0;
                self.echo_char(c, out);
                if self.lflag(ECHOK) && self.lflag(ECHO) {
                    out(b"\n");
                }
            }
            return None;
        }
        if self.is_cc(c, VEOF) {
            self.deliver_line();
            return None;
        }
        let eol = c == b'\n' || self.is_cc(c, VEOL) || (self.is_cc(c, VEOL2) && self.lflag(IEXTEN));
        // Keep room for the newline that ends a full line.
        if self.line_len >= TTY_BUF - 1 && !eol {
            return None;
        }
        self.line[self.line_len] = c;
        self.line_len += 1;
        if c == b'\n' && !self.lflag(ECHO) && self.lflag(ECHONL) {
            out(b"\n");
        } else {
            self.echo_char(c, out);
        }
        if eol {
            self.deliver_line();
        }
        None
    }

    /// VMIN and VTIME (non-canonical reads).
    pub fn vmin_vtime(&self) -> (u8, u8) {
        (self.termios.c_cc[VMIN], self.termios.c_cc[VTIME])
    }
}

impl Default for Tty {
    fn default() -> Self {
        Tty::new()
    }
}

//! The text a procfs file is generated into: a byte buffer written with
//! `write!` whose growth may fail (ENOMEM) instead of aborting the kernel,
//! since how much a file holds depends on what user programs did (a
//! process with a hundred thousand mappings has a long `maps`).
//!
//! Also the two number formats Linux's files share: sizes in kB right
//! aligned in 8 columns (`meminfo`, `status`).

use alloc::vec::Vec;
use core::fmt;
use ferrite_abi::Errno;

/// A growing text buffer; a failed growth makes every later write fail.
#[derive(Default)]
pub struct Text {
    buf: Vec<u8>,
    failed: bool,
}

impl Text {
    pub fn new() -> Text {
        Text::default()
    }

    /// Append raw bytes (a path, a command line).
    pub fn bytes(&mut self, b: &[u8]) -> fmt::Result {
        if self.failed || self.buf.try_reserve(b.len()).is_err() {
            self.failed = true;
            return Err(fmt::Error);
        }
        self.buf.extend_from_slice(b);
        Ok(())
    }

    /// The text, or ENOMEM if it could not all be held.
    pub fn finish(self) -> Result<Vec<u8>, Errno> {
        if self.failed {
            Err(Errno::ENOMEM)
        } else {
            Ok(self.buf)
        }
    }

    /// Bytes so far (for padding to a column).
    pub fn written(&self) -> usize {
        self.buf.len()
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes())
    }
}

/// A `fmt::Error` from writing the text: the buffer could not grow.
pub fn nomem(_: fmt::Error) -> Errno {
    Errno::ENOMEM
}

/// Linux's `"Name:   12345 kB"` line of `meminfo`: the name and colon
/// left aligned in 16 columns, the value in 8.
pub fn kb_line(t: &mut Text, name: &str, kb: u64) -> fmt::Result {
    num_line(t, name, kb, " kB")
}

/// The same line with another unit (`""` for a count).
pub fn num_line(t: &mut Text, name: &str, v: u64, unit: &str) -> fmt::Result {
    use fmt::Write;
    let pad = 15usize.saturating_sub(name.len());
    writeln!(t, "{name}:{:pad$}{v:>8}{unit}", "")
}

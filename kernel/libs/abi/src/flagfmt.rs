//! strace-style formatting of flag words and enumerated values.
//!
//! This module owns the two `Display` wrappers every constant family
//! uses: [`Flags`] (a bit set printed `A|B|0x80`) and [`Named`] (a value
//! printed by name, or as a number when unknown). The tables they print
//! from live next to the constants, built with `names!` so that a name is
//! always the stringified constant.

use core::fmt;

/// `names!(T; A, B)` is `&[(A as T, "A"), (B as T, "B")]`;
/// `names!(bits32; A, B)` makes a flag table of 32-bit C `int` flags
/// (`A as u32 as u64`, so bit 31 is not sign-extended).
macro_rules! names {
    (bits32; $($c:ident),* $(,)?) => {
        &[$(($c as u32 as u64, stringify!($c))),*]
    };
    ($t:ty; $($c:ident),* $(,)?) => {
        &[$(($c as $t, stringify!($c))),*]
    };
}

pub(crate) use names;

/// A flag word: every table entry whose bits are all set is printed by
/// name (in table order, so a multi-bit name listed first wins over its
/// parts), the remaining bits in hex, joined by `|`; `zero` when no bit is
/// set.
#[derive(Clone, Copy, Debug)]
pub struct Flags {
    bits: u64,
    table: &'static [(u64, &'static str)],
    zero: &'static str,
}

impl Flags {
    /// Format `bits` with `table`, printing `zero` for 0.
    pub const fn new(bits: u64, table: &'static [(u64, &'static str)], zero: &'static str) -> Self {
        Flags { bits, table, zero }
    }

    /// Write the flags after `sep_needed` (whether something was already
    /// written, so a `|` goes first); returns whether anything was written.
    pub(crate) fn write_parts(
        &self,
        f: &mut fmt::Formatter<'_>,
        mut sep_needed: bool,
    ) -> Result<bool, fmt::Error> {
        let mut rest = self.bits;
        for &(mask, name) in self.table {
            if mask != 0 && rest & mask == mask {
                if sep_needed {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                sep_needed = true;
                rest &= !mask;
            }
        }
        if rest != 0 {
            if sep_needed {
                f.write_str("|")?;
            }
            write!(f, "{rest:#x}")?;
            sep_needed = true;
        }
        Ok(sep_needed)
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bits == 0 {
            return f.write_str(self.zero);
        }
        self.write_parts(f, false).map(|_| ())
    }
}

/// An enumerated value: its name, or the number (decimal, or hex with
/// [`Named::hex`]) when it has none.
#[derive(Clone, Copy, Debug)]
pub struct Named {
    value: i64,
    name: Option<&'static str>,
    hex: bool,
}

impl Named {
    /// Look `value` up in `table`.
    pub fn new(value: i64, table: &'static [(i64, &'static str)]) -> Self {
        let name = table.iter().find(|e| e.0 == value).map(|e| e.1);
        Named::with_names(value, name)
    }

    /// `value` with an already looked-up name.
    pub const fn with_names(value: i64, name: Option<&'static str>) -> Self {
        Named {
            value,
            name,
            hex: false,
        }
    }

    /// Print an unknown value in hex.
    pub const fn hex(self) -> Self {
        Named { hex: true, ..self }
    }

    /// The name, if the value has one.
    pub const fn name(&self) -> Option<&'static str> {
        self.name
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(n) => f.write_str(n),
            None if self.hex => write!(f, "{:#x}", self.value),
            None => write!(f, "{}", self.value),
        }
    }
}

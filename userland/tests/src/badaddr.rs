//! Bad user addresses, and running one system call against each of them.
//!
//! The set: NULL, a kernel address, the two non-canonical addresses on
//! either side of the hole, a page just unmapped, a PROT_NONE page, and (for
//! buffers the kernel writes into) a read-only page. Linux answers EFAULT
//! for all of them wherever it dereferences the pointer; a few calls accept
//! NULL as "no argument" and are checked without it.

use crate::mem::{Mapping, PAGE, unmapped_page};

/// Which addresses a pointer argument is tried with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// The kernel reads through the pointer.
    In,
    /// The kernel writes through the pointer: a read-only page is bad too.
    Out,
}

/// One bad address and what to call it in a report.
#[derive(Clone, Copy, Debug)]
pub struct BadAddr {
    pub label: &'static str,
    pub addr: usize,
}

/// The bad addresses for one check; keeps its pages mapped while alive.
pub struct BadAddrs {
    pub list: Vec<BadAddr>,
    _none: Mapping,
    _readonly: Mapping,
}

/// Lowest kernel-half address on x86_64 (4-level paging).
pub const KERNEL_ADDR: usize = 0xffff_8000_0000_0000;
/// Just above the lower canonical half.
pub const NONCANONICAL_LOW: usize = 0x0000_8000_0000_0000;
/// Just above the upper canonical half's complement: the sign bit alone.
pub const NONCANONICAL_HIGH: usize = 0x8000_0000_0000_0000;

impl BadAddrs {
    /// The bad addresses for a pointer the kernel reads (`Dir::In`) or
    /// writes (`Dir::Out`).
    pub fn new(dir: Dir) -> Result<BadAddrs, String> {
        let none = Mapping::anon(PAGE, libc::PROT_NONE)?;
        let readonly = Mapping::anon(PAGE, libc::PROT_READ)?;
        let mut list = vec![
            BadAddr {
                label: "NULL",
                addr: 0,
            },
            BadAddr {
                label: "a kernel address",
                addr: KERNEL_ADDR,
            },
            BadAddr {
                label: "non-canonical 0x0000_8000_0000_0000",
                addr: NONCANONICAL_LOW,
            },
            BadAddr {
                label: "non-canonical 0x8000_0000_0000_0000",
                addr: NONCANONICAL_HIGH,
            },
            BadAddr {
                label: "a just-unmapped page",
                addr: unmapped_page()?,
            },
            BadAddr {
                label: "a PROT_NONE page",
                addr: none.addr,
            },
        ];
        if dir == Dir::Out {
            list.push(BadAddr {
                label: "a read-only page",
                addr: readonly.addr,
            });
        }
        Ok(BadAddrs {
            list,
            _none: none,
            _readonly: readonly,
        })
    }

    /// Without NULL (for arguments where NULL means "none").
    pub fn without_null(mut self) -> BadAddrs {
        self.list.retain(|b| b.addr != 0);
        self
    }
}

/// Calls `call` with every bad address for `dir`; each must return -1 with
/// errno `want`. `what` names the call with `BAD` for the address. All
/// mismatches are reported together.
pub fn each_bad(
    dir: Dir,
    what: &str,
    want: i32,
    call: impl FnMut(usize) -> i64,
) -> Result<(), String> {
    each_in(BadAddrs::new(dir)?, what, want, call)
}

/// As [`each_bad`], leaving out NULL (which the call accepts).
pub fn each_bad_but_null(
    dir: Dir,
    what: &str,
    want: i32,
    call: impl FnMut(usize) -> i64,
) -> Result<(), String> {
    each_in(BadAddrs::new(dir)?.without_null(), what, want, call)
}

/// As [`each_bad`] over a given set.
pub fn each_in(
    addrs: BadAddrs,
    what: &str,
    want: i32,
    mut call: impl FnMut(usize) -> i64,
) -> Result<(), String> {
    let mut wrong = Vec::new();
    for bad in &addrs.list {
        // SAFETY: errno is thread-local; clearing it makes a stale value
        // impossible to mistake for the call's.
        unsafe { *libc::__errno_location() = 0 };
        let r = call(bad.addr);
        let e = ftest::errno();
        if !(r == -1 && e == want) {
            let got = if r == -1 {
                format!("failed with {}", ftest::errname(e))
            } else {
                format!("returned {r}")
            };
            wrong.push(format!(
                "{what} with BAD = {} ({:#x}): {got}, expected {}",
                bad.label,
                bad.addr,
                ftest::errname(want)
            ));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n"))
    }
}

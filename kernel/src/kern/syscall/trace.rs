//! Printing system calls strace-style for the tracing switch
//! (`log=kern::syscall=trace`): the name, each argument decoded as the
//! table says (flags by name, strings read from the caller's memory,
//! pointers in hex), and the result (`= value` or `= -1 ENOENT (No such
//! file or directory)`).

use super::table::SysEnt;
use super::{Errno, SysResult};
use alloc::string::String;
use core::fmt::Write;

/// The log target the switch enables.
pub const TARGET: &str = "ferrite::kern::syscall";

/// How to show one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Signed decimal.
    Int,
    /// Hexadecimal.
    Hex,
    /// A file descriptor (AT_FDCWD by name).
    Fd,
    /// A user pointer to a NUL-terminated string (shown quoted).
    Str,
    /// mmap/mprotect protection bits.
    Prot,
    /// mmap flags.
    MapFlags,
    /// open flags.
    OpenFlags,
    /// A signal number.
    Signal,
}

fn write_arg(out: &mut String, kind: Arg, v: u64) {
    let _ = match kind {
        Arg::Int => write!(out, "{}", v as i64),
        Arg::Hex => write!(out, "{v:#x}"),
        Arg::Fd => {
            if v as i32 == ferrite_abi::fcntl::AT_FDCWD {
                write!(out, "AT_FDCWD")
            } else {
                write!(out, "{}", v as i32)
            }
        }
        Arg::Str => write_str_arg(out, v),
        Arg::Prot => write!(out, "{}", ferrite_abi::mman::fmt_prot(v as i32)),
        Arg::MapFlags => write!(out, "{}", ferrite_abi::mman::fmt_map_flags(v as i32)),
        Arg::OpenFlags => write!(out, "{}", ferrite_abi::fcntl::fmt_open_flags(v as i32)),
        Arg::Signal => write!(out, "{}", ferrite_abi::signal::fmt_signal(v as i32)),
    };
}

/// A user string argument, at most 64 bytes of it.
fn write_str_arg(out: &mut String, addr: u64) -> core::fmt::Result {
    let mut buf = [0u8; 65];
    match crate::uvm::copy::copyinstr(addr, &mut buf) {
        Ok(n) => write!(
            out,
            "\"{}\"",
            String::from_utf8_lossy(&buf[..n]).escape_debug()
        ),
        Err(crate::uvm::copy::StrError::TooLong) => write!(
            out,
            "\"{}\"...",
            String::from_utf8_lossy(&buf[..64]).escape_debug()
        ),
        Err(_) => write!(out, "{addr:#x}"),
    }
}

/// Print one finished call.
pub fn print(nr: u64, entry: Option<&SysEnt>, args: &[u64; 6], result: SysResult) {
    let mut line = String::new();
    let name = entry
        .map(|e| e.name)
        .or_else(|| ferrite_abi::syscall_name(nr))
        .unwrap_or("syscall");
    let _ = write!(line, "[{:?}] {name}(", crate::kern::sched::curlwp().id());
    match entry {
        Some(e) => {
            for (i, kind) in e.args.iter().enumerate() {
                if i > 0 {
                    line.push_str(", ");
                }
                write_arg(&mut line, *kind, args[i]);
            }
        }
        None => {
            let _ = write!(line, "{nr}, ...");
        }
    }
    line.push(')');
    let _ = match result {
        Ok(v) if v > 0xffff => write!(line, " = {v:#x}"),
        Ok(v) => write!(line, " = {v}"),
        Err(e) => write!(line, " = -1 {} ({})", e.name(), e.description()),
    };
    log::trace!(target: TARGET, "{line}");
}

/// Unused errno import guard (the formatter above names errors through it).
#[allow(dead_code)]
fn _errno(e: Errno) -> i32 {
    e.as_i32()
}

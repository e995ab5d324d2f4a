//! What the tools (`src/bin/ftools/*`: vmstat, pmap, ps) share: reading
//! `/proc` and parsing its files, Linux's formats (`stat`, `maps`,
//! `Key: value` and `name value` lists) and Ferrite's own (`uvm`, the
//! pool and malloc tables), plus a little table formatting.
//!
//! The parsers are pure functions of the text (tested on the host); only
//! [`read`] and [`pids`] touch the file system. Nothing here prints.

pub mod parse;
pub mod table;

use std::io;

/// The page size of Ferrite and Linux x86_64.
pub const PAGE: u64 = 4096;

/// A `/proc` file as text (lossy: procfs text is ASCII but for names).
pub fn read(path: &str) -> io::Result<String> {
    std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The PIDs `/proc` lists, in increasing order.
pub fn pids() -> io::Result<Vec<u32>> {
    let mut out: Vec<u32> = std::fs::read_dir("/proc")?
        .filter_map(|e| e.ok())
        .filter_map(|e| parse::pid_name(&e.file_name().to_string_lossy()))
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// The error line of a tool that could not read `path`.
pub fn cannot_read(tool: &str, path: &str, e: &io::Error) -> String {
    format!("{tool}: cannot read {path}: {e}")
}

//! Facts about where the program runs: the kernel (Ferrite or Linux), the
//! program's own path (for re-executing itself), and scratch file names.
//!
//! The path comes from `argv[0]`: test programs are always started by
//! absolute path, and `/proc/self/exe` does not exist on Ferrite.

use std::sync::OnceLock;

static PROG: OnceLock<String> = OnceLock::new();
static SELF_PATH: OnceLock<String> = OnceLock::new();

/// Records the program name and `argv[0]` (done once by the runner).
pub(crate) fn init(prog: &str, argv0: Option<&str>) {
    let _ = PROG.set(prog.to_string());
    let _ = SELF_PATH.set(argv0.unwrap_or(prog).to_string());
}

/// The short program name given to `ftest::main` (`"fork"`).
pub fn prog() -> &'static str {
    PROG.get().map_or("ftest", String::as_str)
}

/// The path this program was started by (`argv[0]`).
pub fn self_path() -> &'static str {
    SELF_PATH.get().map_or("", String::as_str)
}

/// The kernel's name as `uname(2)` reports it (`"Linux"`, `"Ferrite"`).
pub fn sysname() -> String {
    // SAFETY: utsname is plain data, for which all-zero bytes are valid.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uts is a valid out-pointer; uname fills it with NUL-terminated strings.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return String::new();
    }
    let bytes: Vec<u8> = uts
        .sysname
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// True when running on Ferrite (`uname().sysname == "Ferrite"`).
pub fn on_ferrite() -> bool {
    static FERRITE: OnceLock<bool> = OnceLock::new();
    *FERRITE.get_or_init(|| sysname() == "Ferrite")
}

/// A scratch path under /tmp unique to this program, process and tag:
/// `/tmp/ftest.<prog>.<pid>.<tag>`.
pub fn tmp_path(tag: &str) -> String {
    format!("/tmp/ftest.{}.{}.{tag}", prog(), std::process::id())
}

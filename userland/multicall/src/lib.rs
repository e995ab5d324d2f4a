//! Multi-call binaries: one executable holding several programs, the one
//! that runs chosen by the name the executable was started under (as
//! busybox does). The initramfs packs such a binary once and each program
//! as a symbolic link to it (`/bin/tests/fork -> /bin/utests`), so the
//! programs share one copy of the standard library.
//!
//! Selection, at start-up:
//!   1. the last component of `argv[0]`: `/bin/tests/fork` runs `fork`. A
//!      program that re-executes itself through `argv[0]` (the test
//!      programs' `--helper` entries) therefore gets itself again;
//!   2. if that names no program, the last component of `AT_EXECFN`, the
//!      path given to execve: a program started through its link with an
//!      unrelated `argv[0]` (exec checks rename themselves) is still found;
//!   3. if neither names a program, the binary answers for itself:
//!      `--multicall-list` prints one program name per line (what the host
//!      tool makes links from); anything else is a usage error (status 2).
//!
//! The selected program sees the process exactly as it was started (its
//! `argv[0]` included). This crate owns the selection only; it never knows
//! what a program does.

use std::ffi::{CStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// The option a multi-call binary answers with its program names.
pub const LIST_OPTION: &str = "--multicall-list";

/// One program of a multi-call binary.
#[derive(Clone, Copy, Debug)]
pub struct Program {
    /// The name it runs under: a file name, no `/`.
    pub name: &'static str,
    /// Its entry point; returning from it ends the process as returning
    /// from `main` does.
    pub main: fn(),
}

/// The last component of `path` (everything after the last `/`).
pub fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// The program `argv0`, or failing that `execfn`, names (pure; see the
/// module comment).
pub fn choose<'p>(
    programs: &'p [Program],
    argv0: Option<&[u8]>,
    execfn: Option<&[u8]>,
) -> Option<&'p Program> {
    let named = |path: &[u8]| {
        let name = basename(path);
        programs.iter().find(|p| p.name.as_bytes() == name)
    };
    argv0.and_then(named).or_else(|| execfn.and_then(named))
}

/// The `--multicall-list` text: one name per line, in table order.
pub fn list_text(programs: &[Program]) -> String {
    programs.iter().map(|p| format!("{}\n", p.name)).collect()
}

/// `AT_EXECFN` of this process: the path given to execve, if the kernel
/// supplied one.
pub fn at_execfn() -> Option<Vec<u8>> {
    // SAFETY: getauxval only reads the auxiliary vector saved at start-up.
    let p = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-zero AT_EXECFN points at a NUL-terminated string the
    // kernel placed on the initial stack, which lives as long as the process.
    Some(unsafe { CStr::from_ptr(p) }.to_bytes().to_vec())
}

/// The entry point of a multi-call binary named `binary`: runs the program
/// the start selects and returns when it returns, or acts as the binary
/// itself and exits (see the module comment).
pub fn main(binary: &str, programs: &[Program]) {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(|a| a.as_bytes());
    let execfn = at_execfn();
    if let Some(program) = choose(programs, argv0, execfn.as_deref()) {
        (program.main)();
        return;
    }
    if args.len() == 2 && args[1] == LIST_OPTION {
        let mut out = std::io::stdout().lock();
        let written = out
            .write_all(list_text(programs).as_bytes())
            .and_then(|()| out.flush());
        std::process::exit(if written.is_ok() { 0 } else { 1 });
    }
    let names: Vec<&str> = programs.iter().map(|p| p.name).collect();
    eprintln!(
        "{binary}: a multi-call binary: run one of its programs through a link named after \
         it\n  programs: {}\nusage: {binary} {LIST_OPTION}",
        names.join(" ")
    );
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing() {}

    const PROGRAMS: &[Program] = &[
        Program {
            name: "fork",
            main: nothing,
        },
        Program {
            name: "exec",
            main: nothing,
        },
    ];

    fn chosen(argv0: Option<&str>, execfn: Option<&str>) -> Option<&'static str> {
        choose(
            PROGRAMS,
            argv0.map(str::as_bytes),
            execfn.map(str::as_bytes),
        )
        .map(|p| p.name)
    }

    #[test]
    fn basenames() {
        assert_eq!(basename(b"/bin/tests/fork"), b"fork");
        assert_eq!(basename(b"fork"), b"fork");
        assert_eq!(basename(b"./fork"), b"fork");
        assert_eq!(basename(b"/bin/tests/"), b"");
        assert_eq!(basename(b""), b"");
    }

    #[test]
    fn argv0_selects_first() {
        assert_eq!(chosen(Some("/bin/tests/fork"), None), Some("fork"));
        assert_eq!(chosen(Some("fork"), Some("/bin/utests")), Some("fork"));
        // argv[0] wins over the exec path when both name a program.
        assert_eq!(chosen(Some("exec"), Some("/bin/tests/fork")), Some("exec"));
    }

    #[test]
    fn execfn_selects_when_argv0_does_not() {
        assert_eq!(
            chosen(Some("renamed-program"), Some("/bin/tests/exec")),
            Some("exec")
        );
        assert_eq!(chosen(None, Some("/bin/tests/fork")), Some("fork"));
    }

    #[test]
    fn nothing_selected_is_the_binary_itself() {
        assert_eq!(chosen(Some("/bin/utests"), Some("/bin/utests")), None);
        // Whole names only: no prefixes, no empty last component.
        assert_eq!(chosen(Some("/bin/tests/forkx"), Some("/x/for")), None);
        assert_eq!(chosen(Some("/bin/tests/fork/"), None), None);
        assert_eq!(chosen(None, None), None);
    }

    #[test]
    fn list_is_one_name_per_line() {
        assert_eq!(list_text(PROGRAMS), "fork\nexec\n");
        assert_eq!(list_text(&[]), "");
    }

    #[test]
    fn at_execfn_is_the_path_this_test_was_started_by() {
        // Cargo starts the test binary by its path: AT_EXECFN names this
        // very executable (compared after resolving links).
        let execfn = at_execfn().expect("Linux supplies AT_EXECFN");
        let path = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&execfn));
        assert_eq!(
            std::fs::canonicalize(&path).unwrap(),
            std::env::current_exe().unwrap(),
            "AT_EXECFN {}",
            path.display()
        );
    }
}

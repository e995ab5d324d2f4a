//! Multi-call binaries of the userland directory: which executables are
//! multi-call binaries, where the links to their programs go, and the
//! program list each one gives about itself (`BIN --multicall-list`, one
//! program name per line, run here on the host: the userland binaries are
//! static Linux executables).
//!
//! | binary   | packed as     | a link per listed program `P`       |
//! |----------|---------------|-------------------------------------|
//! | `utests` | `/bin/utests` | `/bin/tests/P -> /bin/utests`       |
//! | `ubench` | `/bin/ubench` | `/bin/bench/P -> /bin/ubench`       |
//! | `ftools` | `/bin/ftools` | `/bin/P -> /bin/ftools`             |
//!
//! This module runs the binaries and reads their answer; it never builds
//! the archive (see [`crate::initramfs`]).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// The option a multi-call binary answers with its program names.
pub const LIST_OPTION: &str = "--multicall-list";

/// The multi-call binaries by file name, with the guest directory their
/// program links go to.
pub const BINARIES: [(&str, &str); 3] = [
    ("utests", "/bin/tests"),
    ("ubench", "/bin/bench"),
    ("ftools", "/bin"),
];

/// The guest directory of the program links of the multi-call binary
/// called `name`, or `None` if `name` is not a multi-call binary.
pub fn link_dir(name: &str) -> Option<&'static str> {
    BINARIES
        .iter()
        .find(|(binary, _)| *binary == name)
        .map(|(_, dir)| *dir)
}

/// Runs `binary --multicall-list` (standard input empty) and returns the
/// program names it prints. Failing to run it, a failed exit or a bad
/// list is an error naming the binary.
pub fn programs(binary: &Path) -> Result<Vec<String>> {
    let out = Command::new(binary)
        .arg(LIST_OPTION)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::usage(format!(
                "cannot run the multi-call binary {} {LIST_OPTION} to list its programs: {e} \
                 (it is a static x86_64 Linux executable: the host must be able to run it)",
                binary.display()
            ))
        })?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "the multi-call binary {} {LIST_OPTION} failed ({}): {}",
            binary.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    parse_list(&out.stdout).map_err(|why| {
        Error::usage(format!(
            "the multi-call binary {} {LIST_OPTION}: {why}",
            binary.display()
        ))
    })
}

/// The names in a `--multicall-list` answer (pure): one per line, each a
/// plain file name (not empty, no `/`, not `.` or `..`, no control
/// characters), no name twice, at least one.
pub fn parse_list(stdout: &[u8]) -> std::result::Result<Vec<String>, String> {
    let text = std::str::from_utf8(stdout).map_err(|_| "the list is not UTF-8".to_string())?;
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let bad = line.is_empty()
            || line == "."
            || line == ".."
            || line.contains('/')
            || line.chars().any(char::is_control);
        if bad {
            return Err(format!("{line:?} is not a program name"));
        }
        if names.iter().any(|n| n == line) {
            return Err(format!("{line:?} is listed twice"));
        }
        names.push(line.to_string());
    }
    if names.is_empty() {
        return Err("it printed no program names".into());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    #[test]
    fn the_table() {
        assert_eq!(link_dir("utests"), Some("/bin/tests"));
        assert_eq!(link_dir("ubench"), Some("/bin/bench"));
        assert_eq!(link_dir("ftools"), Some("/bin"));
        assert_eq!(link_dir("testrun"), None);
        assert_eq!(link_dir("utest-fork"), None);
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse_list(b"fork\nexec\n").unwrap(),
            ["fork".to_string(), "exec".to_string()]
        );
        // Without the last newline too.
        assert_eq!(parse_list(b"fork").unwrap(), ["fork".to_string()]);
        for (bad, why) in [
            (&b""[..], "no program names"),
            (b"fork\n\nexec\n", "\"\" is not a program name"),
            (b"a/b\n", "\"a/b\" is not a program name"),
            (b"..\n", "\"..\" is not a program name"),
            (b"fo\trk\n", "is not a program name"),
            (b"fork\nfork\n", "\"fork\" is listed twice"),
            (b"\xff\n", "not UTF-8"),
        ] {
            let e = parse_list(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("ferrite-multicall-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn script(&self, name: &str, body: &str) -> PathBuf {
            let p = self.0.join(name);
            fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
            p
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn runs_the_binary_with_the_list_option() {
        let s = Scratch::new("run");
        // Answers only the exact option, as the real binaries do.
        let b = s.script(
            "utests",
            "[ \"$#\" = 1 ] && [ \"$1\" = --multicall-list ] || exit 9\nprintf 'fork\\nexec\\n'",
        );
        assert_eq!(programs(&b).unwrap(), ["fork", "exec"]);
    }

    #[test]
    fn failures_name_the_binary() {
        let s = Scratch::new("fail");
        let failing = s.script("utests", "echo 'no such thing' >&2; exit 3");
        let e = programs(&failing).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(
            e.message.contains(&failing.display().to_string())
                && e.message.contains("no such thing")
                && e.message.contains("exit status: 3"),
            "{}",
            e.message
        );
        let bad_list = s.script("ubench", "echo 'a/b'");
        let e = programs(&bad_list).unwrap_err();
        assert!(
            e.message.contains(&bad_list.display().to_string())
                && e.message.contains("is not a program name"),
            "{}",
            e.message
        );
        // Not a program the host can run at all.
        let garbage = s.0.join("garbage");
        fs::write(&garbage, b"\x01\x02\x03 not an executable").unwrap();
        fs::set_permissions(&garbage, fs::Permissions::from_mode(0o755)).unwrap();
        let e = programs(&garbage).unwrap_err();
        assert!(
            e.message.contains("cannot run the multi-call binary")
                && e.message.contains(&garbage.display().to_string()),
            "{}",
            e.message
        );
    }
}

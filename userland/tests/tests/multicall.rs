//! The `utests` multi-call binary as the initramfs holds it: a program runs
//! by the name of the link it is started through (or, with another
//! `argv[0]`, by the exec path), the binary itself lists its programs, and
//! a start that names no program is a usage error. Runs the real binary on
//! this host (Linux, the reference).

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const UTESTS: &str = env!("CARGO_BIN_EXE_utests");
const PROGRAMS: [&str; 8] = [
    "badptr", "exec", "file", "fork", "misc", "pipe", "signal", "time",
];

/// A scratch directory of links to `utests`, removed on drop.
struct Links(PathBuf);

impl Links {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("utests-links-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Links(dir)
    }

    /// `DIR/name -> utests`.
    fn link(&self, name: &str) -> PathBuf {
        let path = self.0.join(name);
        std::os::unix::fs::symlink(UTESTS, &path).unwrap();
        path
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(path: &Path, args: &[&str]) -> Output {
    Command::new(path)
        .args(args)
        .env_remove("FTEST_EXEC_PROBE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The check names a program lists, and that they all belong to it.
fn listed_checks(o: &Output, prog: &str) -> Vec<String> {
    assert!(o.status.success(), "{prog} --list: {o:?}");
    let names: Vec<String> = stdout(o).lines().map(str::to_string).collect();
    assert!(!names.is_empty(), "{prog} lists no checks");
    let prefix = format!("user::{prog}::");
    for n in &names {
        assert!(n.starts_with(&prefix), "{prog} --list printed {n}");
    }
    names
}

#[test]
fn the_binary_lists_its_programs() {
    let o = run(Path::new(UTESTS), &["--multicall-list"]);
    assert!(o.status.success(), "{o:?}");
    let expected: String = PROGRAMS.iter().map(|p| format!("{p}\n")).collect();
    assert_eq!(stdout(&o), expected);
}

#[test]
fn each_link_runs_its_own_program() {
    let links = Links::new("each");
    let mut all = Vec::new();
    for prog in PROGRAMS {
        all.extend(listed_checks(&run(&links.link(prog), &["--list"]), prog));
    }
    // No two programs share a check: each link ran a different program.
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), count);
}

#[test]
fn another_argv0_falls_back_to_the_exec_path() {
    let links = Links::new("argv0");
    let exec = links.link("exec");
    let o = Command::new(&exec)
        .arg0("renamed-program")
        .arg("--list")
        .output()
        .unwrap();
    listed_checks(&o, "exec");
}

#[test]
fn helpers_re_execute_the_same_program() {
    let links = Links::new("helper");
    let exec = links.link("exec");
    // The exec program's show_args helper prints its argv (Debug format).
    let o = run(&exec, &["--helper", "show_args", "one"]);
    assert!(o.status.success(), "{o:?}");
    let first = stdout(&o).lines().next().unwrap_or("").to_string();
    assert_eq!(
        first,
        format!(
            "[{:?}, \"--helper\", \"show_args\", \"one\"]",
            exec.display().to_string()
        )
    );
}

#[test]
fn a_name_that_is_no_program_is_a_usage_error() {
    let links = Links::new("unknown");
    let o = run(&links.link("nosuch"), &["--list"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("multi-call binary") && err.contains("badptr exec file fork"),
        "{err}"
    );
    // The list option is the binary's own, not a program's.
    let o = run(&links.link("fork"), &["--multicall-list"]);
    assert_eq!(o.status.code(), Some(2), "fork --multicall-list: {o:?}");
}

#[test]
fn the_exec_probe_exits_99_whatever_the_name() {
    let links = Links::new("probe");
    for path in [
        links.link("nosuch"),
        links.link("fork"),
        PathBuf::from(UTESTS),
    ] {
        let o = Command::new(&path)
            .env("FTEST_EXEC_PROBE", "1")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(99), "{}: {o:?}", path.display());
        assert!(o.stdout.is_empty());
    }
}

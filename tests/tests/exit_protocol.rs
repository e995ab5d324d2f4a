//! The host side of the user-mode protocol, end to end through the real
//! `ferrite-boot` binary but with a stand-in for QEMU (`--qemu SCRIPT`): a
//! shell script that prints what a kernel would print and exits as QEMU
//! does (33 = the kernel powered off with success, 35 = with failure).
//! Checks `run`'s exit status from `ferrite: init exited with status N` /
//! `killed by signal N`, the command line given to the kernel, and the
//! counting of `test --user`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use ferrite_tests::{env_path, ferrite_boot, text};

/// A scratch directory removed on drop, with a dummy file to pack.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ferrite-xp-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("prog"), b"not really a program").unwrap();
        Scratch(dir)
    }

    /// A fake QEMU: records its last argument (the fw_cfg command line) in
    /// `cmdline.txt`, then runs `body`.
    fn fake_qemu(&self, body: &str) -> PathBuf {
        let path = self.0.join("fake-qemu");
        let record = self.0.join("cmdline.txt");
        let script = format!(
            "#!/bin/sh\nfor a; do last=$a; done\nprintf '%s\\n' \"$last\" > '{}'\n{body}\n",
            record.display()
        );
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn recorded_cmdline(&self) -> String {
        fs::read_to_string(self.0.join("cmdline.txt"))
            .unwrap()
            .trim_end()
            .to_string()
    }

    fn add(&self, guest: &str) -> String {
        format!("{}:{guest}", self.0.join("prog").display())
    }

    fn out(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn kernel() -> String {
    env_path("FERRITE_SELFTEST_KERNEL").display().to_string()
}

/// `ferrite-boot run` with the fake QEMU and `-- /bin/prog ARGS`.
fn run_prog(s: &Scratch, body: &str, args: &[&str]) -> Output {
    let qemu = s.fake_qemu(body);
    let mut argv: Vec<String> = [
        "run",
        "--kernel",
        &kernel(),
        "--out",
        s.out(),
        "--qemu",
        qemu.to_str().unwrap(),
        "--add",
        &s.add("/bin/prog"),
        "--",
        "/bin/prog",
    ]
    .map(String::from)
    .to_vec();
    argv.extend(args.iter().map(|a| a.to_string()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    ferrite_boot(&argv)
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn run_exits_with_inits_status() {
    let s = Scratch::new("status");
    let o = run_prog(
        &s,
        "echo 'ferrite: init exited with status 7'; exit 33",
        &["a b", "c"],
    );
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    // The kernel got user mode and the program with its (quoted) arguments.
    assert_eq!(
        s.recorded_cmdline(),
        r#"name=opt/ferrite/cmdline,string=mode=user -- /bin/prog "a b" c"#
    );

    let o = run_prog(
        &s,
        "echo 'ferrite: init exited with status 0'; exit 35",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn run_reports_init_killed_by_a_signal() {
    let s = Scratch::new("signal");
    let o = run_prog(
        &s,
        "echo 'ferrite: init killed by signal 9 (SIGKILL)'; exit 33",
        &[],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(128 + 9), "{out}");
    assert!(
        out.contains("error: init killed by signal 9 (SIGKILL)"),
        "{out}"
    );
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn run_without_an_init_report_keeps_the_power_off_status() {
    let s = Scratch::new("plain");
    let o = run_prog(&s, "echo 'ferrite: done'; exit 33", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run_prog(&s, "echo 'ferrite: oops'; exit 35", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("kernel failed"));
}

/// `test --user` with the fake QEMU printing `body`'s lines.
fn user_suite(s: &Scratch, body: &str, filter: Option<&str>) -> (Output, String) {
    let qemu = s.fake_qemu(body);
    let summary = s.0.join("summary.txt");
    let _ = fs::remove_file(&summary);
    let userland = s.0.join("userland");
    fs::create_dir_all(&userland).unwrap();
    let testrun = userland.join("testrun");
    fs::write(&testrun, b"stand-in").unwrap();
    fs::set_permissions(&testrun, fs::Permissions::from_mode(0o755)).unwrap();
    let kernel = kernel();
    let mut argv = vec![
        "test",
        "--kernel",
        &kernel,
        "--out",
        s.out(),
        "--qemu",
        qemu.to_str().unwrap(),
        "--user",
        "--userland",
        userland.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ];
    if let Some(f) = filter {
        argv.extend(["--filter", f]);
    }
    let o = ferrite_boot(&argv);
    let summary = fs::read_to_string(&summary).unwrap_or_default();
    (o, summary)
}

fn last_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn user_suite_counts_checks() {
    let s = Scratch::new("suite");
    let (o, summary) = user_suite(
        &s,
        "printf '%s\\n' 'test user::fork::a ... ok' \
         'test user::fork::b ... skipped (Ferrite only)' \
         'test user::pipe::c ... FAILED' '  pipe.rs:3: nope' \
         'user: 1 passed, 1 failed, 1 skipped' \
         'ferrite: init exited with status 1'; exit 33",
        Some("user::"),
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert_eq!(summary, "passed=1\nfailed=1\nskipped=1\n");
    assert_eq!(last_line(&o), "1 passed, 1 failed");
    assert!(out.contains("    user::pipe::c"), "failure list:\n{out}");
    assert_eq!(
        s.recorded_cmdline(),
        "name=opt/ferrite/cmdline,string=mode=user -- /bin/testrun user::"
    );

    let (o, summary) = user_suite(
        &s,
        "printf '%s\\n' 'test user::fork::a ... ok' 'user: 1 passed, 0 failed, 0 skipped' \
         'ferrite: init exited with status 0'; exit 33",
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(summary, "passed=1\nfailed=0\nskipped=0\n");
    assert_eq!(
        s.recorded_cmdline(),
        "name=opt/ferrite/cmdline,string=mode=user -- /bin/testrun"
    );
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn user_suite_stops_at_a_kernel_panic() {
    let s = Scratch::new("panic");
    let (o, summary) = user_suite(
        &s,
        "printf '%s\\n' 'test user::fork::a ... ok'; printf 'test user::fork::b ... '; \
         printf '%s\\n' 'panicked at kernel/src/kern/fork.rs:1:1:' 'boom'; exit 35",
        None,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the kernel panicked while running user::fork::b"),
        "{out}"
    );
    assert_eq!(summary, "passed=1\nfailed=1\nskipped=0\n");
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn user_suite_needs_testrun_in_the_archive() {
    let s = Scratch::new("notestrun");
    let empty = s.0.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let kernel = kernel();
    let o = ferrite_boot(&[
        "test",
        "--kernel",
        &kernel,
        "--out",
        s.out(),
        "--user",
        "--userland",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no /bin/testrun"), "{}", text(&o));
    assert!(Path::new(&empty).exists());
}

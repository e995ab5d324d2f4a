//! The interactive shell, driven through the serial console as a person
//! would type at it: `ferrite-boot run --shell` with BusyBox packed, its
//! stdin (QEMU's serial input) and stdout (the serial output) as pipes.
//! Each command waits for the shell's prompt first; every wait has a
//! timeout and a failure shows what the console printed.
//!
//! Covered: BusyBox's line editing (a typed line with a DEL in it), the
//! kernel's canonical mode with erase (`read` in ash), `ls /bin` (applet
//! links next to Ferrite's tools), `cat /proc/meminfo`, Ferrite's `ps`,
//! ^C killing a foreground `sleep` with SIGINT (status 130) and the
//! prompt coming back, ^Z stopping one (SIGTSTP, `jobs` shows it, `kill
//! -KILL %1` ends it), and ^D at the prompt ending the shell, after which init
//! exits and the kernel powers off with the shell's status.
//!
//! Needs Debian's busybox-static, which `scripts/setup.sh` fetches into
//! target/busybox; without it (no network) the test prints SKIPPED and
//! returns.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ferrite_tests::env_path;

/// The workspace root (this crate is `tests/` in it).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A path from `var`, or the build's default under the workspace root.
fn path_or(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(default))
}

/// Everything the console printed so far (shared with the reader threads).
#[derive(Default)]
struct Transcript {
    bytes: Mutex<Vec<u8>>,
    grew: Condvar,
}

/// The booted shell.
struct Shell {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Transcript>,
    /// How far the output has been consumed by `expect`.
    pos: usize,
    /// The prompt, as first seen.
    prompt: String,
}

/// How long a command may take to show what it is expected to.
const STEP: Duration = Duration::from_secs(20);

impl Shell {
    fn boot(kernel: &PathBuf, userland: &PathBuf, busybox: &PathBuf) -> Shell {
        let mut child = Command::new(env_path("FERRITE_BOOT"))
            .args(["run", "--kernel"])
            .arg(kernel)
            .arg("--userland")
            .arg(userland)
            .arg("--busybox")
            .arg(busybox)
            .args(["--shell", "--timeout", "240"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start ferrite-boot");
        let out = Arc::new(Transcript::default());
        let readers: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for mut r in readers {
            let out = Arc::clone(&out);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = r.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    out.bytes.lock().unwrap().extend_from_slice(&buf[..n]);
                    out.grew.notify_all();
                }
            });
        }
        let stdin = child.stdin.take();
        Shell {
            child,
            stdin,
            out,
            pos: 0,
            prompt: String::new(),
        }
    }

    fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.out.bytes.lock().unwrap()).into_owned()
    }

    /// Waits until the output after what was consumed contains `what`;
    /// consumes through it and returns the text before it.
    fn expect(&mut self, what: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut bytes = self.out.bytes.lock().unwrap();
        loop {
            let rest = &bytes[self.pos..];
            if let Some(i) = rest.windows(what.len()).position(|w| w == what.as_bytes()) {
                let before = String::from_utf8_lossy(&rest[..i]).into_owned();
                self.pos += i + what.len();
                return before;
            }
            let now = Instant::now();
            if now >= deadline {
                drop(bytes);
                panic!(
                    "no {what:?} on the console within {timeout:?}; console so far:\n{}",
                    self.transcript()
                );
            }
            bytes = self.out.grew.wait_timeout(bytes, deadline - now).unwrap().0;
        }
    }

    /// Types `bytes` (as they are: `\r` is Enter).
    fn type_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Types a command line and Enter, after the prompt; returns what the
    /// command printed up to the next prompt (which is consumed).
    fn run(&mut self, line: &str) -> String {
        self.type_bytes(line.as_bytes());
        self.type_bytes(b"\r");
        // The echo of the line, then the output, then the prompt.
        self.expect("\n", STEP);
        let prompt = self.prompt.clone();
        self.expect(&prompt, STEP)
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of a command's output, without the `\r` of the console.
fn lines(s: &str) -> Vec<&str> {
    s.lines().map(|l| l.trim_end_matches('\r')).collect()
}

#[test]
#[ignore = "boots QEMU with BusyBox; run by scripts/test.sh"]
fn busybox_shell_on_the_serial_console() {
    let busybox = path_or("FERRITE_BUSYBOX", "target/busybox/root/bin/busybox");
    if !busybox.is_file() {
        // Not a silent pass: say so where scripts/test.sh's log shows it
        // (a direct write is not captured by the test harness).
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED shell::busybox_shell_on_the_serial_console: no BusyBox at {} \
             (scripts/setup.sh could not fetch Debian's busybox-static)",
            busybox.display()
        );
        return;
    }
    let kernel = path_or(
        "FERRITE_KERNEL",
        "target/x86_64-unknown-none/release/ferrite",
    );
    let userland = path_or(
        "FERRITE_USERLAND",
        "target/x86_64-unknown-linux-musl/userland-pack",
    );
    assert!(kernel.is_file(), "no kernel at {}", kernel.display());
    assert!(userland.is_dir(), "no userland at {}", userland.display());
    let started = Instant::now();
    let mut sh = Shell::boot(&kernel, &userland, &busybox);

    // The first prompt: the text after init's banner up to "# " (root's
    // prompt ends in "# "), on its own line.
    sh.expect(
        "init: starting an interactive /bin/sh",
        Duration::from_secs(120),
    );
    let before = sh.expect("# ", STEP);
    let prompt = format!(
        "{}# ",
        before.rsplit(['\n', '\r']).next().unwrap_or_default()
    );
    assert!(
        !prompt.trim().is_empty() && prompt.len() < 40,
        "prompt {prompt:?}"
    );
    sh.prompt = prompt;

    // BusyBox's line editing (raw mode, its own echo): DEL erases the `p`.
    let out = sh.run("echo hellp\x7fo");
    assert_eq!(lines(&out), ["hello"], "echo");

    // The kernel's canonical mode: ash's `read` reads a line the line
    // discipline edited (DEL erases the `d`, echoed as "\b \b"). The
    // shell has put the terminal back into canonical mode before it runs
    // a command, so the data is typed once `go` is out.
    sh.type_bytes(b"echo go; read x; echo \"[$x]\"\r");
    sh.expect("\ngo\r\n", STEP);
    sh.type_bytes(b"abd\x7fc\r");
    let prompt = sh.prompt.clone();
    let out = sh.expect(&prompt, STEP);
    assert_eq!(
        lines(&out),
        ["abd\x08 \x08c", "[abc]"],
        "canonical read with erase"
    );

    let out = sh.run("ls /bin");
    for name in ["busybox", "sh", "ls", "cat", "ps", "pmap", "vmstat"] {
        assert!(
            out.split_whitespace().any(|w| w == name),
            "ls /bin lacks {name}:\n{out}"
        );
    }
    let out = sh.run("ls -l /bin/ps /bin/ls");
    assert!(
        out.contains("/bin/ps -> /bin/ftools") && out.contains("/bin/ls -> /bin/busybox"),
        "ps must be Ferrite's, ls BusyBox's:\n{out}"
    );

    let out = sh.run("cat /proc/meminfo");
    assert!(
        out.contains("MemTotal:") && out.contains("MemFree:"),
        "meminfo:\n{out}"
    );

    // Ferrite's ps: its header, init, the shell and ps itself.
    let out = sh.run("ps");
    let ls = lines(&out);
    assert!(
        ls.first()
            .is_some_and(|h| h.contains("PID") && h.contains("COMMAND")),
        "ps header:\n{out}"
    );
    for cmd in ["/init", "/bin/sh", "ps"] {
        assert!(
            ls[1..].iter().any(|l| l.contains(cmd)),
            "ps lacks {cmd}:\n{out}"
        );
    }

    // ^C: SIGINT to the foreground job, the prompt comes back at once.
    sh.type_bytes(b"sleep 100\r");
    sh.expect("sleep 100\r\n", STEP);
    // Give the shell time to start the job and put it in the foreground.
    thread::sleep(Duration::from_secs(2));
    let interrupted = Instant::now();
    sh.type_bytes(b"\x03");
    let prompt = sh.prompt.clone();
    sh.expect(&prompt, STEP);
    assert!(
        interrupted.elapsed() < Duration::from_secs(10),
        "the prompt took {:?} after ^C",
        interrupted.elapsed()
    );
    let out = sh.run("echo status=$?");
    assert_eq!(lines(&out), ["status=130"], "sleep killed by SIGINT");

    // ^Z: SIGTSTP stops the job; the shell reports it and gets the
    // terminal back; `kill -KILL %1` ends it.
    sh.type_bytes(b"sleep 100\r");
    sh.expect("sleep 100\r\n", STEP);
    thread::sleep(Duration::from_secs(2));
    sh.type_bytes(b"\x1a");
    let prompt = sh.prompt.clone();
    let out = sh.expect(&prompt, STEP);
    assert!(out.contains("Stopped"), "^Z:\n{out}");
    let out = sh.run("jobs");
    assert!(
        out.contains("Stopped") && out.contains("sleep 100"),
        "jobs:\n{out}"
    );
    // (A stopped process keeps a SIGTERM pending; SIGKILL ends it. The
    // death comes after kill returns: the shell sees it a moment later.)
    let out = sh.run("kill -KILL %1; sleep 1; jobs");
    assert!(
        out.contains("Killed") && out.contains("sleep 100"),
        "kill -KILL %1:\n{out}"
    );
    let out = sh.run("jobs");
    assert_eq!(out, "", "no jobs left");

    // ^D on an empty line: the shell exits (status 0, the last command's),
    // init exits and the kernel powers off.
    sh.type_bytes(b"\x04");
    sh.expect("ferrite: init exited with status 0", STEP);
    drop(sh.stdin.take());
    let deadline = Instant::now() + STEP;
    let status = loop {
        if let Some(s) = sh.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "ferrite-boot did not end after the power-off:\n{}",
            sh.transcript()
        );
        thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}:\n{}", sh.transcript());
    let _ = writeln!(
        std::io::stderr(),
        "shell test: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

//! QEMU: locating the binary and OVMF, building the command line (pure,
//! tested), running the process and reading its serial console (stdout)
//! as lines with deadlines, and interpreting its exit status.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

pub const QEMU_BINARY: &str = "qemu-system-x86_64";
/// Port of the isa-debug-exit device; the kernel writes 0x10 (success) or
/// 0x11 (failure) to it, and QEMU exits with `(value << 1) | 1`.
pub const DEBUG_EXIT_IOBASE: u16 = 0xf4;
pub const EXIT_SUCCESS_CODE: i32 = 33;
pub const EXIT_FAILURE_CODE: i32 = 35;

/// Escapes a value for a QEMU `key=value,...` option: commas are doubled.
pub fn escape_opt_value(value: &str) -> String {
    value.replace(',', ",,")
}

/// Same for paths (which may not be UTF-8 in theory; lossy is fine here
/// because QEMU would not cope with such a path in an option either).
fn escape_path(path: &Path) -> String {
    escape_opt_value(&path.to_string_lossy())
}

/// UEFI firmware to boot with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Firmware {
    /// A single combined image, passed with `-bios`.
    Bios(PathBuf),
    /// Split code/vars images, attached as pflash; `vars` must be a
    /// writable copy.
    Pflash { code: PathBuf, vars: PathBuf },
}

/// Where OVMF was found (vars not yet copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ovmf {
    Combined(PathBuf),
    Split { code: PathBuf, vars: PathBuf },
}

/// Looks for OVMF in the usual Debian locations.
pub fn find_ovmf() -> Option<Ovmf> {
    let combined = [
        "/usr/share/ovmf/OVMF.fd",
        "/usr/share/qemu/OVMF.fd",
        "/usr/share/OVMF/OVMF.fd",
    ];
    if let Some(p) = combined.iter().map(PathBuf::from).find(|p| p.is_file()) {
        return Some(Ovmf::Combined(p));
    }
    let code = PathBuf::from("/usr/share/OVMF/OVMF_CODE.fd");
    let vars = PathBuf::from("/usr/share/OVMF/OVMF_VARS.fd");
    (code.is_file() && vars.is_file()).then_some(Ovmf::Split { code, vars })
}

/// Turns the OVMF location into firmware arguments, copying the vars image
/// into `scratch_dir` (pflash vars are written by the firmware).
pub fn prepare_firmware(ovmf: &Ovmf, scratch_dir: &Path) -> Result<Firmware> {
    Ok(match ovmf {
        Ovmf::Combined(p) => Firmware::Bios(p.clone()),
        Ovmf::Split { code, vars } => {
            let copy = scratch_dir.join("ferrite-OVMF_VARS.fd");
            std::fs::copy(vars, &copy).map_err(|e| {
                Error::io(
                    format!("copying {} to {}", vars.display(), copy.display()),
                    e,
                )
            })?;
            Firmware::Pflash {
                code: code.clone(),
                vars: copy,
            }
        }
    })
}

/// Resolves the QEMU binary: `--qemu PATH` (a path or a name looked up in
/// `PATH`), or `qemu-system-x86_64` from `PATH`.
pub fn find_qemu(explicit: Option<&Path>) -> Result<PathBuf> {
    let hint = "run scripts/setup.sh or `apt-get install qemu-system-x86`";
    match explicit {
        Some(p) if p.components().count() > 1 || p.is_absolute() => {
            if p.is_file() {
                Ok(p.to_path_buf())
            } else {
                Err(Error::usage(format!(
                    "QEMU binary {} (from --qemu) does not exist; fix the path or {hint}",
                    p.display()
                )))
            }
        }
        Some(name) => search_path(name.as_os_str()).ok_or_else(|| {
            Error::usage(format!(
                "QEMU binary `{}` (from --qemu) not found in PATH; {hint}",
                name.display()
            ))
        }),
        None => search_path(QEMU_BINARY.as_ref()).ok_or_else(|| {
            Error::usage(format!(
                "{QEMU_BINARY} not found in PATH; {hint} (or pass --qemu PATH)"
            ))
        }),
    }
}

fn search_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Everything that determines the QEMU command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuConfig {
    pub memory_mib: u32,
    pub image: PathBuf,
    pub firmware: Option<Firmware>,
    pub icount: bool,
    /// Extra CPU feature flags appended to the CPU model.
    pub cpu_flags: Option<String>,
    /// Kernel command line, delivered as fw_cfg `opt/ferrite/cmdline`.
    pub cmdline: String,
}

/// The QEMU arguments (without the binary).
pub fn qemu_args(cfg: &QemuConfig) -> Vec<OsString> {
    let mut args: Vec<String> = vec![
        "-machine".into(),
        "pc".into(),
        "-cpu".into(),
        match &cfg.cpu_flags {
            Some(extra) => format!("qemu64,+smep,+smap,{extra}"),
            None => "qemu64,+smep,+smap".into(),
        },
        "-m".into(),
        format!("{}M", cfg.memory_mib),
        "-smp".into(),
        "1".into(),
        "-display".into(),
        "none".into(),
        "-serial".into(),
        "stdio".into(),
        "-monitor".into(),
        "none".into(),
        "-no-reboot".into(),
        "-device".into(),
        format!("isa-debug-exit,iobase={DEBUG_EXIT_IOBASE:#x},iosize=0x04"),
        "-drive".into(),
        // snapshot=on: guest writes go to a temporary overlay and the image
        // is only read-locked, so several QEMUs can boot the same image.
        format!(
            "format=raw,file={},if=ide,snapshot=on",
            escape_path(&cfg.image)
        ),
        "-fw_cfg".into(),
        format!(
            "name=opt/ferrite/cmdline,string={}",
            escape_opt_value(&cfg.cmdline)
        ),
    ];
    match &cfg.firmware {
        None => {}
        Some(Firmware::Bios(path)) => {
            args.push("-bios".into());
            args.push(path.to_string_lossy().into_owned());
        }
        Some(Firmware::Pflash { code, vars }) => {
            args.push("-drive".into());
            args.push(format!(
                "if=pflash,format=raw,unit=0,readonly=on,file={}",
                escape_path(code)
            ));
            args.push("-drive".into());
            args.push(format!(
                "if=pflash,format=raw,unit=1,file={}",
                escape_path(vars)
            ));
        }
    }
    if cfg.icount {
        args.extend(
            [
                "-icount",
                "shift=0,sleep=off",
                "-rtc",
                "base=2024-01-01T00:00:00,clock=vm",
            ]
            .map(String::from),
        );
    }
    args.into_iter().map(OsString::from).collect()
}

/// Renders a command line for display (`--verbose`), quoting as a shell would.
pub fn display_command(binary: &Path, args: &[OsString]) -> String {
    std::iter::once(binary.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// How QEMU ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QemuExit {
    /// Exit 33: the kernel wrote 0x10 to isa-debug-exit.
    Success,
    /// Exit 35: the kernel wrote 0x11 to isa-debug-exit.
    Failure,
    /// Exit 0 under `-no-reboot`: the guest reset (e.g. triple fault).
    Reset,
    /// Any other exit code.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
}

impl QemuExit {
    pub fn from_status(status: ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(EXIT_SUCCESS_CODE), _) => QemuExit::Success,
            (Some(EXIT_FAILURE_CODE), _) => QemuExit::Failure,
            (Some(0), _) => QemuExit::Reset,
            (Some(code), _) => QemuExit::Code(code),
            (None, Some(sig)) => QemuExit::Signal(sig),
            (None, None) => QemuExit::Code(-1),
        }
    }

    /// A short human description, e.g. for `FAILED (kernel stopped: ...)`.
    pub fn describe(self) -> String {
        match self {
            QemuExit::Success => "kernel reported success (QEMU exit 33)".into(),
            QemuExit::Failure => "kernel reported failure (QEMU exit 35)".into(),
            QemuExit::Reset => "kernel reset the machine (triple fault?)".into(),
            QemuExit::Code(c) => format!("QEMU exited with unexpected status {c}"),
            QemuExit::Signal(s) => format!("QEMU was killed by signal {s}"),
        }
    }
}

/// What the serial console produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A complete line (without the line terminator).
    Line(String),
    /// The current unterminated line changed (whole partial line so far).
    Partial(String),
    /// QEMU exited; all output has been delivered before this.
    Exited(QemuExit),
}

/// Splits a byte stream into lines; keeps the unterminated tail.
#[derive(Debug, Default)]
pub struct LineBuffer {
    partial: Vec<u8>,
}

/// Lines longer than this are cut, so a newline-less flood cannot exhaust memory.
const MAX_LINE: usize = 64 * 1024;

impl LineBuffer {
    /// Appends bytes and returns the lines they completed (`\n`, `\r\n`).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                lines.push(self.take());
            } else {
                self.partial.push(b);
                if self.partial.len() >= MAX_LINE {
                    lines.push(self.take());
                }
            }
        }
        lines
    }

    /// The unterminated tail (lossy UTF-8, trailing `\r` removed).
    pub fn partial(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.partial).into_owned();
        if s.ends_with('\r') {
            s.pop();
        }
        s
    }

    /// At end of stream: the tail as a final line, if any.
    pub fn finish(&mut self) -> Option<String> {
        (!self.partial.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> String {
        let mut bytes = std::mem::take(&mut self.partial);
        // Strip all trailing CRs (some serial drivers emit "\r\r\n").
        while bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

enum Chunk {
    Data(Vec<u8>),
    End,
}

/// A running QEMU whose serial console is read by a background thread.
pub struct Session {
    child: Child,
    rx: Receiver<Chunk>,
    lines: LineBuffer,
    pending: VecDeque<Output>,
    last_partial: String,
    eof: bool,
    exited: bool,
    bytes_seen: u64,
}

/// After stdout closed, how long QEMU may take to exit before being killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

impl Session {
    /// Starts QEMU with stdin = null, stdout piped (the serial console) and
    /// stderr inherited.
    pub fn spawn(binary: &Path, args: &[OsString]) -> Result<Self> {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::io(format!("starting {}", binary.display()), e))?;
        let Some(mut stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::usage("QEMU's stdout could not be captured"));
        };
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("qemu-serial".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match stdout.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tx.send(Chunk::Data(buf[..n].to_vec())).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = tx.send(Chunk::End);
            })
            .map_err(|e| Error::io("starting the serial reader thread", e))?;
        Ok(Self {
            child,
            rx,
            lines: LineBuffer::default(),
            pending: VecDeque::new(),
            last_partial: String::new(),
            eof: false,
            exited: false,
            bytes_seen: 0,
        })
    }

    /// Number of serial bytes received so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// Next piece of output, or `Ok(None)` if `deadline` passed first.
    /// After [`Output::Exited`] has been returned, keeps returning it.
    pub fn next(&mut self, deadline: Instant) -> Result<Option<Output>> {
        loop {
            if let Some(out) = self.pending.pop_front() {
                return Ok(Some(out));
            }
            if self.eof {
                return self.wait_exit().map(Some);
            }
            let timeout = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(timeout) {
                Ok(Chunk::Data(bytes)) => {
                    self.bytes_seen += bytes.len() as u64;
                    let lines = self.lines.push(&bytes);
                    if !lines.is_empty() {
                        self.last_partial.clear();
                    }
                    self.pending.extend(lines.into_iter().map(Output::Line));
                    let partial = self.lines.partial();
                    if partial != self.last_partial {
                        if !partial.is_empty() {
                            self.pending.push_back(Output::Partial(partial.clone()));
                        }
                        self.last_partial = partial;
                    }
                }
                Ok(Chunk::End) | Err(RecvTimeoutError::Disconnected) => {
                    self.eof = true;
                    self.pending.extend(self.lines.finish().map(Output::Line));
                }
                Err(RecvTimeoutError::Timeout) => return Ok(None),
            }
        }
    }

    fn wait_exit(&mut self) -> Result<Output> {
        let grace_end = Instant::now() + EXIT_GRACE;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.exited = true;
                    return Ok(Output::Exited(QemuExit::from_status(status)));
                }
                Ok(None) if Instant::now() < grace_end => {
                    thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    self.kill();
                    return Err(Error::failure(
                        "QEMU closed its serial console but did not exit; killed it",
                    ));
                }
                Err(e) => return Err(Error::io("waiting for QEMU", e)),
            }
        }
    }

    /// Kills QEMU (if still running) and reaps it.
    pub fn kill(&mut self) {
        if !self.exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.exited = true;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn escaping_commas() {
        assert_eq!(
            escape_opt_value("log=info,uvm::fault=trace"),
            "log=info,,uvm::fault=trace"
        );
        assert_eq!(escape_opt_value("a,,b"), "a,,,,b");
        assert_eq!(escape_opt_value("plain"), "plain");
    }

    #[test]
    fn bios_command_line() {
        let cfg = QemuConfig {
            memory_mib: 512,
            image: PathBuf::from("/tmp/a,b/ferrite.bios.img"),
            firmware: None,
            icount: false,
            cpu_flags: None,
            cmdline: "mode=test log=info,mm=trace".into(),
        };
        let args = strs(&qemu_args(&cfg));
        let joined = args.join(" ");
        assert_eq!(
            joined,
            "-machine pc -cpu qemu64,+smep,+smap -m 512M -smp 1 -display none -serial stdio \
             -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
             -drive format=raw,file=/tmp/a,,b/ferrite.bios.img,if=ide,snapshot=on \
             -fw_cfg name=opt/ferrite/cmdline,string=mode=test log=info,,mm=trace"
        );
        // The cmdline is one argument even though it has spaces.
        assert_eq!(
            args.last().map(String::as_str),
            Some("name=opt/ferrite/cmdline,string=mode=test log=info,,mm=trace")
        );
    }

    #[test]
    fn uefi_and_icount_command_line() {
        let mut cfg = QemuConfig {
            memory_mib: 256,
            image: PathBuf::from("k.uefi.img"),
            firmware: Some(Firmware::Bios(PathBuf::from("/usr/share/ovmf/OVMF.fd"))),
            icount: true,
            cpu_flags: None,
            cmdline: "mode=demo".into(),
        };
        let args = strs(&qemu_args(&cfg));
        let joined = args.join(" ");
        assert!(joined.contains("-m 256M"));
        assert!(joined.contains("-bios /usr/share/ovmf/OVMF.fd"));
        assert!(
            joined.ends_with("-icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm")
        );

        cfg.firmware = Some(Firmware::Pflash {
            code: "/fw/CODE.fd".into(),
            vars: "/tmp/VARS.fd".into(),
        });
        cfg.icount = false;
        let joined = strs(&qemu_args(&cfg)).join(" ");
        assert!(joined.contains(
            "-drive if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd \
             -drive if=pflash,format=raw,unit=1,file=/tmp/VARS.fd"
        ));
        assert!(!joined.contains("-icount"));
    }

    #[test]
    fn display_quotes() {
        let shown = display_command(
            Path::new("qemu"),
            &["-m".into(), "name=x,string=a b".into(), "it's".into()],
        );
        assert_eq!(shown, r"qemu -m 'name=x,string=a b' 'it'\''s'");
    }

    #[test]
    fn exit_descriptions() {
        assert!(QemuExit::Reset.describe().contains("triple fault"));
        assert!(QemuExit::Code(1).describe().contains('1'));
    }

    #[test]
    fn line_buffer_splits_and_keeps_partial() {
        let mut lb = LineBuffer::default();
        assert_eq!(lb.push(b"hello\r\nwor"), vec!["hello".to_string()]);
        assert_eq!(lb.partial(), "wor");
        assert_eq!(lb.push(b"ld\ntest a ... "), vec!["world".to_string()]);
        assert_eq!(lb.partial(), "test a ... ");
        assert_eq!(lb.push(b"ok\r"), Vec::<String>::new());
        assert_eq!(lb.partial(), "test a ... ok");
        assert_eq!(lb.finish(), Some("test a ... ok".to_string()));
        assert_eq!(lb.finish(), None);
    }

    #[test]
    fn line_buffer_caps_long_lines() {
        let mut lb = LineBuffer::default();
        let lines = lb.push(&vec![b'x'; MAX_LINE + 10]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lb.partial().len(), 10);
    }

    #[test]
    fn session_reads_lines_and_exit_code() {
        // Uses /bin/sh as a stand-in for QEMU.
        let sh = Path::new("/bin/sh");
        if !sh.exists() {
            return;
        }
        let args: Vec<OsString> = vec![
            "-c".into(),
            "printf 'one\\r\\ntest x ... '; sleep 0.2; printf 'ok\\n'; exit 33".into(),
        ];
        let mut s = Session::spawn(sh, &args).expect("spawn sh");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = Vec::new();
        loop {
            match s.next(deadline).expect("read") {
                Some(Output::Exited(e)) => {
                    got.push(format!("exit {e:?}"));
                    break;
                }
                Some(other) => got.push(format!("{other:?}")),
                None => panic!("timed out"),
            }
        }
        assert_eq!(
            got,
            [
                r#"Line("one")"#,
                r#"Partial("test x ... ")"#,
                r#"Line("test x ... ok")"#,
                "exit Success"
            ]
        );
    }

    #[test]
    fn session_deadline_and_kill() {
        let sh = Path::new("/bin/sh");
        if !sh.exists() {
            return;
        }
        let args: Vec<OsString> = vec!["-c".into(), "exec sleep 30".into()];
        let mut s = Session::spawn(sh, &args).expect("spawn sh");
        let start = Instant::now();
        let r = s.next(start + Duration::from_millis(200)).expect("read");
        assert_eq!(r, None);
        s.kill();
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}

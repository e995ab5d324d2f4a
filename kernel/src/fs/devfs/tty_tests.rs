//! ktests of the line discipline (on a test terminal), of `/dev/console`
//! with injected input (a reader woken by typing), and of the memory
//! devices.

use super::console;
use super::tty::{Tty, flags::*};
use crate::fs::vnode::{DirEntry, VnodeRef};
use crate::kern::sched::lwp;
use crate::kern::sched::sched::Stat;
use crate::kern::sched::spinlock::SpinLock;
use crate::ktest::ktest;
use alloc::vec::Vec;
use ferrite_abi::poll::{POLLIN, POLLOUT};
use ferrite_abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use ferrite_abi::{Errno, mode};

/// The test terminal (a terminal is too large for a kernel stack).
static T: SpinLock<Tty> = SpinLock::new("test-tty", Tty::new());

/// Type `bytes`; returns the echo and the signals raised.
fn typed(bytes: &[u8]) -> (Vec<u8>, Vec<i32>) {
    let mut echo = Vec::with_capacity(512);
    let mut sigs = [0i32; 8];
    let mut n = 0;
    {
        let mut t = T.lock();
        for &b in bytes {
            if let Some(s) = t.input(b, &mut |e| {
                if echo.len() + e.len() <= echo.capacity() {
                    echo.extend_from_slice(e)
                }
            }) {
                sigs[n] = s;
                n += 1;
            }
        }
    }
    (echo, sigs[..n].to_vec())
}

/// One read of at most `max` bytes: None if nothing is readable.
fn read(max: usize) -> Option<(Vec<u8>, bool)> {
    let mut buf = [0u8; 64];
    let r = T.lock().read(&mut buf[..max]);
    r.map(|(n, more)| (buf[..n].to_vec(), more))
}

fn fresh() {
    T.lock().reset();
}

#[ktest]
fn canonical_mode_delivers_whole_lines_with_echo() {
    fresh();
    let (echo, sigs) = typed(b"ab");
    assert_eq!((echo.as_slice(), sigs.len()), (&b"ab"[..], 0));
    assert!(!T.lock().readable(), "a partial line is not readable");
    assert_eq!(read(16), None);
    let (echo, _) = typed(b"\r"); // ICRNL: CR becomes NL
    assert_eq!(echo, b"\n");
    assert!(T.lock().readable());
    assert_eq!(T.lock().available(), 3);
    assert_eq!(read(16), Some((b"ab\n".to_vec(), false)));
    // Two lines: one read returns one line; a short read continues it.
    typed(b"hello\nxy\n");
    assert_eq!(read(2), Some((b"he".to_vec(), true)));
    assert_eq!(read(16), Some((b"llo\n".to_vec(), false)));
    assert_eq!(read(16), Some((b"xy\n".to_vec(), false)));
    assert_eq!(read(16), None);
}

#[ktest]
fn erase_word_erase_and_kill_edit_the_line() {
    fresh();
    let (echo, _) = typed(b"abc\x7fd\n");
    assert_eq!(read(32).unwrap().0, b"abd\n");
    assert_eq!(echo, b"abc\x08 \x08d\n", "ECHOE erases on screen");
    typed(b"one two\x17three\n");
    assert_eq!(read(32).unwrap().0, b"one three\n");
    let (echo, _) = typed(b"junk\x15ok\n");
    assert_eq!(read(32).unwrap().0, b"ok\n");
    assert!(
        echo.starts_with(b"junk\x08 \x08"),
        "ECHOKE erases the killed line"
    );
    // Erasing past the start of the line does nothing.
    typed(b"\x7f\x7fz\n");
    assert_eq!(read(32).unwrap().0, b"z\n");
    // A control character echoes as ^X and erases as two columns.
    let (echo, _) = typed(b"\x01\x7f\n");
    assert_eq!(echo, b"^A\x08 \x08\x08 \x08\n");
    assert_eq!(read(32).unwrap().0, b"\n");
}

#[ktest]
fn eof_ends_a_partial_line_and_reads_as_zero_on_an_empty_one() {
    fresh();
    let (echo, _) = typed(b"ab\x04");
    assert_eq!(echo, b"ab", "^D is not echoed");
    assert_eq!(read(32), Some((b"ab".to_vec(), false)));
    typed(b"\x04");
    assert!(T.lock().readable());
    assert_eq!(read(32), Some((Vec::new(), false)), "end of file");
    assert_eq!(read(32), None);
}

#[ktest]
fn signal_characters_raise_signals_and_flush_the_line() {
    fresh();
    let (echo, sigs) = typed(b"half a line\x03");
    assert_eq!(sigs, [SIGINT]);
    assert!(echo.ends_with(b"^C"));
    typed(b"\n");
    assert_eq!(
        read(32).unwrap().0,
        b"\n",
        "the interrupted line was dropped"
    );
    let (_, sigs) = typed(b"\x1a\x1c");
    assert_eq!(sigs, [SIGTSTP, SIGQUIT]);
    // Without ISIG they are ordinary characters.
    let mut t = T.lock().termios;
    t.c_lflag &= !ISIG;
    T.lock().set_termios(t);
    let (_, sigs) = typed(b"\x03\n");
    assert!(sigs.is_empty());
    assert_eq!(read(32).unwrap().0, b"\x03\n");
}

#[ktest]
fn raw_mode_makes_every_byte_readable_at_once() {
    fresh();
    typed(b"xy"); // a partial line, still being edited
    let mut t = T.lock().termios;
    t.c_lflag &= !(ICANON | ECHO);
    T.lock().set_termios(t);
    assert!(
        T.lock().readable(),
        "leaving canonical mode releases the line"
    );
    let (echo, _) = typed(b"z\r\x7f");
    assert!(echo.is_empty(), "no echo");
    assert_eq!(
        read(64),
        Some((b"xyz\n\x7f".to_vec(), false)),
        "no editing; CR still mapped"
    );
    // VMIN = 1 waits for a byte; VMIN = VTIME = 0 never waits.
    assert!(T.lock().must_wait(10));
    t.c_cc[VMIN] = 0;
    T.lock().set_termios(t);
    assert!(!T.lock().must_wait(10));
    t.c_cc[VMIN] = 4;
    T.lock().set_termios(t);
    typed(b"ab");
    assert!(T.lock().must_wait(10), "VMIN = 4: 2 bytes are not enough");
    assert!(!T.lock().must_wait(2), "but they are for a 2-byte read");
    fresh();
}

/// Run `f` with the console's echo off and its input empty, restoring
/// its settings after.
fn with_quiet_console<R>(f: impl FnOnce(&VnodeRef) -> R) -> R {
    console::attach();
    let saved = console::tty().lock().termios;
    {
        let mut t = console::tty().lock();
        t.flush_input();
        let mut quiet = saved;
        quiet.c_lflag &= !ECHO;
        t.set_termios(quiet);
    }
    let dev = super::new();
    let con = dev.lookup(b"console").expect("/dev/console");
    let r = f(&con);
    let mut t = console::tty().lock();
    t.flush_input();
    t.set_termios(saved);
    r
}

#[ktest]
fn the_console_reads_what_is_typed() -> Result<(), Errno> {
    with_quiet_console(|con| {
        assert_eq!(con.ops().poll(POLLIN | POLLOUT), POLLOUT);
        // Nothing is typed on the serial line during the tests: polling
        // the UART delivers nothing.
        crate::dev::console::poll_input();
        assert_eq!(con.ops().poll(POLLIN), 0);
        crate::dev::console::inject_input(b"typed");
        assert_eq!(con.ops().poll(POLLIN), 0, "no line yet");
        crate::dev::console::inject_input(b" text\n");
        assert_eq!(con.ops().poll(POLLIN), POLLIN);
        let mut b = [0u8; 32];
        let n = con.read(0, &mut b)?;
        assert_eq!(&b[..n], b"typed text\n");
        let st = con.getattr();
        assert_eq!(st.st_mode & mode::S_IFMT, mode::S_IFCHR);
        assert_eq!(st.st_rdev, crate::fs::mount::makedev(5, 1));
        assert!(!con.ops().seekable());
        assert_eq!(con.ops().ioctl(0x1234, 0).unwrap_err(), Errno::ENOTTY);
        Ok(())
    })
}

static CONSOLE_READ: SpinLock<Option<VnodeRef>> = SpinLock::new("test-console", None);
static CONSOLE_GOT: SpinLock<([u8; 16], usize)> = SpinLock::new("test-console-got", ([0; 16], 0));

#[ktest(timeout_ms = 5000)]
fn a_console_reader_sleeps_until_a_line_is_typed() -> Result<(), Errno> {
    fn reader(_: usize) {
        let con = CONSOLE_READ.lock().take().expect("console vnode");
        let mut b = [0u8; 16];
        let n = con.read(0, &mut b).expect("console read");
        *CONSOLE_GOT.lock() = (b, n);
    }
    with_quiet_console(|con| {
        *CONSOLE_READ.lock() = Some(con.clone());
        let t = lwp::kthread_create("con-reader", reader, 0).map_err(|_| Errno::ENOMEM)?;
        while lwp::stat_of(&t) != Stat::Sleeping {
            crate::kern::sched::yield_now();
        }
        crate::dev::console::inject_input(b"wake");
        // Woken, it finds half a line and sleeps again.
        crate::kern::sched::yield_now();
        while lwp::stat_of(&t) != Stat::Sleeping {
            crate::kern::sched::yield_now();
        }
        assert_eq!(CONSOLE_GOT.lock().1, 0, "half a line is not read");
        crate::dev::console::inject_input(b" up\n");
        assert_eq!(lwp::join(t), 0);
        let (b, n) = *CONSOLE_GOT.lock();
        assert_eq!(&b[..n], b"wake up\n");
        Ok(())
    })
}

#[ktest]
fn the_memory_devices_behave_as_linuxs() -> Result<(), Errno> {
    let dev = super::new();
    let null = dev.lookup(b"null")?;
    let zero = dev.lookup(b"zero")?;
    let full = dev.lookup(b"full")?;
    let urandom = dev.lookup(b"urandom")?;
    let mut b = [9u8; 600];
    assert_eq!(null.read(0, &mut b)?, 0);
    assert_eq!(null.write(0, &b)?, 600);
    assert_eq!(zero.read(0, &mut b)?, 600);
    assert!(b.iter().all(|&x| x == 0));
    assert_eq!(full.write(0, &b).unwrap_err(), Errno::ENOSPC);
    let mut r1 = [0u8; 32];
    let mut r2 = [0u8; 32];
    urandom.read(0, &mut r1)?;
    urandom.read(0, &mut r2)?;
    assert_ne!(r1, r2);
    assert_eq!(null.getattr().st_rdev, crate::fs::mount::makedev(1, 3));
    assert_eq!(null.getattr().st_mode, mode::S_IFCHR | 0o666);
    // The directory is fixed.
    assert_eq!(dev.lookup(b"nope").unwrap_err(), Errno::ENOENT);
    assert_eq!(dev.create(b"null", 0o644).unwrap_err(), Errno::EEXIST);
    assert_eq!(dev.create(b"new", 0o644).unwrap_err(), Errno::EPERM);
    assert_eq!(dev.unlink(b"null").unwrap_err(), Errno::EPERM);
    let mut names = Vec::new();
    dev.readdir(0, &mut |e: &DirEntry<'_>| {
        names.push(e.name.to_vec());
        true
    })?;
    assert_eq!(
        names,
        [
            &b"."[..],
            b"..",
            b"console",
            b"full",
            b"null",
            b"random",
            b"tty",
            b"urandom",
            b"zero"
        ]
    );
    Ok(())
}

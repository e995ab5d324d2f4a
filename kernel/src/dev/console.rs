//! The kernel console on the serial port: `kprint!`/`kprintln!`, interrupt-safe
//! locking, and the bookkeeping of a ktest result line (`test X ... ` waiting
//! for its `ok`): if anything else is printed in between, the line is closed
//! and its prefix printed again before the result, so every result line is
//! whole.
//!
//! Input: `poll_input` (called on every clock tick) drains the bytes the
//! UART received and hands them to the input handler the terminal layer
//! registered (`set_input_handler`: `/dev/console`'s line discipline);
//! `inject_input` hands it bytes as if typed (tests). With no handler,
//! input is dropped. Output of arbitrary bytes (a program's `write`) goes
//! through `write_bytes`, with the same line bookkeeping as text.

use crate::arch::x86_64::serial;
use core::fmt::{self, Write};
use spin::{Mutex, Once};
use uart_16550::SerialPort;
use x86_64::instructions::interrupts;

/// A ktest result line's prefix, `test <module>::<name> ... `.
#[derive(Clone, Copy)]
pub struct TestLine {
    pub module: &'static str,
    pub name: &'static str,
}

impl fmt::Display for TestLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let module = self.module.strip_prefix("ferrite::").unwrap_or(self.module);
        write!(f, "test {module}::{} ... ", self.name)
    }
}

struct Console {
    port: Option<SerialPort>,
    /// The `test X ... ` line currently waiting for its result, if any.
    pending: Option<TestLine>,
    /// True once something was printed after the pending prefix.
    interrupted: bool,
    at_line_start: bool,
}

impl Console {
    fn raw(&mut self, s: &str) {
        self.raw_bytes(s.as_bytes());
    }

    fn raw_bytes(&mut self, s: &[u8]) {
        if let Some(port) = self.port.as_mut() {
            // `send_raw`: the bytes as they are (`send` would turn a
            // backspace or DEL into "\b \b", which breaks the terminal's
            // and the shell's cursor movements); NL becomes CR NL (ONLCR).
            for &b in s {
                if b == b'\n' {
                    port.send_raw(b'\r');
                }
                port.send_raw(b);
            }
        }
        if let Some(last) = s.last() {
            self.at_line_start = *last == b'\n';
        }
    }

    /// Bytes with the pending-line bookkeeping (as `write_str`).
    fn write_bytes(&mut self, s: &[u8]) {
        if self.pending.is_some() && !self.interrupted && !s.is_empty() {
            self.interrupted = true;
            self.raw("\n");
        }
        self.raw_bytes(s);
    }
}

/// Writes to the console without the pending-line bookkeeping.
struct Raw<'a>(&'a mut Console);

impl Write for Raw<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.raw(s);
        Ok(())
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.pending.is_some() && !self.interrupted && !s.is_empty() {
            self.interrupted = true;
            self.raw("\n");
        }
        self.raw(s);
        Ok(())
    }
}

static CONSOLE: Mutex<Console> = Mutex::new(Console {
    port: None,
    pending: None,
    interrupted: false,
    at_line_start: true,
});

/// Initialise the serial port.
pub fn init() {
    interrupts::without_interrupts(|| CONSOLE.lock().port = Some(serial::com1()));
}

/// Print formatted text (used by `kprint!`).
pub fn print(args: fmt::Arguments<'_>) {
    interrupts::without_interrupts(|| {
        let _ = CONSOLE.lock().write_fmt(args);
    });
}

/// Print raw bytes (a program's output: need not be UTF-8).
pub fn write_bytes(bytes: &[u8]) {
    interrupts::without_interrupts(|| CONSOLE.lock().write_bytes(bytes));
}

/// What receives console input (the terminal's line discipline).
pub type InputHandler = fn(&[u8]);

static INPUT_HANDLER: Once<InputHandler> = Once::new();

/// Register the input handler (once; later calls are ignored).
pub fn set_input_handler(h: InputHandler) {
    INPUT_HANDLER.call_once(|| h);
}

/// Bytes the UART holds, taken at most this many per call.
const INPUT_BURST: usize = 64;

/// Drain the UART's received bytes into the input handler. Called from
/// the clock interrupt (interrupts off); never blocks: if the console is
/// busy (it cannot be, on one CPU, since its holders mask interrupts),
/// the bytes wait for the next tick.
pub fn poll_input() {
    let mut buf = [0u8; INPUT_BURST];
    let mut n = 0;
    interrupts::without_interrupts(|| {
        if let Some(mut c) = CONSOLE.try_lock()
            && let Some(port) = c.port.as_mut()
        {
            while n < INPUT_BURST {
                match port.try_receive() {
                    Ok(b) => {
                        buf[n] = b;
                        n += 1;
                    }
                    Err(_) => break,
                }
            }
        }
    });
    if n > 0 {
        inject_input(&buf[..n]);
    }
}

/// Hand `bytes` to the input handler as if they had been typed.
pub fn inject_input(bytes: &[u8]) {
    if let Some(h) = INPUT_HANDLER.get() {
        h(bytes);
    }
}

/// A `fmt::Write` that prints to the console.
pub struct ConsoleWriter;

impl Write for ConsoleWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        print(format_args!("{s}"));
        Ok(())
    }
}

/// Start a ktest result line: print `prefix` and remember it.
pub fn begin_test_line(prefix: TestLine) {
    interrupts::without_interrupts(|| {
        let mut c = CONSOLE.lock();
        if !c.at_line_start {
            c.raw("\n");
        }
        let _ = write!(Raw(&mut c), "{prefix}");
        c.pending = Some(prefix);
        c.interrupted = false;
    });
}

/// Finish the pending ktest line with `result` (reprinting the prefix if
/// other output came in between).
pub fn finish_test_line(result: fmt::Arguments<'_>) {
    interrupts::without_interrupts(|| finish_locked(&mut CONSOLE.lock(), result));
}

fn finish_locked(c: &mut Console, result: fmt::Arguments<'_>) {
    if let Some(prefix) = c.pending.take()
        && c.interrupted
    {
        if !c.at_line_start {
            c.raw("\n");
        }
        let _ = write!(Raw(c), "{prefix}");
    }
    c.interrupted = false;
    let _ = c.write_fmt(result);
    c.raw("\n");
}

/// A console writer that bypasses the lock, for the panic path when the
/// panicking code held the console lock.
struct RawPort(SerialPort);

impl Write for RawPort {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.0.send(b'\r');
            }
            self.0.send(b);
        }
        Ok(())
    }
}

/// Console access for the panic path. Interrupts go off for good; if the
/// panicking code held the console lock, the UART is driven directly.
pub fn with_panic_console<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    interrupts::disable();
    match CONSOLE.try_lock() {
        Some(mut c) => {
            if c.port.is_none() {
                c.port = Some(serial::com1());
            }
            f(&mut *c)
        }
        None => {
            let mut raw = RawPort(serial::com1());
            let _ = raw.write_str("\n");
            f(&mut raw)
        }
    }
}

/// Finish the pending test line (whose prefix is `prefix`) from the panic path.
pub fn panic_finish_test_line(prefix: TestLine, result: fmt::Arguments<'_>) {
    interrupts::disable();
    match CONSOLE.try_lock() {
        Some(mut c) => {
            if c.pending.is_none() {
                c.pending = Some(prefix);
                c.interrupted = true;
            }
            finish_locked(&mut c, result)
        }
        None => {
            let mut raw = RawPort(serial::com1());
            let _ = write!(raw, "\n{prefix}{result}\n");
        }
    }
}

#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => ($crate::dev::console::print(format_args!($($arg)*)));
}

#[macro_export]
macro_rules! kprintln {
    () => ($crate::kprint!("\n"));
    ($($arg:tt)*) => ($crate::dev::console::print(format_args!("{}\n", format_args!($($arg)*))));
}

//! The kernel console on the serial port: `kprint!`/`kprintln!`, interrupt-safe
//! locking, and the bookkeeping of a ktest result line (`test X ... ` waiting
//! for its `ok`): if anything else is printed in between, the line is closed
//! and its prefix printed again before the result, so every result line is
//! whole.

use crate::arch::x86_64::serial;
use core::fmt::{self, Write};
use spin::Mutex;
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
        if let Some(port) = self.port.as_mut() {
            for b in s.bytes() {
                if b == b'\n' {
                    port.send(b'\r');
                }
                port.send(b);
            }
        }
        if let Some(last) = s.as_bytes().last() {
            self.at_line_start = *last == b'\n';
        }
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

//! `/dev/console`: the serial console as a terminal. Output goes to
//! `dev::console`; input arrives through its input handler (the clock
//! tick drains the UART) into the line discipline (`tty.rs`), and readers
//! sleep until it has something for them.
//!
//! - read: canonical mode returns one line (or what fits of it), ^D on an
//!   empty line returns 0; raw mode returns what is queued, waiting as
//!   VMIN/VTIME say (VMIN = VTIME = 0: never wait; VTIME > 0 with VMIN =
//!   0: wait that many tenths of a second for the first byte; VMIN > 0:
//!   wait for min(VMIN, count) bytes). O_NONBLOCK: EAGAIN instead of
//!   waiting. A sleep is interruptible: ERESTARTSYS.
//! - write: never waits (the UART is polled).
//! - ioctl: TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ,
//!   TIOCGPGRP, TIOCSPGRP, FIONREAD, TCFLSH, and TCSBRK, TCXONC,
//!   TIOCSCTTY, TIOCNOTTY as no-ops; ENOTTY for anything else.
//! - poll: readable when a read would not wait; always writable.
//!
//! Signal characters go to `kern::sig::tty_signal` once the terminal lock
//! is dropped; the foreground group they are meant for is `foreground`.

use super::tty::Tty;
use crate::dev::console;
use crate::fs::uio::{IoFlags, Uio};
use crate::fs::vnode::VnodeOps;
use crate::kern::file::poll;
use crate::kern::sched::sleepq::{self, SleepError};
use crate::kern::sched::spinlock::SpinLock;
use crate::uvm::copy;
use core::any::Any;
use ferrite_abi::ioctl::*;
use ferrite_abi::{Errno, Plain, Stat, Termios, Winsize};

/// The console terminal.
static TTY: SpinLock<Tty> = SpinLock::new("console-tty", Tty::new());

/// Bytes moved per lock hold.
const CHUNK: usize = 256;

/// The console terminal's state (tests set its modes).
pub fn tty() -> &'static SpinLock<Tty> {
    &TTY
}

/// The wait channel of console readers.
fn chan() -> usize {
    sleepq::chan(&TTY)
}

/// The console's foreground process group.
pub fn foreground() -> i32 {
    TTY.lock().pgrp
}

/// The input handler (`dev::console::set_input_handler`): typed bytes
/// through the line discipline, echo to the console, readers woken,
/// signal characters signalled. Runs in the clock interrupt.
pub fn input(bytes: &[u8]) {
    let mut sigs = [0i32; 8];
    let mut nsigs = 0;
    let pgrp = {
        let mut t = TTY.lock();
        for &b in bytes {
            if let Some(sig) = t.input(b, &mut |e| console::write_bytes(e))
                && nsigs < sigs.len()
            {
                sigs[nsigs] = sig;
                nsigs += 1;
            }
        }
        t.pgrp
    };
    sleepq::wakeup(chan());
    poll::notify();
    for &sig in &sigs[..nsigs] {
        crate::kern::sig::tty_signal(pgrp as u32, sig);
    }
}

/// Register the input handler (devfs creation does it).
pub fn attach() {
    console::set_input_handler(input);
}

/// The console device node.
pub struct ConsoleDev {
    rdev: u64,
}

impl ConsoleDev {
    pub fn new(rdev: u64) -> ConsoleDev {
        ConsoleDev { rdev }
    }
}

fn read_console(uio: &mut Uio<'_>, flags: IoFlags) -> Result<usize, Errno> {
    let resid = uio.resid();
    loop {
        // Wait until there is something to read (or VTIME passes).
        let (wait, timeout) = {
            let t = TTY.lock();
            (t.must_wait(resid), t.read_timeout_ms())
        };
        let mut timed_out = false;
        if wait {
            if flags.nonblock {
                return Err(Errno::EAGAIN);
            }
            let ticks = timeout.map(sleepq::ms_to_ticks);
            match sleepq::sleep_until(chan(), true, ticks, || !TTY.lock().must_wait(resid)) {
                Ok(()) => {}
                Err(SleepError::TimedOut) => timed_out = true,
                Err(SleepError::Interrupted) => return Err(Errno::ERESTARTSYS),
            }
        }
        // Take the bytes, a chunk at a time (one line at most in
        // canonical mode: `Tty::read` says whether the line goes on).
        let mut total = 0;
        let mut took = false;
        let mut chunk = [0u8; CHUNK];
        while uio.resid() > 0 {
            let want = uio.resid().min(CHUNK);
            let Some((n, more)) = TTY.lock().read(&mut chunk[..want]) else {
                break;
            };
            took = true;
            let moved = uio.move_out(&chunk[..n])?;
            total += moved;
            if moved < n || !more {
                break;
            }
        }
        // Another reader may have taken what woke us: wait again (unless
        // this read was allowed to come back empty).
        if !took && !timed_out && TTY.lock().must_wait(resid) {
            continue;
        }
        return Ok(total);
    }
}

fn write_console(uio: &mut Uio<'_>) -> Result<usize, Errno> {
    let mut chunk = [0u8; CHUNK];
    let mut total = 0;
    while uio.resid() > 0 {
        let n = uio.move_in(&mut chunk)?;
        if n == 0 {
            break;
        }
        console::write_bytes(&chunk[..n]);
        total += n;
    }
    Ok(total)
}

fn copyout_plain<T: Plain>(arg: u64, v: &T) -> Result<usize, Errno> {
    let mut b = [0u8; 64];
    v.put(&mut b);
    copy::copyout(arg, &b[..T::SIZE]).map_err(|_| Errno::EFAULT)?;
    Ok(0)
}

fn copyin_plain<T: Plain>(arg: u64) -> Result<T, Errno> {
    let mut b = [0u8; 64];
    copy::copyin(&mut b[..T::SIZE], arg).map_err(|_| Errno::EFAULT)?;
    Ok(T::get(&b))
}

/// The terminal ioctls (see the module comment).
pub fn tty_ioctl(cmd: u32, arg: u64) -> Result<usize, Errno> {
    match cmd {
        TCGETS => {
            let t = TTY.lock().termios;
            copyout_plain(arg, &t)
        }
        TCSETS | TCSETSW | TCSETSF => {
            let new: Termios = copyin_plain(arg)?;
            let mut t = TTY.lock();
            if cmd == TCSETSF {
                t.flush_input();
            }
            t.set_termios(new);
            drop(t);
            sleepq::wakeup(chan());
            poll::notify();
            Ok(0)
        }
        TIOCGWINSZ => {
            let w = TTY.lock().winsize;
            copyout_plain(arg, &w)
        }
        TIOCSWINSZ => {
            let w: Winsize = copyin_plain(arg)?;
            TTY.lock().winsize = w;
            Ok(0)
        }
        TIOCGPGRP => {
            let pg = TTY.lock().pgrp;
            copyout_plain(arg, &pg)
        }
        TIOCSPGRP => {
            let pg: i32 = copyin_plain(arg)?;
            if pg < 0 {
                return Err(Errno::EINVAL);
            }
            TTY.lock().pgrp = pg;
            Ok(0)
        }
        FIONREAD => {
            let n = TTY.lock().available() as i32;
            copyout_plain(arg, &n)
        }
        TCFLSH => match arg {
            // TCIFLUSH, TCIOFLUSH flush input; TCOFLUSH has nothing to do.
            0 | 2 => {
                TTY.lock().flush_input();
                Ok(0)
            }
            1 => Ok(0),
            _ => Err(Errno::EINVAL),
        },
        TCSBRK | TCXONC | TIOCSCTTY | TIOCNOTTY => Ok(0),
        _ => Err(Errno::ENOTTY),
    }
}

impl VnodeOps for ConsoleDev {
    fn getattr(&self) -> Stat {
        super::chr_stat(0o600, self.rdev)
    }

    fn read(&self, _off: u64, uio: &mut Uio<'_>, flags: IoFlags) -> Result<usize, Errno> {
        read_console(uio, flags)
    }

    fn write(&self, off: u64, uio: &mut Uio<'_>, _flags: IoFlags) -> Result<(usize, u64), Errno> {
        write_console(uio).map(|n| (n, off))
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        tty_ioctl(cmd, arg)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll(&self, events: i16) -> i16 {
        use ferrite_abi::poll::*;
        let mut r = POLLOUT | POLLWRNORM;
        if TTY.lock().readable() {
            r |= POLLIN | POLLRDNORM;
        }
        r & events
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

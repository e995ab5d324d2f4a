//! Pipes (NetBSD's sys_pipe.c, with Linux's semantics): a 64 KiB ring
//! between a read end and a write end, and the pipe(2)/pipe2(2) calls.
//!
//! - Read: takes what is there (at most what was asked); an empty pipe
//!   with writers left sleeps until data or the last writer goes (then 0,
//!   end of file); O_NONBLOCK: EAGAIN instead of sleeping.
//! - Write: a write of at most PIPE_BUF (4096) bytes is atomic: it waits
//!   until all of it fits, so it is never interleaved with another
//!   writer's bytes; a larger write puts in what fits, wakes the readers
//!   and waits for room for the rest. O_NONBLOCK: what fits (an atomic
//!   write all or nothing), EAGAIN if nothing. With no reader left:
//!   SIGPIPE to the writer and EPIPE (or the count already written).
//! - Sleeps are interruptible: ERESTARTSYS if nothing moved yet, else the
//!   count (the signal code turns ERESTARTSYS into EINTR or a restart).
//! - poll: the read end is readable with data (POLLIN) and hung up with
//!   no writer (POLLHUP); the write end is writable with PIPE_BUF bytes of
//!   room (POLLOUT) and in error with no reader (POLLERR).
//!
//! The ring's memory comes a page at a time as the pipe first fills, so
//! an idle pipe costs no buffer pages; it goes with the pipe. One
//! sleepable mutex protects the ring, the end counts and the counts of
//! sleepers (the copies to and from user memory run under it: they may
//! fault and sleep). Readers sleep on one channel, writers on another; a
//! side is woken only if someone sleeps there (a sleeper counts itself
//! and queues itself before it lets the mutex go, so no wakeup is lost);
//! every change of readiness also notifies pollers (`poll::notify`).

use super::file::{File, FileKind, FileRef};
use super::poll;
use crate::fs::uio::Uio;
use crate::kern::sched::mutex::{Mutex, MutexGuard};
use crate::kern::sched::sleepq::{self, SleepError};
use crate::kern::syscall::{SysResult, SyscallCtx};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_abi::poll::*;
use ferrite_abi::{Errno, Stat, Timespec};

/// The ring's size (Linux's default pipe capacity).
pub const PIPE_SIZE: usize = 64 * 1024;
/// Writes up to this size are atomic (POSIX PIPE_BUF).
pub const PIPE_BUF: usize = 4096;
/// The ring is made of pieces this large, allocated on first use.
const CHUNK: usize = 4096;
const NCHUNKS: usize = PIPE_SIZE / CHUNK;

/// Pipe inode numbers (fstat's st_ino tells pipes apart).
static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// The ring and the end counts.
struct State {
    chunks: [Vec<u8>; NCHUNKS],
    /// Where the oldest byte is, and how many bytes there are.
    head: usize,
    len: usize,
    readers: u32,
    writers: u32,
    /// Threads sleeping for data, and for room.
    rsleep: u32,
    wsleep: u32,
}

impl State {
    fn room(&self) -> usize {
        PIPE_SIZE - self.len
    }

    /// The chunk holding ring position `pos` (allocated if needed).
    fn chunk_at(&mut self, pos: usize) -> Result<&mut Vec<u8>, Errno> {
        let c = &mut self.chunks[pos / CHUNK];
        if c.is_empty() {
            c.try_reserve_exact(CHUNK).map_err(|_| Errno::ENOMEM)?;
            c.resize(CHUNK, 0);
        }
        Ok(c)
    }

    /// Copy up to `max` bytes from `uio` into the ring; returns the bytes
    /// copied.
    fn fill(&mut self, uio: &mut Uio<'_>, max: usize) -> Result<usize, Errno> {
        let mut total = 0;
        while total < max && uio.resid() > 0 {
            let pos = (self.head + self.len) % PIPE_SIZE;
            let in_chunk = pos % CHUNK;
            let n = (CHUNK - in_chunk).min(max - total);
            let c = self.chunk_at(pos)?;
            let moved = uio.move_in(&mut c[in_chunk..in_chunk + n])?;
            self.len += moved;
            total += moved;
            if moved < n {
                break;
            }
        }
        Ok(total)
    }

    /// Copy up to `max` bytes from the ring into `uio`, consuming them.
    fn drain(&mut self, uio: &mut Uio<'_>, max: usize) -> Result<usize, Errno> {
        let mut total = 0;
        while total < max && self.len > 0 && uio.resid() > 0 {
            let in_chunk = self.head % CHUNK;
            let n = (CHUNK - in_chunk).min(self.len).min(max - total);
            let c = &self.chunks[self.head / CHUNK];
            let moved = uio.move_out(&c[in_chunk..in_chunk + n])?;
            self.head = (self.head + moved) % PIPE_SIZE;
            self.len -= moved;
            total += moved;
            if moved < n {
                break;
            }
        }
        if self.len == 0 {
            self.head = 0;
        }
        Ok(total)
    }
}

/// A pipe.
pub struct Pipe {
    state: Mutex<State>,
    ino: u64,
    ctime: Timespec,
}

impl core::fmt::Debug for Pipe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "pipe:[{}]", self.ino)
    }
}

impl Pipe {
    fn read_chan(&self) -> usize {
        sleepq::chan(self)
    }

    fn write_chan(&self) -> usize {
        sleepq::chan(self) + 1
    }

    /// Sleep for data (a reader) or room (a writer), releasing `g` once
    /// the sleep is queued; returns the mutex taken again.
    fn wait<'a>(
        &'a self,
        mut g: MutexGuard<'a, State>,
        writer: bool,
    ) -> Result<MutexGuard<'a, State>, Errno> {
        let chan = if writer {
            g.wsleep += 1;
            self.write_chan()
        } else {
            g.rsleep += 1;
            self.read_chan()
        };
        let t = sleepq::prepare(chan, true, None);
        drop(g);
        let r = t.block();
        let mut g = self.state.lock();
        if writer {
            g.wsleep -= 1;
        } else {
            g.rsleep -= 1;
        }
        match r {
            Ok(()) | Err(SleepError::TimedOut) => Ok(g),
            Err(SleepError::Interrupted) => Err(Errno::ERESTARTSYS),
        }
    }

    /// Wake the readers (or writers) if any sleep, after `g` is released;
    /// tell the pollers.
    fn changed(&self, g: MutexGuard<'_, State>, writers: bool) {
        let sleeping = if writers { g.wsleep } else { g.rsleep };
        drop(g);
        if sleeping > 0 {
            sleepq::wakeup(if writers {
                self.write_chan()
            } else {
                self.read_chan()
            });
        }
        poll::notify();
    }
}

/// One end of a pipe (the read end or the write end). Dropping it closes
/// that end.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl core::fmt::Debug for PipeEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let end = if self.write { "write" } else { "read" };
        write!(f, "{:?} ({end} end)", self.pipe)
    }
}

/// A new pipe: (read end, write end).
pub fn pipe() -> (PipeEnd, PipeEnd) {
    let p = Arc::new(Pipe {
        state: Mutex::new(
            "pipe",
            State {
                chunks: [const { Vec::new() }; NCHUNKS],
                head: 0,
                len: 0,
                readers: 1,
                writers: 1,
                rsleep: 0,
                wsleep: 0,
            },
        ),
        ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        ctime: crate::fs::clock::now(),
    });
    (
        PipeEnd {
            pipe: p.clone(),
            write: false,
        },
        PipeEnd {
            pipe: p,
            write: true,
        },
    )
}

impl PipeEnd {
    /// Bytes waiting in the pipe (FIONREAD).
    pub fn available(&self) -> usize {
        self.pipe.state.lock().len
    }

    /// read(2) on the read end.
    pub fn read(&self, uio: &mut Uio<'_>, nonblock: bool) -> Result<usize, Errno> {
        if self.write {
            return Err(Errno::EBADF);
        }
        if uio.resid() == 0 {
            return Ok(0);
        }
        let p = &*self.pipe;
        let mut g = p.state.lock();
        loop {
            if g.len > 0 {
                let n = g.drain(uio, usize::MAX)?;
                p.changed(g, true);
                return Ok(n);
            }
            if g.writers == 0 {
                return Ok(0);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            g = p.wait(g, false)?;
        }
    }

    /// write(2) on the write end.
    pub fn write(&self, uio: &mut Uio<'_>, nonblock: bool) -> Result<usize, Errno> {
        if !self.write {
            return Err(Errno::EBADF);
        }
        let total = uio.resid();
        if total == 0 {
            return Ok(0);
        }
        let atomic = total <= PIPE_BUF;
        let p = &*self.pipe;
        let mut written = 0;
        let mut g = p.state.lock();
        loop {
            if g.readers == 0 {
                drop(g);
                crate::kern::sig::send_to_curproc(ferrite_abi::signal::SIGPIPE);
                return if written > 0 {
                    Ok(written)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            let room = g.room();
            if room > 0 && (!atomic || room >= uio.resid()) {
                let r = g.fill(uio, room);
                let n = *r.as_ref().unwrap_or(&0);
                written += n;
                if r.is_err() || uio.resid() == 0 || uio.faulted() || n == 0 {
                    p.changed(g, false);
                    return match r {
                        Err(e) if written == 0 => Err(e),
                        _ => Ok(written),
                    };
                }
                // More to write and the ring is full: wake the readers
                // (under the mutex: they wait for it), then wait for room.
                if g.rsleep > 0 {
                    sleepq::wakeup(p.read_chan());
                }
                poll::notify();
                continue;
            }
            if nonblock {
                return if written > 0 {
                    Ok(written)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            g = match p.wait(g, true) {
                Ok(g) => g,
                Err(e) if written == 0 => return Err(e),
                Err(_) => return Ok(written),
            };
        }
    }

    /// Readiness for `events`.
    pub fn poll(&self, events: i16) -> i16 {
        let g = self.pipe.state.lock();
        let mut r = 0;
        if self.write {
            if g.room() >= PIPE_BUF {
                r |= POLLOUT | POLLWRNORM;
            }
            if g.readers == 0 {
                r |= POLLERR;
            }
        } else {
            if g.len > 0 {
                r |= POLLIN | POLLRDNORM;
            }
            if g.writers == 0 {
                r |= POLLHUP;
            }
        }
        r & events
    }

    /// fstat(2): a FIFO.
    pub fn stat(&self) -> Stat {
        let t = self.pipe.ctime;
        Stat {
            st_dev: PIPEFS_DEV,
            st_ino: self.pipe.ino,
            st_nlink: 1,
            st_mode: ferrite_abi::mode::S_IFIFO | 0o600,
            st_blksize: PIPE_BUF as i64,
            st_atime: t.tv_sec,
            st_atime_nsec: t.tv_nsec,
            st_mtime: t.tv_sec,
            st_mtime_nsec: t.tv_nsec,
            st_ctime: t.tv_sec,
            st_ctime_nsec: t.tv_nsec,
            ..Stat::default()
        }
    }

    /// ioctl(2): FIONREAD; ENOTTY for the rest.
    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        match cmd {
            ferrite_abi::ioctl::FIONREAD => {
                let n = self.available() as i32;
                crate::uvm::copy::copyout(arg, &n.to_le_bytes()).map_err(|_| Errno::EFAULT)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let p = &*self.pipe;
        let mut g = p.state.lock();
        if self.write {
            g.writers -= 1;
        } else {
            g.readers -= 1;
        }
        // The other side learns about it (EOF, EPIPE, POLLHUP/POLLERR).
        let write_end = self.write;
        p.changed(g, !write_end);
    }
}

/// The device number pipes report (Linux's pipefs is an anonymous one).
const PIPEFS_DEV: u64 = crate::fs::mount::makedev(0, 12);

/// Make a pipe and its two descriptions (pipe2's flags: O_NONBLOCK on
/// both).
pub fn pipe_files(nonblock: bool) -> (FileRef, FileRef) {
    use ferrite_abi::fcntl::{O_NONBLOCK, O_RDONLY, O_WRONLY};
    let nb = if nonblock { O_NONBLOCK } else { 0 };
    let (r, w) = pipe();
    (
        File::new(FileKind::Pipe(r), O_RDONLY | nb),
        File::new(FileKind::Pipe(w), O_WRONLY | nb),
    )
}

/// The pipe system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(nr::SYS_pipe, "pipe", sys_pipe, [Arg::Hex]),
        crate::sys!(
            nr::SYS_pipe2,
            "pipe2",
            sys_pipe2,
            [Arg::Hex, Arg::OpenFlags]
        ),
    ]
};

/// pipe2(fds, flags): O_CLOEXEC and O_NONBLOCK; anything else is EINVAL.
fn do_pipe2(fds_addr: u64, flags: i32) -> SysResult {
    use ferrite_abi::fcntl::{O_CLOEXEC, O_NONBLOCK};
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let (r, w) = pipe_files(flags & O_NONBLOCK != 0);
    let cloexec = flags & O_CLOEXEC != 0;
    let p = crate::kern::proc::curproc();
    let limit = super::sys_descrip::nofile_limit(p);
    let mut t = p.files.lock();
    let rfd = t.alloc(r, cloexec, 0, limit)?;
    let wfd = match t.alloc(w, cloexec, 0, limit) {
        Ok(fd) => fd,
        Err(e) => {
            let f = t.close(rfd);
            drop(t);
            drop(f);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&rfd.to_le_bytes());
    out[4..].copy_from_slice(&wfd.to_le_bytes());
    if crate::uvm::copy::copyout(fds_addr, &out).is_err() {
        let a = t.close(rfd);
        let b = t.close(wfd);
        drop(t);
        drop((a, b));
        return Err(Errno::EFAULT);
    }
    Ok(0)
}

pub fn sys_pipe(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_pipe2(ctx.arg(0), 0)
}

pub fn sys_pipe2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_pipe2(ctx.arg(0), ctx.arg(1) as i32)
}

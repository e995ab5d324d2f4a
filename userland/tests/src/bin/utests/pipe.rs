//! `user::pipe`: pipes between processes. Blocking and end of file,
//! EPIPE with and without SIGPIPE, non-blocking EAGAIN, bulk transfer,
//! poll readiness of both ends, PIPE_BUF atomicity, and the errors of
//! using a pipe wrongly.

use std::time::Duration;

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::clock::{mono, sleep_ms, timespec};
use utests::fd::{close, pipe, pipe2, read_exact, read_some, read_to_end, write_all};
use utests::sig;

const CHECKS: &[ftest::Check] = checks![
    raw_pipe_system_call_gives_two_ends,
    blocking_read_waits_for_a_writer,
    read_returns_what_is_available,
    read_of_0_bytes_returns_0,
    eof_once_all_writers_close,
    eof_when_the_writing_child_exits,
    write_without_readers_kills_by_sigpipe_by_default,
    write_without_readers_is_epipe_with_sigpipe_ignored,
    nonblocking_read_is_eagain,
    nonblocking_write_is_eagain_when_full,
    one_mib_between_two_processes_keeps_its_checksum,
    poll_reports_read_and_write_readiness,
    poll_reports_hup_once_writers_close,
    poll_reports_err_once_readers_close,
    poll_full_pipe_is_not_writable,
    poll_timeout_waits_and_returns_0,
    poll_wakes_when_data_arrives,
    pipe_buf_writes_are_atomic_with_two_writers.timeout(60),
    pipe2_flags_set_cloexec_and_nonblock,
    wrong_end_is_ebadf,
    lseek_and_pread_on_a_pipe_are_espipe,
];

pub fn main() {
    ftest::main("pipe", CHECKS)
}

/// PIPE_BUF on Linux (and POSIX's minimum is 512).
const PIPE_BUF: usize = 4096;

/// poll(2) on one descriptor: (return value, revents).
fn poll1(fd: i32, events: i16, timeout_ms: i32) -> (i32, i16) {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::syscall(libc::SYS_poll, &mut p, 1, timeout_ms) } as i32;
    (r, p.revents)
}

fn set_nonblock(fd: i32) -> CheckResult {
    // SAFETY: F_GETFL takes no argument and only reads the flags.
    let fl = sys(unsafe { libc::fcntl(fd, libc::F_GETFL) }, "F_GETFL")?;
    // SAFETY: F_SETFL takes an integer argument, no pointer.
    sys(
        unsafe { libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) },
        "F_SETFL",
    )?;
    Ok(())
}

/// Fills a non-blocking write end; returns how much it took.
fn fill(wr: i32) -> Result<usize, String> {
    let chunk = vec![0xabu8; 1 << 20];
    // SAFETY: chunk is valid for its length.
    let n = unsafe { libc::write(wr, chunk.as_ptr().cast(), chunk.len()) };
    Ok(sys(n, "non-blocking write of 1 MiB")? as usize)
}

fn raw_pipe_system_call_gives_two_ends() -> CheckResult {
    let mut fds = [-1i32; 2];
    // SAFETY: fds is a valid two-element array.
    sys(
        unsafe { libc::syscall(libc::SYS_pipe, fds.as_mut_ptr()) },
        "pipe",
    )?;
    check!(
        fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1],
        "pipe gave {fds:?}"
    );
    write_all(fds[1], b"abc")?;
    let mut buf = [0u8; 3];
    read_exact(fds[0], &mut buf)?;
    ensure_eq!(&buf, b"abc");
    Ok(())
}

fn blocking_read_waits_for_a_writer() -> CheckResult {
    let (rd, wr) = pipe()?;
    let start = mono()?;
    let pid = spawn(move || {
        sleep_ms(60);
        i32::from(write_all(wr, b"hello").is_err())
    })?;
    close(wr);
    let mut buf = [0u8; 16];
    let n = read_some(rd, &mut buf)?;
    let waited = mono()? - start;
    ensure_eq!(&buf[..n], b"hello");
    check!(
        waited >= Duration::from_millis(50),
        "read returned after {waited:?}, before the write"
    );
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

fn read_returns_what_is_available() -> CheckResult {
    let (rd, wr) = pipe()?;
    write_all(wr, b"0123456789")?;
    let mut buf = [0u8; 100];
    ensure_eq!(
        read_some(rd, &mut buf)?,
        10,
        "read(100) with 10 bytes in the pipe"
    );
    write_all(wr, b"abcdef")?;
    ensure_eq!(read_some(rd, &mut buf[..4])?, 4);
    ensure_eq!(
        read_some(rd, &mut buf)?,
        2,
        "the rest of a partly read write"
    );
    ensure_eq!(&buf[..2], b"ef");
    Ok(())
}

fn read_of_0_bytes_returns_0() -> CheckResult {
    let (rd, wr) = pipe()?;
    let mut buf = [0u8; 1];
    // Returns at once although the pipe is empty and has a writer.
    ensure_eq!(read_some(rd, &mut buf[..0])?, 0);
    close(wr);
    Ok(())
}

fn eof_once_all_writers_close() -> CheckResult {
    let (rd, wr) = pipe()?;
    // SAFETY: dup of our descriptor.
    let wr2 = sys(unsafe { libc::dup(wr) }, "dup")?;
    write_all(wr, b"ab")?;
    close(wr);
    let mut buf = [0u8; 8];
    ensure_eq!(read_some(rd, &mut buf)?, 2);
    ensure_eq!(
        poll1(rd, libc::POLLIN, 0),
        (0, 0),
        "poll: a writer (the dup) is still open"
    );
    close(wr2);
    ensure_eq!(
        read_some(rd, &mut buf)?,
        0,
        "read after the last writer closed"
    );
    ensure_eq!(read_some(rd, &mut buf)?, 0, "end of file stays");
    Ok(())
}

fn eof_when_the_writing_child_exits() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || i32::from(write_all(wr, b"bye").is_err()))?;
    close(wr);
    ensure_eq!(read_to_end(rd)?, b"bye");
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

fn write_without_readers_kills_by_sigpipe_by_default() -> CheckResult {
    let (rd, wr) = pipe()?;
    close(rd);
    let pid = spawn(move || {
        sig::set_default(libc::SIGPIPE);
        let _ = write_all(wr, b"x");
        100
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGPIPE));
    Ok(())
}

fn write_without_readers_is_epipe_with_sigpipe_ignored() -> CheckResult {
    let (rd, wr) = pipe()?;
    close(rd);
    sig::ignore(libc::SIGPIPE);
    // SAFETY: writing one byte from a valid buffer.
    let r = unsafe { libc::write(wr, b"x".as_ptr().cast(), 1) };
    expect_errno(r, libc::EPIPE, "write with no reader")
}

fn nonblocking_read_is_eagain() -> CheckResult {
    let (rd, wr) = pipe2(libc::O_NONBLOCK)?;
    let mut buf = [0u8; 4];
    // SAFETY: buf is valid.
    let r = unsafe { libc::read(rd, buf.as_mut_ptr().cast(), 4) };
    expect_errno(r, libc::EAGAIN, "read of an empty O_NONBLOCK pipe")?;
    close(wr);
    ensure_eq!(
        read_some(rd, &mut buf)?,
        0,
        "non-blocking read without writers is end of file"
    );
    // Set later with fcntl.
    let (rd, _wr) = pipe()?;
    set_nonblock(rd)?;
    // SAFETY: buf is valid for writes of at least 4 bytes.
    let r = unsafe { libc::read(rd, buf.as_mut_ptr().cast(), 4) };
    expect_errno(r, libc::EAGAIN, "read after F_SETFL O_NONBLOCK")
}

fn nonblocking_write_is_eagain_when_full() -> CheckResult {
    let (rd, wr) = pipe()?;
    set_nonblock(wr)?;
    let took = fill(wr)?;
    check!(
        (PIPE_BUF..1 << 20).contains(&took),
        "a full pipe took {took} bytes"
    );
    let one = [1u8; PIPE_BUF];
    // SAFETY: valid buffers.
    let r = unsafe { libc::write(wr, one.as_ptr().cast(), 1) };
    expect_errno(r, libc::EAGAIN, "write of 1 byte to a full pipe")?;
    // SAFETY: one is valid for reads of PIPE_BUF bytes.
    let r = unsafe { libc::write(wr, one.as_ptr().cast(), PIPE_BUF) };
    expect_errno(r, libc::EAGAIN, "write of PIPE_BUF bytes to a full pipe")?;
    let mut back = vec![0u8; took];
    read_exact(rd, &mut back)?;
    check!(back.iter().all(|&b| b == 0xab), "data read back differs");
    ensure_eq!(
        poll1(rd, libc::POLLIN, 0),
        (0, 0),
        "pipe should be empty now"
    );
    Ok(())
}

/// A reproducible byte stream (xorshift64*).
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
    }
}

/// FNV-1a, 64 bits.
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn one_mib_between_two_processes_keeps_its_checksum() -> CheckResult {
    const TOTAL: usize = 1 << 20;
    let mut expect = Stream(0x1234_5678_9abc_def1);
    let expected: Vec<u8> = (0..TOTAL).map(|_| expect.next()).collect();
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(rd);
        let mut s = Stream(0x1234_5678_9abc_def1);
        let mut sent = 0;
        let mut size = 1;
        while sent < TOTAL {
            // Odd sizes, 1 byte to ~12 KiB, so writes straddle pages.
            let n = size.min(TOTAL - sent);
            let chunk: Vec<u8> = (0..n).map(|_| s.next()).collect();
            if write_all(wr, &chunk).is_err() {
                return 1;
            }
            sent += n;
            size = (size * 7 + 3) % 12289 + 1;
        }
        0
    })?;
    close(wr);
    let mut got = 0usize;
    let mut hash = FNV_START;
    let mut buf = vec![0u8; 9000];
    let mut size = 5;
    loop {
        let n = read_some(rd, &mut buf[..size])?;
        if n == 0 {
            break;
        }
        hash = fnv(hash, &buf[..n]);
        got += n;
        size = (size * 5 + 1) % 8999 + 1;
    }
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0), "the writer");
    ensure_eq!(got, TOTAL, "bytes received");
    ensure_eq!(
        hash,
        fnv(FNV_START, &expected),
        "checksum of what was received"
    );
    Ok(())
}

fn poll_reports_read_and_write_readiness() -> CheckResult {
    let (rd, wr) = pipe()?;
    ensure_eq!(poll1(rd, libc::POLLIN, 0), (0, 0), "empty pipe, read end");
    ensure_eq!(
        poll1(wr, libc::POLLOUT, 0),
        (1, libc::POLLOUT),
        "empty pipe, write end"
    );
    write_all(wr, b"x")?;
    ensure_eq!(
        poll1(rd, libc::POLLIN, 0),
        (1, libc::POLLIN),
        "one byte in, read end"
    );
    ensure_eq!(
        poll1(wr, libc::POLLOUT, 0),
        (1, libc::POLLOUT),
        "one byte in, write end"
    );
    // Both in one call.
    let mut fds = [
        libc::pollfd {
            fd: rd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wr,
            events: libc::POLLOUT,
            revents: 0,
        },
        libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: a valid array of three pollfds.
    let r = unsafe { libc::syscall(libc::SYS_poll, fds.as_mut_ptr(), 3, 0) };
    ensure_eq!(r, 2, "poll of both ends and an ignored -1");
    ensure_eq!(
        (fds[0].revents, fds[1].revents, fds[2].revents),
        (libc::POLLIN, libc::POLLOUT, 0)
    );
    // A closed descriptor is POLLNVAL.
    close(wr);
    close(rd);
    ensure_eq!(
        poll1(rd, libc::POLLIN, 0),
        (1, libc::POLLNVAL),
        "closed descriptor"
    );
    Ok(())
}

fn poll_reports_hup_once_writers_close() -> CheckResult {
    let (rd, wr) = pipe()?;
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(
        poll1(rd, libc::POLLIN, 0),
        (1, libc::POLLIN | libc::POLLHUP),
        "data, no writers"
    );
    let mut b = [0u8; 1];
    read_some(rd, &mut b)?;
    ensure_eq!(
        poll1(rd, libc::POLLIN, 0),
        (1, libc::POLLHUP),
        "empty, no writers"
    );
    // POLLHUP is reported even when not asked for.
    ensure_eq!(poll1(rd, 0, 0), (1, libc::POLLHUP), "events 0");
    Ok(())
}

fn poll_reports_err_once_readers_close() -> CheckResult {
    let (rd, wr) = pipe()?;
    close(rd);
    ensure_eq!(
        poll1(wr, libc::POLLOUT, 0),
        (1, libc::POLLOUT | libc::POLLERR)
    );
    ensure_eq!(
        poll1(wr, 0, 0),
        (1, libc::POLLERR),
        "POLLERR even when not asked for"
    );
    Ok(())
}

fn poll_full_pipe_is_not_writable() -> CheckResult {
    let (rd, wr) = pipe()?;
    set_nonblock(wr)?;
    fill(wr)?;
    ensure_eq!(poll1(wr, libc::POLLOUT, 0), (0, 0), "full pipe, write end");
    let mut buf = vec![0u8; 1 << 20];
    read_some(rd, &mut buf)?;
    // Linux wakes writers only once a whole page-sized slot is free; after
    // draining everything the pipe is writable for sure.
    while poll1(rd, libc::POLLIN, 0).0 == 1 {
        read_some(rd, &mut buf)?;
    }
    ensure_eq!(
        poll1(wr, libc::POLLOUT, 0),
        (1, libc::POLLOUT),
        "drained pipe, write end"
    );
    Ok(())
}

fn poll_timeout_waits_and_returns_0() -> CheckResult {
    let (rd, _wr) = pipe()?;
    let start = mono()?;
    ensure_eq!(
        poll1(rd, libc::POLLIN, 50),
        (0, 0),
        "poll(50 ms) on an empty pipe"
    );
    let waited = mono()? - start;
    check!(
        waited >= Duration::from_millis(50),
        "poll(50 ms) returned after {waited:?}"
    );
    // ppoll with a timespec.
    let mut p = libc::pollfd {
        fd: rd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ts = timespec(Duration::from_millis(30));
    let start = mono()?;
    // SAFETY: valid pollfd and timespec; no signal mask.
    let r = unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            &mut p,
            1,
            &ts,
            std::ptr::null::<libc::sigset_t>(),
            8usize,
        )
    };
    let waited = mono()? - start;
    ensure_eq!(r, 0, "ppoll(30 ms) on an empty pipe");
    check!(
        waited >= Duration::from_millis(30),
        "ppoll(30 ms) returned after {waited:?}"
    );
    Ok(())
}

fn poll_wakes_when_data_arrives() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        sleep_ms(40);
        i32::from(write_all(wr, b"!").is_err())
    })?;
    // Our write end stays open, so the child's exit adds no POLLHUP.
    let start = mono()?;
    ensure_eq!(
        poll1(rd, libc::POLLIN, -1),
        (1, libc::POLLIN),
        "poll(infinite)"
    );
    let waited = mono()? - start;
    check!(
        waited >= Duration::from_millis(30),
        "poll returned after {waited:?}, before the write"
    );
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

fn pipe_buf_writes_are_atomic_with_two_writers() -> CheckResult {
    const BLOCKS: usize = 64;
    let (rd, wr) = pipe()?;
    let mut writers = Vec::new();
    for id in [b'A', b'B'] {
        writers.push(spawn(move || {
            close(rd);
            let block = [id; PIPE_BUF];
            for _ in 0..BLOCKS {
                // One write(2) per block: each must land whole.
                // SAFETY: block is valid for PIPE_BUF bytes.
                let n = unsafe { libc::write(wr, block.as_ptr().cast(), PIPE_BUF) };
                if n != PIPE_BUF as isize {
                    return 1;
                }
            }
            0
        })?);
    }
    close(wr);
    let all = read_to_end(rd)?;
    for pid in writers {
        ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0), "writer {pid}");
    }
    ensure_eq!(all.len(), 2 * BLOCKS * PIPE_BUF);
    let mut counts = [0usize; 2];
    for (i, block) in all.chunks(PIPE_BUF).enumerate() {
        let first = block[0];
        check!(
            block.iter().all(|&b| b == first),
            "block {i} mixes the two writers' bytes"
        );
        counts[usize::from(first == b'B')] += 1;
    }
    ensure_eq!(counts, [BLOCKS, BLOCKS]);
    Ok(())
}

fn pipe2_flags_set_cloexec_and_nonblock() -> CheckResult {
    let (rd, wr) = pipe2(libc::O_CLOEXEC | libc::O_NONBLOCK)?;
    for (fd, mode) in [(rd, libc::O_RDONLY), (wr, libc::O_WRONLY)] {
        // SAFETY: fcntl queries on our descriptors.
        let (fdfl, fl) = unsafe {
            (
                libc::fcntl(fd, libc::F_GETFD),
                libc::fcntl(fd, libc::F_GETFL),
            )
        };
        ensure_eq!(fdfl, libc::FD_CLOEXEC, "F_GETFD of pipe end {fd}");
        ensure_eq!(fl & libc::O_ACCMODE, mode, "access mode of pipe end {fd}");
        check!(
            fl & libc::O_NONBLOCK != 0,
            "O_NONBLOCK missing on pipe end {fd}: {fl:#x}"
        );
    }
    let (rd, wr) = pipe()?;
    // SAFETY: fcntl queries on our descriptors.
    let (a, b) = unsafe {
        (
            libc::fcntl(rd, libc::F_GETFD),
            libc::fcntl(wr, libc::F_GETFL),
        )
    };
    ensure_eq!(
        (a, b & libc::O_NONBLOCK),
        (0, 0),
        "plain pipe has neither flag"
    );
    let mut fds = [0i32; 2];
    // SAFETY: fds is valid; the flags are invalid on purpose.
    let r = unsafe { libc::syscall(libc::SYS_pipe2, fds.as_mut_ptr(), libc::O_RDWR) };
    expect_errno(r, libc::EINVAL, "pipe2(O_RDWR)")
}

fn wrong_end_is_ebadf() -> CheckResult {
    let (rd, wr) = pipe()?;
    let mut b = [0u8; 1];
    // SAFETY: b is valid for a 1-byte read; rd is the wrong end on purpose.
    let r = unsafe { libc::write(rd, b.as_ptr().cast(), 1) };
    expect_errno(r, libc::EBADF, "write to the read end")?;
    // SAFETY: b is valid for a 1-byte write; wr is the wrong end on purpose.
    let r = unsafe { libc::read(wr, b.as_mut_ptr().cast(), 1) };
    expect_errno(r, libc::EBADF, "read from the write end")
}

fn lseek_and_pread_on_a_pipe_are_espipe() -> CheckResult {
    let (rd, wr) = pipe()?;
    write_all(wr, b"abc")?;
    // SAFETY: lseek takes no pointer.
    let r = unsafe { libc::lseek(rd, 0, libc::SEEK_SET) };
    expect_errno(r, libc::ESPIPE, "lseek on a pipe")?;
    let mut b = [0u8; 2];
    // SAFETY: b is valid for writes of 2 bytes.
    let r = unsafe { libc::pread(rd, b.as_mut_ptr().cast(), 2, 0) };
    expect_errno(r, libc::ESPIPE, "pread on a pipe")?;
    // SAFETY: b is valid for reads of 2 bytes.
    let r = unsafe { libc::pwrite(wr, b.as_ptr().cast(), 2, 0) };
    expect_errno(r, libc::ESPIPE, "pwrite on a pipe")
}

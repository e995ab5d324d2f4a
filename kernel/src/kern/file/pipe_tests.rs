//! ktests of pipes and poll: the ring wrapping around, end of file,
//! EPIPE, O_NONBLOCK, PIPE_BUF atomicity (also with two writers racing),
//! sleeping readers and writers woken by the other side, an interrupted
//! read, and poll's readiness, timeout and wakeup.

use super::descrip::FdTable;
use super::file::FileRef;
use super::pipe::{PIPE_BUF, PIPE_SIZE, pipe_files};
use super::poll;
use crate::arch::x86_64::apic;
use crate::fs::uio::Uio;
use crate::kern::sched::lwp;
use crate::kern::sched::mutex::Mutex;
use crate::kern::sched::sched::Stat;
use crate::kern::sched::spinlock::SpinLock;
use crate::kern::sched::yield_now;
use crate::ktest::ktest;
use alloc::vec;
use alloc::vec::Vec;
use ferrite_abi::poll::*;
use ferrite_abi::{Errno, Pollfd};

fn write(f: &FileRef, data: &[u8]) -> Result<usize, Errno> {
    f.write(&mut Uio::kernel_write(data))
}

fn read(f: &FileRef, n: usize) -> Result<Vec<u8>, Errno> {
    let mut b = vec![0u8; n];
    let got = f.read(&mut Uio::kernel_read(&mut b))?;
    b.truncate(got);
    Ok(b)
}

/// Byte `i` of the test stream.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

fn stream(from: usize, len: usize) -> Vec<u8> {
    (from..from + len).map(pattern).collect()
}

/// Wait until thread `t` sleeps.
fn until_sleeping(t: &lwp::LwpRef) {
    while lwp::stat_of(t) != Stat::Sleeping {
        yield_now();
    }
}

#[ktest]
fn the_pipe_ring_wraps_around_in_order() -> Result<(), Errno> {
    let (r, w) = pipe_files(true);
    assert_eq!(write(&w, &stream(0, 40_000))?, 40_000);
    assert_eq!(read(&r, 30_000)?, stream(0, 30_000));
    // 10 000 left; 50 000 more wrap past the end of the ring.
    assert_eq!(write(&w, &stream(40_000, 50_000))?, 50_000);
    let mut got = Vec::new();
    while got.len() < 60_000 {
        let chunk = read(&r, 7_000)?;
        assert!(!chunk.is_empty());
        got.extend(chunk);
    }
    assert_eq!(got, stream(30_000, 60_000));
    // Empty again: exactly PIPE_SIZE fits, not a byte more.
    assert_eq!(
        write(&w, &stream(0, PIPE_SIZE + 100))?,
        PIPE_SIZE,
        "a short non-blocking write"
    );
    assert_eq!(write(&w, b"x").unwrap_err(), Errno::EAGAIN);
    assert_eq!(read(&r, PIPE_SIZE)?, stream(0, PIPE_SIZE));
    assert_eq!(
        read(&r, 1).unwrap_err(),
        Errno::EAGAIN,
        "empty, writer still there"
    );
    Ok(())
}

#[ktest]
fn end_of_file_once_every_writer_is_gone() -> Result<(), Errno> {
    let (r, w) = pipe_files(false);
    let w2 = w.clone(); // a dup
    write(&w, b"last words")?;
    drop(w);
    drop(w2);
    assert_eq!(read(&r, 64)?, b"last words", "data first");
    assert_eq!(read(&r, 64)?, b"", "then end of file, without sleeping");
    assert_eq!(read(&r, 0)?, b"");
    assert_eq!(
        write(&r, b"x").unwrap_err(),
        Errno::EBADF,
        "the read end does not write"
    );
    Ok(())
}

#[ktest]
fn epipe_once_every_reader_is_gone() -> Result<(), Errno> {
    let (r, w) = pipe_files(false);
    write(&w, b"unread")?;
    drop(r);
    assert_eq!(write(&w, b"more").unwrap_err(), Errno::EPIPE);
    assert_eq!(write(&w, b"").unwrap(), 0, "an empty write succeeds anyway");
    assert_eq!(w.poll(POLLOUT), POLLOUT | POLLERR);
    assert_eq!(read(&w, 1).unwrap_err(), Errno::EBADF);
    Ok(())
}

#[ktest]
fn writes_of_pipe_buf_bytes_are_all_or_nothing() -> Result<(), Errno> {
    let (r, w) = pipe_files(true);
    // Leave 3000 bytes of room.
    write(&w, &vec![1u8; PIPE_SIZE - 3000])?;
    assert_eq!(
        write(&w, &vec![2u8; PIPE_BUF]).unwrap_err(),
        Errno::EAGAIN,
        "4096 do not fit"
    );
    assert_eq!(write(&w, &vec![2u8; 3000])?, 3000, "3000 do");
    read(&r, 5000)?;
    // Larger than PIPE_BUF: what fits goes in.
    assert_eq!(write(&w, &vec![3u8; 6000])?, 5000);
    assert_eq!(
        w.poll(POLLOUT),
        0,
        "not writable with less than PIPE_BUF of room"
    );
    read(&r, PIPE_BUF)?;
    assert_eq!(w.poll(POLLOUT), POLLOUT);
    Ok(())
}

static SHARED: SpinLock<Option<FileRef>> = SpinLock::new("test-pipe", None);
static RESULT: SpinLock<Option<Result<usize, Errno>>> = SpinLock::new("test-pipe-result", None);
static GOT: SpinLock<[u8; 16]> = SpinLock::new("test-pipe-got", [0; 16]);

fn share(f: &FileRef) {
    *SHARED.lock() = Some(f.clone());
}

fn shared() -> FileRef {
    SHARED.lock().clone().expect("a shared file")
}

fn clear_shared() {
    let f = SHARED.lock().take();
    drop(f);
    *RESULT.lock() = None;
}

#[ktest(timeout_ms = 5000)]
fn a_sleeping_reader_is_woken_by_a_writer() -> Result<(), Errno> {
    fn reader(_: usize) {
        let r = shared();
        let mut b = [0u8; 16];
        let n = r.read(&mut Uio::kernel_read(&mut b));
        *GOT.lock() = b;
        *RESULT.lock() = Some(n);
    }
    let (r, w) = pipe_files(false);
    share(&r);
    let t = lwp::kthread_create("pipe-reader", reader, 0).map_err(|_| Errno::ENOMEM)?;
    until_sleeping(&t);
    assert!(RESULT.lock().is_none(), "the reader waits for data");
    write(&w, b"ping")?;
    lwp::join(t);
    assert_eq!(*RESULT.lock(), Some(Ok(4)));
    assert_eq!(&GOT.lock()[..4], b"ping");
    clear_shared();
    Ok(())
}

#[ktest(timeout_ms = 5000)]
fn a_sleeping_writer_is_woken_by_a_reader() -> Result<(), Errno> {
    const TOTAL: usize = 3 * PIPE_SIZE + 123;
    fn writer(_: usize) {
        let w = shared();
        let n = w.write(&mut Uio::kernel_write(&stream(0, TOTAL)));
        *RESULT.lock() = Some(n);
    }
    let (r, w) = pipe_files(false);
    share(&w);
    drop(w);
    let t = lwp::kthread_create("pipe-writer", writer, 0).map_err(|_| Errno::ENOMEM)?;
    let mut got = Vec::new();
    while got.len() < TOTAL {
        let chunk = read(&r, 10_000)?;
        assert!(!chunk.is_empty(), "no end of file while the writer lives");
        got.extend(chunk);
    }
    lwp::join(t);
    assert_eq!(
        *RESULT.lock(),
        Some(Ok(TOTAL)),
        "the whole write went through"
    );
    assert!(got == stream(0, TOTAL), "every byte, in order");
    clear_shared();
    assert_eq!(
        read(&r, 1)?,
        b"",
        "the writer's end closed with the test's reference"
    );
    Ok(())
}

#[ktest(timeout_ms = 10000)]
fn racing_pipe_buf_writes_are_never_interleaved() -> Result<(), Errno> {
    const WRITES: usize = 24;
    fn writer(tag: usize) {
        let w = shared();
        for i in 0..WRITES {
            let chunk = vec![(tag * 64 + i) as u8; PIPE_BUF];
            assert_eq!(w.write(&mut Uio::kernel_write(&chunk)), Ok(PIPE_BUF));
            if i % 3 == 0 {
                yield_now();
            }
        }
    }
    let (r, w) = pipe_files(false);
    share(&w);
    drop(w);
    let a = lwp::kthread_create("pipe-w1", writer, 1).map_err(|_| Errno::ENOMEM)?;
    let b = lwp::kthread_create("pipe-w2", writer, 2).map_err(|_| Errno::ENOMEM)?;
    let mut got = Vec::new();
    while got.len() < 2 * WRITES * PIPE_BUF {
        got.extend(read(&r, 3000)?);
    }
    lwp::join(a);
    lwp::join(b);
    clear_shared();
    let mut seen = [0usize; 2];
    for block in got.chunks(PIPE_BUF) {
        assert!(
            block.iter().all(|&x| x == block[0]),
            "a write was interleaved"
        );
        let tag = block[0] as usize / 64;
        assert_eq!(
            block[0] as usize % 64,
            seen[tag - 1],
            "each writer's order kept"
        );
        seen[tag - 1] += 1;
    }
    assert_eq!(seen, [WRITES, WRITES]);
    Ok(())
}

#[ktest(timeout_ms = 5000)]
fn a_blocked_pipe_buf_write_waits_for_room_for_all_of_it() -> Result<(), Errno> {
    fn writer(tag: usize) {
        let w = shared();
        let chunk = vec![tag as u8; PIPE_BUF];
        assert_eq!(w.write(&mut Uio::kernel_write(&chunk)), Ok(PIPE_BUF));
    }
    let (r, w) = pipe_files(false);
    write(&w, &vec![0u8; PIPE_SIZE - 100])?;
    share(&w);
    let a = lwp::kthread_create("pipe-wa", writer, b'A' as usize).map_err(|_| Errno::ENOMEM)?;
    until_sleeping(&a);
    let avail = r.pipe().expect("a pipe end").available();
    assert_eq!(
        avail,
        PIPE_SIZE - 100,
        "not one byte of the 4096 went in yet"
    );
    let b = lwp::kthread_create("pipe-wb", writer, b'B' as usize).map_err(|_| Errno::ENOMEM)?;
    until_sleeping(&b);
    // Drain: each 4096-byte write arrives whole.
    let mut got = Vec::new();
    while got.len() < PIPE_SIZE - 100 + 2 * PIPE_BUF {
        got.extend(read(&r, 1000)?);
    }
    lwp::join(a);
    lwp::join(b);
    clear_shared();
    let tail = &got[PIPE_SIZE - 100..];
    assert!(
        tail[..PIPE_BUF].iter().all(|&x| x == tail[0]),
        "the first write is whole"
    );
    assert!(
        tail[PIPE_BUF..].iter().all(|&x| x == tail[PIPE_BUF]),
        "the second too"
    );
    assert_ne!(tail[0], tail[PIPE_BUF]);
    Ok(())
}

#[ktest(timeout_ms = 5000)]
fn an_interrupted_pipe_read_returns_erestartsys() -> Result<(), Errno> {
    fn reader(_: usize) {
        let r = shared();
        let mut b = [0u8; 4];
        *RESULT.lock() = Some(r.read(&mut Uio::kernel_read(&mut b)));
    }
    let (r, _w) = pipe_files(false);
    share(&r);
    let t = lwp::kthread_create("pipe-intr", reader, 0).map_err(|_| Errno::ENOMEM)?;
    until_sleeping(&t);
    lwp::interrupt(&t);
    lwp::join(t);
    assert_eq!(*RESULT.lock(), Some(Err(Errno::ERESTARTSYS)));
    clear_shared();
    Ok(())
}

#[ktest]
fn poll_reports_pipe_readiness_and_bad_descriptors() -> Result<(), Errno> {
    let root = crate::fs::ramfs::new(0o755);
    let file = super::file::File::new(
        super::file::FileKind::Vnode(root.create(b"f", 0o644)?),
        ferrite_abi::fcntl::O_RDWR,
    );
    let mut t = FdTable::new();
    let (r, w) = pipe_files(true);
    t.alloc(r.clone(), false, 0, 16)?;
    t.alloc(w.clone(), false, 0, 16)?;
    t.alloc(file, false, 0, 16)?;
    let pfd = |fd, events| Pollfd {
        fd,
        events,
        revents: 0x7777,
    };
    let mut fds = [
        pfd(0, POLLIN),
        pfd(1, POLLOUT),
        pfd(-1, POLLIN),
        pfd(9, POLLIN),
        pfd(2, POLLIN | POLLOUT),
        pfd(1, POLLIN),
    ];
    assert_eq!(poll::scan(&t, &mut fds), 3);
    let rev: Vec<i16> = fds.iter().map(|p| p.revents).collect();
    assert_eq!(rev, [0, POLLOUT, 0, POLLNVAL, POLLIN | POLLOUT, 0]);
    write(&w, b"x")?;
    poll::scan(&t, &mut fds);
    assert_eq!(fds[0].revents, POLLIN);
    // The last writer goes: hang-up, reported though not asked for.
    drop(t.close(1)?);
    drop(w);
    poll::scan(&t, &mut fds);
    assert_eq!(fds[0].revents, POLLIN | POLLHUP);
    assert_eq!(fds[1].revents, POLLNVAL);
    read(&r, 1)?;
    poll::scan(&t, &mut fds);
    assert_eq!(fds[0].revents, POLLHUP);
    Ok(())
}

static POLL_FILES: Mutex<FdTable> = Mutex::new("test-poll-files", FdTable::new());

#[ktest(timeout_ms = 5000)]
fn poll_sleeps_until_a_change_or_its_timeout() -> Result<(), Errno> {
    fn late_writer(_: usize) {
        for _ in 0..20 {
            yield_now();
        }
        let w = shared();
        w.write(&mut Uio::kernel_write(b"!")).expect("write");
    }
    let (r, w) = pipe_files(false);
    POLL_FILES.lock().alloc(r, false, 0, 16)?;
    let mut fds = [Pollfd {
        fd: 0,
        events: POLLIN,
        revents: 0,
    }];
    // Timeout 0: at once.
    assert_eq!(poll::poll_table(&POLL_FILES, &mut fds, Some(0))?, 0);
    // A timeout: nothing happens, the time passes.
    let t0 = apic::ticks();
    assert_eq!(poll::poll_table(&POLL_FILES, &mut fds, Some(3))?, 0);
    assert!(apic::ticks() >= t0 + 3, "slept for the timeout");
    assert_eq!(fds[0].revents, 0);
    // No timeout: a write wakes it.
    share(&w);
    let t = lwp::kthread_create("poll-waker", late_writer, 0).map_err(|_| Errno::ENOMEM)?;
    assert_eq!(poll::poll_table(&POLL_FILES, &mut fds, None)?, 1);
    assert_eq!(fds[0].revents, POLLIN);
    lwp::join(t);
    clear_shared();
    POLL_FILES.lock().close_all();
    Ok(())
}

//! `user::vmfork`: memory across fork, end to end. Private anonymous and
//! private file mappings are copy-on-write in both directions over three
//! generations; MAP_SHARED anonymous memory (and a shared file mapping) is
//! shared by parent, child and grandchild; a locked private range is
//! copied at fork (and the child's copy is not locked), a child's mlock
//! leaves the parent unlocked; memory with holes from partial unmaps forks
//! right; sibling children each get their own copy.

use ftest::proc::{WaitStatus, in_child, spawn, wait_pid};
use ftest::{CheckResult, checks, ensure_eq, expect_errno, sys};
use utests::fd::{close, make_file, open, pipe, read_some};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, page_has, resident};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

const CHECKS: &[ftest::Check] = checks![
    private_memory_is_isolated_both_ways_across_three_generations,
    shared_anonymous_memory_is_seen_both_ways_across_three_generations,
    private_file_mapping_is_copy_on_write_across_fork,
    shared_file_mapping_is_shared_across_fork,
    a_locked_private_range_is_copied_at_fork,
    a_child_mlock_leaves_the_parent_unlocked,
    memory_with_holes_forks_right,
    sibling_children_each_get_their_own_copy,
];

pub fn main() {
    ftest::main("vmfork", CHECKS)
}

/// Blocks until the other side writes a byte (or closes).
fn wait_for(fd: i32) {
    let mut b = [0u8; 1];
    let _ = read_some(fd, &mut b);
}

fn signal(fd: i32) {
    let _ = utests::fd::write_all(fd, &[1]);
}

fn private_memory_is_isolated_both_ways_across_three_generations() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    for p in 0..4 {
        fill_page(r.page(p), p as u8);
    }
    let addr = r.addr;
    // Generation 2 writes page 1, generation 3 page 2; each must see its
    // own writes and its ancestors' data as it was at its fork.
    in_child(move || {
        let g = |p: usize| addr + p * PAGE;
        page_has(g(1), 1)?;
        fill_page(g(1), 21);
        in_child(move || {
            page_has(g(1), 21)?;
            fill_page(g(2), 32);
            page_has(g(0), 0)?;
            page_has(g(2), 32)
        })?;
        page_has(g(2), 2)?; // the grandchild's write stayed there
        page_has(g(1), 21)
    })?;
    page_has(r.page(1), 1)?;
    page_has(r.page(2), 2)?;
    // The parent writes after the fork: a child made before keeps the old
    // data.
    let (go_rd, go_wr) = pipe()?;
    let child = spawn(move || {
        close(go_wr);
        wait_for(go_rd);
        i32::from(page_has(addr + 3 * PAGE, 3).is_err())
    })?;
    close(go_rd);
    fill_page(r.page(3), 43);
    signal(go_wr);
    close(go_wr);
    ensure_eq!(
        wait_pid(child)?,
        WaitStatus::Exited(0),
        "the child saw the parent's later write"
    );
    page_has(r.page(3), 43)
}

fn shared_anonymous_memory_is_seen_both_ways_across_three_generations() -> CheckResult {
    let s = Region::shared(2 * PAGE)?;
    let addr = s.addr;
    let (to_child_rd, to_child_wr) = pipe()?;
    let (to_parent_rd, to_parent_wr) = pipe()?;
    let child = spawn(move || {
        close(to_child_wr);
        close(to_parent_rd);
        // The child writes, the grandchild too; the parent checks.
        fill_page(addr, 51);
        let gc = in_child(move || {
            page_has(addr, 51)?;
            fill_page(addr + PAGE, 52);
            Ok(())
        });
        signal(to_parent_wr);
        // Then the parent writes and the child must see it.
        wait_for(to_child_rd);
        i32::from(gc.is_err() || page_has(addr, 53).is_err())
    })?;
    close(to_child_rd);
    close(to_parent_wr);
    wait_for(to_parent_rd);
    page_has(s.page(0), 51)?;
    page_has(s.page(1), 52)?;
    fill_page(s.page(0), 53);
    signal(to_child_wr);
    close(to_child_wr);
    close(to_parent_rd);
    ensure_eq!(
        wait_pid(child)?,
        WaitStatus::Exited(0),
        "the child saw the parent's write"
    );
    Ok(())
}

fn private_file_mapping_is_copy_on_write_across_fork() -> CheckResult {
    let f = make_file("forkpriv", &[0x44u8; 2 * PAGE], 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let r = Region::map(0, 2 * PAGE, RW, libc::MAP_PRIVATE, fd, 0)?;
    close(fd);
    r.set(0, 1); // page 0 is the parent's copy, page 1 still the file's
    let addr = r.addr;
    in_child(move || {
        let r = Region {
            addr,
            len: 2 * PAGE,
        };
        let res = (|| {
            ensure_eq!(r.get(0), 1, "the child inherits the parent's copy");
            ensure_eq!(r.get(PAGE), 0x44, "and the file's page");
            r.set(0, 2);
            r.set(PAGE, 3);
            ensure_eq!((r.get(0), r.get(PAGE)), (2, 3));
            Ok(())
        })();
        r.forget();
        res
    })?;
    ensure_eq!(
        (r.get(0), r.get(PAGE)),
        (1, 0x44),
        "the parent after the child's writes"
    );
    let fd = open(&f.c, libc::O_RDONLY)?;
    let mut b = [0u8; 1];
    // SAFETY: a one-byte buffer.
    sys(
        unsafe { libc::pread(fd, b.as_mut_ptr().cast(), 1, PAGE as i64) },
        "pread",
    )?;
    close(fd);
    ensure_eq!(b[0], 0x44, "the file never changed");
    Ok(())
}

fn shared_file_mapping_is_shared_across_fork() -> CheckResult {
    let f = make_file("forkshared", &[0u8; PAGE], 0o644)?;
    let fd = open(&f.c, libc::O_RDWR)?;
    let r = Region::map(0, PAGE, RW, libc::MAP_SHARED, fd, 0)?;
    let addr = r.addr;
    in_child(move || {
        // SAFETY: the inherited shared mapping.
        unsafe { std::ptr::write_volatile((addr + 9) as *mut u8, 0x77) };
        Ok(())
    })?;
    ensure_eq!(
        r.get(9),
        0x77,
        "the child's write through the shared mapping"
    );
    let mut b = [0u8; 1];
    // SAFETY: a one-byte buffer.
    sys(
        unsafe { libc::pread(fd, b.as_mut_ptr().cast(), 1, 9) },
        "pread",
    )?;
    close(fd);
    ensure_eq!(b[0], 0x77, "and in the file");
    Ok(())
}

fn a_locked_private_range_is_copied_at_fork() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    for p in 0..4 {
        fill_page(r.page(p), 60 + p as u8);
    }
    sys(vm::mlock(r.addr, 4 * PAGE), "mlock")?;
    let addr = r.addr;
    in_child(move || {
        ensure_eq!(
            resident(addr, 4 * PAGE)?,
            vec![true; 4],
            "resident in the child"
        );
        for p in 0..4 {
            page_has(addr + p * PAGE, 60 + p as u8)?;
        }
        // The child's copy is not locked (locks are not inherited).
        sys(
            vm::madvise(addr, PAGE, libc::MADV_DONTNEED),
            "DONTNEED in the child",
        )?;
        fill_page(addr + PAGE, 1);
        Ok(())
    })?;
    for p in 0..4 {
        page_has(r.page(p), 60 + p as u8)?;
    }
    expect_errno(
        vm::madvise(r.addr, PAGE, libc::MADV_DONTNEED),
        libc::EINVAL,
        "the parent's range is still locked",
    )?;
    sys(vm::munlock(r.addr, 4 * PAGE), "munlock")?;
    Ok(())
}

fn a_child_mlock_leaves_the_parent_unlocked() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 70);
    fill_page(r.page(1), 71);
    let addr = r.addr;
    let (rd, wr) = pipe()?;
    let (rd2, wr2) = pipe()?;
    let child = spawn(move || {
        close(wr);
        close(rd2);
        let locked = vm::mlock(addr, 2 * PAGE) == 0;
        signal(wr2);
        wait_for(rd);
        // Still locked here, and the data is the child's copy.
        let still =
            vm::madvise(addr, PAGE, libc::MADV_DONTNEED) == -1 && ftest::errno() == libc::EINVAL;
        i32::from(!(locked && still && page_has(addr, 70).is_ok()))
    })?;
    close(rd);
    close(wr2);
    wait_for(rd2);
    // The parent is not locked: it may drop its pages.
    sys(
        vm::madvise(addr, PAGE, libc::MADV_DONTNEED),
        "DONTNEED in the parent",
    )?;
    utests::vm::page_is_zero(addr)?;
    signal(wr);
    close(wr);
    close(rd2);
    ensure_eq!(
        wait_pid(child)?,
        WaitStatus::Exited(0),
        "the child's lock and data"
    );
    Ok(())
}

fn memory_with_holes_forks_right() -> CheckResult {
    let r = Region::anon(10 * PAGE, RW)?;
    for p in 0..10 {
        fill_page(r.page(p), 80 + p as u8);
    }
    sys(vm::munmap(r.page(2), 2 * PAGE), "munmap")?;
    sys(vm::munmap(r.page(7), PAGE), "munmap")?;
    let addr = r.addr;
    let kept = [0usize, 1, 4, 5, 6, 8, 9];
    in_child(move || {
        for p in kept {
            page_has(addr + p * PAGE, 80 + p as u8)?;
            fill_page(addr + p * PAGE, 1);
        }
        for p in [2usize, 3, 7] {
            let at = addr + p * PAGE;
            utests::fault::expect_fault(
                utests::fault::Access::Read,
                at,
                utests::fault::Fault::maperr(at),
                "a hole in the child",
            )?;
        }
        Ok(())
    })?;
    for p in kept {
        page_has(r.page(p), 80 + p as u8)?;
    }
    Ok(())
}

fn sibling_children_each_get_their_own_copy() -> CheckResult {
    let r = Region::anon(8 * PAGE, RW)?;
    for p in 0..8 {
        fill_page(r.page(p), p as u8);
    }
    let addr = r.addr;
    let mut pids = Vec::new();
    for k in 0..4usize {
        pids.push(spawn(move || {
            // Each writes its own tag everywhere, then checks it stayed.
            for p in 0..8 {
                fill_page(addr + p * PAGE, 100 + k as u8);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            let ok = (0..8).all(|p| page_has(addr + p * PAGE, 100 + k as u8).is_ok());
            i32::from(!ok)
        })?);
    }
    for pid in pids {
        ensure_eq!(
            wait_pid(pid)?,
            WaitStatus::Exited(0),
            "a sibling saw another's writes"
        );
    }
    for p in 0..8 {
        page_has(r.page(p), p as u8)?;
    }
    Ok(())
}

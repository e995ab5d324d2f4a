//! ktests of uname and sysinfo: what they report matches the kernel's own
//! figures, and bad buffers are EFAULT.

use crate::kern::error::KResult;
use crate::kern::sched::sched::nlwps;
use crate::kern::sys_harness::{BAD_POINTERS, DATA, Harness};
use crate::kern::time::clock::{self, NSEC_PER_SEC};
use crate::ktest::ktest;
use crate::pmap::direct::PAGE_SIZE;
use crate::uvm::physmem;
use ferrite_abi::syscall as nr;
use ferrite_abi::{Errno, Sysinfo, Utsname};

/// A NUL-terminated utsname field as text.
fn field(f: &[u8; 65]) -> &str {
    let end = f.iter().position(|&b| b == 0).expect("NUL-terminated");
    core::str::from_utf8(&f[..end]).expect("ASCII")
}

#[ktest]
fn uname_names_ferrite_on_x86_64() -> KResult<()> {
    let h = Harness::new()?;
    assert_eq!(h.sys(nr::SYS_uname, &[DATA]), Ok(0));
    let u: Utsname = h.read(DATA);
    assert_eq!(field(&u.sysname), "Ferrite");
    assert_eq!(field(&u.nodename), "ferrite");
    assert_eq!(field(&u.machine), "x86_64");
    assert_eq!(field(&u.domainname), "(none)");
    let release = field(&u.release);
    assert!(
        release.starts_with(|c: char| c.is_ascii_digit()) && release.contains('.'),
        "release {release:?} is not a version number"
    );
    assert!(field(&u.version).contains(release));
    for bad in BAD_POINTERS {
        assert_eq!(h.sys(nr::SYS_uname, &[bad]), Err(Errno::EFAULT));
    }
    Ok(())
}

#[ktest]
fn sysinfo_reports_uptime_memory_and_threads() -> KResult<()> {
    let h = Harness::new()?;
    let up0 = clock::uptime_ns().div_ceil(NSEC_PER_SEC) as i64;
    let free0 = physmem::free_pages() * PAGE_SIZE;
    assert_eq!(h.sys(nr::SYS_sysinfo, &[DATA]), Ok(0));
    let up1 = clock::uptime_ns().div_ceil(NSEC_PER_SEC) as i64;
    let si: Sysinfo = h.read(DATA);
    assert_eq!(si.mem_unit, 1, "byte counts, as on 64-bit Linux");
    assert!(
        up0 <= si.uptime && si.uptime <= up1,
        "{up0} <= {} <= {up1}",
        si.uptime
    );
    assert!(si.uptime >= 1, "rounded up");
    assert_eq!(si.totalram, physmem::stats().managed() * PAGE_SIZE);
    assert!(si.freeram > 0 && si.freeram < si.totalram);
    // Free memory as physmem counts it, give or take the pages this test
    // itself touched (the scratch page tables and the data page).
    assert!(
        si.freeram.abs_diff(free0) <= 16 * PAGE_SIZE,
        "sysinfo free {} bytes, physmem {free0}",
        si.freeram
    );
    assert_eq!(si.procs as usize, nlwps(), "threads alive");
    assert!(si.procs >= 2, "at least lwp0 and the idle thread");
    assert_eq!((si.totalswap, si.freeswap), (0, 0));
    for bad in BAD_POINTERS {
        assert_eq!(h.sys(nr::SYS_sysinfo, &[bad]), Err(Errno::EFAULT));
    }
    Ok(())
}

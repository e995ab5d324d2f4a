//! errno: reading it, naming it, and turning system-call results into check
//! results with the caller's file and line.
//!
//! Checks call the kernel through `libc` (often the raw `libc::syscall`, which
//! turns the kernel's `-errno` into `-1` and sets errno); these helpers keep
//! the "returned -1 with errno X" pattern to one line per call.

use std::panic::Location;

/// The calling thread's errno after a failed call.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The symbolic name of an errno value (`"EFAULT"`), or `"E?"`.
pub fn errname(e: i32) -> &'static str {
    ERRNO_NAMES
        .iter()
        .find(|(n, _)| *n == e)
        .map_or("E?", |(_, name)| name)
}

/// "EFAULT (14)".
fn errdesc(e: i32) -> String {
    format!("{} ({e})", errname(e))
}

const ERRNO_NAMES: &[(i32, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::ENOENT, "ENOENT"),
    (libc::ESRCH, "ESRCH"),
    (libc::EINTR, "EINTR"),
    (libc::EIO, "EIO"),
    (libc::ENXIO, "ENXIO"),
    (libc::E2BIG, "E2BIG"),
    (libc::ENOEXEC, "ENOEXEC"),
    (libc::EBADF, "EBADF"),
    (libc::ECHILD, "ECHILD"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::ENOMEM, "ENOMEM"),
    (libc::EACCES, "EACCES"),
    (libc::EFAULT, "EFAULT"),
    (libc::EBUSY, "EBUSY"),
    (libc::EEXIST, "EEXIST"),
    (libc::EXDEV, "EXDEV"),
    (libc::ENODEV, "ENODEV"),
    (libc::ENOTDIR, "ENOTDIR"),
    (libc::EISDIR, "EISDIR"),
    (libc::EINVAL, "EINVAL"),
    (libc::ENFILE, "ENFILE"),
    (libc::EMFILE, "EMFILE"),
    (libc::ENOTTY, "ENOTTY"),
    (libc::ETXTBSY, "ETXTBSY"),
    (libc::EFBIG, "EFBIG"),
    (libc::ENOSPC, "ENOSPC"),
    (libc::ESPIPE, "ESPIPE"),
    (libc::EROFS, "EROFS"),
    (libc::EMLINK, "EMLINK"),
    (libc::EPIPE, "EPIPE"),
    (libc::EDOM, "EDOM"),
    (libc::ERANGE, "ERANGE"),
    (libc::EDEADLK, "EDEADLK"),
    (libc::ENAMETOOLONG, "ENAMETOOLONG"),
    (libc::ENOSYS, "ENOSYS"),
    (libc::ENOTEMPTY, "ENOTEMPTY"),
    (libc::ELOOP, "ELOOP"),
    (libc::EOVERFLOW, "EOVERFLOW"),
    (libc::ENOTSUP, "ENOTSUP"),
    (libc::ETIMEDOUT, "ETIMEDOUT"),
];

/// A raw system-call result type (`c_int`, `c_long`, `ssize_t`).
pub trait SysRet: Copy {
    fn as_i64(self) -> i64;
}

impl SysRet for i32 {
    fn as_i64(self) -> i64 {
        i64::from(self)
    }
}

impl SysRet for i64 {
    fn as_i64(self) -> i64 {
        self
    }
}

impl SysRet for isize {
    fn as_i64(self) -> i64 {
        self as i64
    }
}

/// Passes a successful result through; turns `-1` into
/// `Err("file:line: WHAT failed: ENOENT (2)")` (file and line of the caller).
#[track_caller]
pub fn sys<T: SysRet>(ret: T, what: &str) -> Result<T, String> {
    if ret.as_i64() == -1 {
        let loc = Location::caller();
        Err(format!(
            "{}:{}: {what} failed: {}",
            loc.file(),
            loc.line(),
            errdesc(errno())
        ))
    } else {
        Ok(ret)
    }
}

/// Ok if the call returned `-1` with errno `want`; otherwise a reason naming
/// the call, what it returned and what was expected. Read errno right after
/// the call: pass the return value straight in.
#[track_caller]
pub fn expect_errno<T: SysRet>(ret: T, want: i32, what: &str) -> Result<(), String> {
    let ret = ret.as_i64();
    let got = errno();
    if ret == -1 && got == want {
        return Ok(());
    }
    let loc = Location::caller();
    let outcome = if ret == -1 {
        format!("failed with {}", errdesc(got))
    } else {
        format!("returned {ret}")
    };
    Err(format!(
        "{}:{}: {what}: {outcome}, expected {}",
        loc.file(),
        loc.line(),
        errdesc(want)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_and_unknown_errnos() {
        assert_eq!(errname(libc::EFAULT), "EFAULT");
        assert_eq!(errname(libc::ENOEXEC), "ENOEXEC");
        assert_eq!(errname(9999), "E?");
    }

    #[test]
    fn expect_errno_accepts_only_the_wanted_errno() {
        // SAFETY: close of a descriptor that is never open.
        let ret = unsafe { libc::close(-1) };
        assert!(expect_errno(ret, libc::EBADF, "close(-1)").is_ok());
        // SAFETY: close of a descriptor that is never open.
        let ret = unsafe { libc::close(-1) };
        let err = expect_errno(ret, libc::EFAULT, "close(-1)").unwrap_err();
        assert!(
            err.contains("failed with EBADF (9), expected EFAULT (14)"),
            "{err}"
        );
        let err = expect_errno(0i32, libc::EBADF, "x").unwrap_err();
        assert!(err.contains("x: returned 0, expected EBADF"), "{err}");
    }

    #[test]
    fn sys_reports_the_caller_line() {
        // SAFETY: close of a descriptor that is never open.
        let ret = unsafe { libc::close(-1) };
        let err = sys(ret, "close(-1)").unwrap_err();
        assert!(err.contains("errno.rs:"), "{err}");
        assert!(err.ends_with("close(-1) failed: EBADF (9)"), "{err}");
        assert_eq!(sys(3i64, "x"), Ok(3));
    }
}

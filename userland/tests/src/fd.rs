//! File descriptors as tools: pipes, whole reads and writes, and scratch
//! files under /tmp that remove themselves.

use std::ffi::CString;

use ftest::sys;

/// A pipe created with `flags` (pipe2): `(read end, write end)`.
pub fn pipe2(flags: i32) -> Result<(i32, i32), String> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    sys(unsafe { libc::pipe2(fds.as_mut_ptr(), flags) }, "pipe2")?;
    Ok((fds[0], fds[1]))
}

/// A plain pipe (inherited across exec).
pub fn pipe() -> Result<(i32, i32), String> {
    pipe2(0)
}

pub fn close(fd: i32) {
    // SAFETY: closing a descriptor we own.
    unsafe { libc::close(fd) };
}

/// Writes all of `buf` (retrying short writes).
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), String> {
    while !buf.is_empty() {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n == -1 && ftest::errno() == libc::EINTR {
            continue;
        }
        let n = sys(n, "write")?;
        if n == 0 {
            return Err("write returned 0".into());
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// One read(2) into `buf`: the number of bytes read.
pub fn read_some(fd: i32, buf: &mut [u8]) -> Result<usize, String> {
    // SAFETY: buf is valid for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    Ok(sys(n, "read")? as usize)
}

/// Reads exactly `buf.len()` bytes; fails on end of file.
pub fn read_exact(fd: i32, buf: &mut [u8]) -> Result<(), String> {
    let mut got = 0;
    while got < buf.len() {
        let n = read_some(fd, &mut buf[got..])?;
        if n == 0 {
            return Err(format!("end of file after {got} of {} bytes", buf.len()));
        }
        got += n;
    }
    Ok(())
}

/// Reads until end of file.
pub fn read_to_end(fd: i32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = read_some(fd, &mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// A C string for a path.
pub fn cpath(path: &str) -> CString {
    CString::new(path).expect("paths in checks have no NUL")
}

/// A scratch path under /tmp, removed (file or empty directory) on drop.
pub struct TmpPath {
    pub path: String,
    pub c: CString,
}

impl TmpPath {
    /// A fresh name (nothing is created).
    pub fn new(tag: &str) -> TmpPath {
        let path = ftest::tmp_path(tag);
        let c = cpath(&path);
        remove(&c);
        TmpPath { path, c }
    }

    /// A path inside this one (for directories).
    pub fn join(&self, name: &str) -> CString {
        cpath(&format!("{}/{name}", self.path))
    }
}

impl Drop for TmpPath {
    fn drop(&mut self) {
        remove(&self.c);
    }
}

/// Removes a file or an empty directory, if there is one (unlinkat, as
/// rmdir is not among Ferrite's calls).
fn remove(path: &std::ffi::CStr) {
    // SAFETY: a valid path; failures (nothing there) are ignored.
    unsafe {
        libc::unlink(path.as_ptr());
        libc::unlinkat(libc::AT_FDCWD, path.as_ptr(), libc::AT_REMOVEDIR);
    }
}

/// Creates (or truncates) a file with `contents` and exactly `mode` (the
/// umask is cleared meanwhile: chmod is not among Ferrite's calls); returns
/// its scratch path (the descriptor is closed).
pub fn make_file(tag: &str, contents: &[u8], mode: u32) -> Result<TmpPath, String> {
    let tmp = TmpPath::new(tag);
    // SAFETY: umask and open with a valid path; the old mask is restored.
    let fd = unsafe {
        let old = libc::umask(0);
        let fd = libc::open(
            tmp.c.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
            mode,
        );
        libc::umask(old);
        fd
    };
    let fd = sys(fd, "open")?;
    let r = write_all(fd, contents);
    close(fd);
    r?;
    Ok(tmp)
}

/// Opens a path with `flags` (close-on-exec added).
pub fn open(path: &std::ffi::CStr, flags: i32) -> Result<i32, String> {
    // SAFETY: a valid path.
    sys(
        unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, 0o644) },
        "open",
    )
}

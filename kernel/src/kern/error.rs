//! Kernel errors. Kernel paths that can run out of memory or meet bad input
//! return `KResult`; at the syscall boundary a `KernError` becomes a Linux errno.

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernError {
    /// Out of memory (ENOMEM).
    NoMem,
    /// Invalid argument (EINVAL).
    Inval,
    /// No room in an address map, or a fixed range in use (ENOMEM).
    NoSpace,
    /// Permission denied: beyond a mapping's maximum protection (EACCES).
    Access,
    /// Bad address: nothing mapped there (EFAULT).
    Fault,
    /// I/O error from a pager (EIO).
    Io,
}

pub type KResult<T> = Result<T, KernError>;

impl KernError {
    /// The Linux errno value for this error.
    #[allow(dead_code)] // used at the syscall boundary (later layer)
    pub fn errno(self) -> i32 {
        match self {
            KernError::NoMem => 12,
            KernError::Inval => 22,
            KernError::NoSpace => 12,
            KernError::Access => 13,
            KernError::Fault => 14,
            KernError::Io => 5,
        }
    }
}

impl fmt::Display for KernError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KernError::NoMem => "out of memory",
            KernError::Inval => "invalid argument",
            KernError::NoSpace => "no space in the address map",
            KernError::Access => "permission denied",
            KernError::Fault => "bad address",
            KernError::Io => "I/O error",
        })
    }
}

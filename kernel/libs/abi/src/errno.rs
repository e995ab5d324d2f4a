//! Linux error numbers (include/uapi/asm-generic/errno-base.h and
//! errno.h: 1 to 133, 41 and 58 unused) and the kernel-internal restart
//! codes (include/linux/errno.h) that signal delivery turns into either a
//! restarted system call or EINTR; those never reach user space.
//!
//! This module owns the numbers, their names and their `strerror` texts
//! (the GNU C library's wording). How a system call chooses its error is
//! not its business.

use core::fmt;

/// A Linux error number. System calls return `-(errno as i64)`.
#[repr(i32)]
#[allow(non_camel_case_types)] // ERESTART_RESTARTBLOCK keeps its C name
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Errno {
    /// Operation not permitted
    EPERM = 1,
    /// No such file or directory
    ENOENT = 2,
    /// No such process
    ESRCH = 3,
    /// Interrupted system call
    EINTR = 4,
    /// Input/output error
    EIO = 5,
    /// No such device or address
    ENXIO = 6,
    /// Argument list too long
    E2BIG = 7,
    /// Exec format error
    ENOEXEC = 8,
    /// Bad file descriptor
    EBADF = 9,
    /// No child processes
    ECHILD = 10,
    /// Resource temporarily unavailable
    EAGAIN = 11,
    /// Cannot allocate memory
    ENOMEM = 12,
    /// Permission denied
    EACCES = 13,
    /// Bad address
    EFAULT = 14,
    /// Block device required
    ENOTBLK = 15,
    /// Device or resource busy
    EBUSY = 16,
    /// File exists
    EEXIST = 17,
    /// Invalid cross-device link
    EXDEV = 18,
    /// No such device
    ENODEV = 19,
    /// Not a directory
    ENOTDIR = 20,
    /// Is a directory
    EISDIR = 21,
    /// Invalid argument
    EINVAL = 22,
    /// Too many open files in system
    ENFILE = 23,
    /// Too many open files
    EMFILE = 24,
    /// Inappropriate ioctl for device
    ENOTTY = 25,
    /// Text file busy
    ETXTBSY = 26,
    /// File too large
    EFBIG = 27,
    /// No space left on device
    ENOSPC = 28,
    /// Illegal seek
    ESPIPE = 29,
    /// Read-only file system
    EROFS = 30,
    /// Too many links
    EMLINK = 31,
    /// Broken pipe
    EPIPE = 32,
    /// Numerical argument out of domain
    EDOM = 33,
    /// Numerical result out of range
    ERANGE = 34,
    /// Resource deadlock avoided
    EDEADLK = 35,
    /// File name too long
    ENAMETOOLONG = 36,
    /// No locks available
    ENOLCK = 37,
    /// Function not implemented
    ENOSYS = 38,
    /// Directory not empty
    ENOTEMPTY = 39,
    /// Too many levels of symbolic links
    ELOOP = 40,
    /// No message of desired type
    ENOMSG = 42,
    /// Identifier removed
    EIDRM = 43,
    /// Channel number out of range
    ECHRNG = 44,
    /// Level 2 not synchronized
    EL2NSYNC = 45,
    /// Level 3 halted
    EL3HLT = 46,
    /// Level 3 reset
    EL3RST = 47,
    /// Link number out of range
    ELNRNG = 48,
    /// Protocol driver not attached
    EUNATCH = 49,
    /// No CSI structure available
    ENOCSI = 50,
    /// Level 2 halted
    EL2HLT = 51,
    /// Invalid exchange
    EBADE = 52,
    /// Invalid request descriptor
    EBADR = 53,
    /// Exchange full
    EXFULL = 54,
    /// No anode
    ENOANO = 55,
    /// Invalid request code
    EBADRQC = 56,
    /// Invalid slot
    EBADSLT = 57,
    /// Bad font file format
    EBFONT = 59,
    /// Device not a stream
    ENOSTR = 60,
    /// No data available
    ENODATA = 61,
    /// Timer expired
    ETIME = 62,
    /// Out of streams resources
    ENOSR = 63,
    /// Machine is not on the network
    ENONET = 64,
    /// Package not installed
    ENOPKG = 65,
    /// Object is remote
    EREMOTE = 66,
    /// Link has been severed
    ENOLINK = 67,
    /// Advertise error
    EADV = 68,
    /// Srmount error
    ESRMNT = 69,
    /// Communication error on send
    ECOMM = 70,
    /// Protocol error
    EPROTO = 71,
    /// Multihop attempted
    EMULTIHOP = 72,
    /// RFS specific error
    EDOTDOT = 73,
    /// Bad message
    EBADMSG = 74,
    /// Value too large for defined data type
    EOVERFLOW = 75,
    /// Name not unique on network
    ENOTUNIQ = 76,
    /// File descriptor in bad state
    EBADFD = 77,
    /// Remote address changed
    EREMCHG = 78,
    /// Can not access a needed shared library
    ELIBACC = 79,
    /// Accessing a corrupted shared library
    ELIBBAD = 80,
    /// .lib section in a.out corrupted
    ELIBSCN = 81,
    /// Attempting to link in too many shared libraries
    ELIBMAX = 82,
    /// Cannot exec a shared library directly
    ELIBEXEC = 83,
    /// Invalid or incomplete multibyte or wide character
    EILSEQ = 84,
    /// Interrupted system call should be restarted
    ERESTART = 85,
    /// Streams pipe error
    ESTRPIPE = 86,
    /// Too many users
    EUSERS = 87,
    /// Socket operation on non-socket
    ENOTSOCK = 88,
    /// Destination address required
    EDESTADDRREQ = 89,
    /// Message too long
    EMSGSIZE = 90,
    /// Protocol wrong type for socket
    EPROTOTYPE = 91,
    /// Protocol not available
    ENOPROTOOPT = 92,
    /// Protocol not supported
    EPROTONOSUPPORT = 93,
    /// Socket type not supported
    ESOCKTNOSUPPORT = 94,
    /// Operation not supported
    EOPNOTSUPP = 95,
    /// Protocol family not supported
    EPFNOSUPPORT = 96,
    /// Address family not supported by protocol
    EAFNOSUPPORT = 97,
    /// Address already in use
    EADDRINUSE = 98,
    /// Cannot assign requested address
    EADDRNOTAVAIL = 99,
    /// Network is down
    ENETDOWN = 100,
    /// Network is unreachable
    ENETUNREACH = 101,
    /// Network dropped connection on reset
    ENETRESET = 102,
    /// Software caused connection abort
    ECONNABORTED = 103,
    /// Connection reset by peer
    ECONNRESET = 104,
    /// No buffer space available
    ENOBUFS = 105,
    /// Transport endpoint is already connected
    EISCONN = 106,
    /// Transport endpoint is not connected
    ENOTCONN = 107,
    /// Cannot send after transport endpoint shutdown
    ESHUTDOWN = 108,
    /// Too many references: cannot splice
    ETOOMANYREFS = 109,
    /// Connection timed out
    ETIMEDOUT = 110,
    /// Connection refused
    ECONNREFUSED = 111,
    /// Host is down
    EHOSTDOWN = 112,
    /// No route to host
    EHOSTUNREACH = 113,
    /// Operation already in progress
    EALREADY = 114,
    /// Operation now in progress
    EINPROGRESS = 115,
    /// Stale file handle
    ESTALE = 116,
    /// Structure needs cleaning
    EUCLEAN = 117,
    /// Not a XENIX named type file
    ENOTNAM = 118,
    /// No XENIX semaphores available
    ENAVAIL = 119,
    /// Is a named type file
    EISNAM = 120,
    /// Remote I/O error
    EREMOTEIO = 121,
    /// Disk quota exceeded
    EDQUOT = 122,
    /// No medium found
    ENOMEDIUM = 123,
    /// Wrong medium type
    EMEDIUMTYPE = 124,
    /// Operation canceled
    ECANCELED = 125,
    /// Required key not available
    ENOKEY = 126,
    /// Key has expired
    EKEYEXPIRED = 127,
    /// Key has been revoked
    EKEYREVOKED = 128,
    /// Key was rejected by service
    EKEYREJECTED = 129,
    /// Owner died
    EOWNERDEAD = 130,
    /// State not recoverable
    ENOTRECOVERABLE = 131,
    /// Operation not possible due to RF-kill
    ERFKILL = 132,
    /// Memory page has hardware error
    EHWPOISON = 133,
    /// Restart the system call if the handler allows (kernel internal)
    ERESTARTSYS = 512,
    /// Restart the system call after the handler (kernel internal)
    ERESTARTNOINTR = 513,
    /// Restart the system call if no handler ran (kernel internal)
    ERESTARTNOHAND = 514,
    /// Restart through restart_syscall (kernel internal)
    ERESTART_RESTARTBLOCK = 516,
}

/// (name, description) of every error number, in numeric order.
const TABLE: &[(Errno, &str, &str)] = &[
    (Errno::EPERM, "EPERM", "Operation not permitted"),
    (Errno::ENOENT, "ENOENT", "No such file or directory"),
    (Errno::ESRCH, "ESRCH", "No such process"),
    (Errno::EINTR, "EINTR", "Interrupted system call"),
    (Errno::EIO, "EIO", "Input/output error"),
    (Errno::ENXIO, "ENXIO", "No such device or address"),
    (Errno::E2BIG, "E2BIG", "Argument list too long"),
    (Errno::ENOEXEC, "ENOEXEC", "Exec format error"),
    (Errno::EBADF, "EBADF", "Bad file descriptor"),
    (Errno::ECHILD, "ECHILD", "No child processes"),
    (Errno::EAGAIN, "EAGAIN", "Resource temporarily unavailable"),
    (Errno::ENOMEM, "ENOMEM", "Cannot allocate memory"),
    (Errno::EACCES, "EACCES", "Permission denied"),
    (Errno::EFAULT, "EFAULT", "Bad address"),
    (Errno::ENOTBLK, "ENOTBLK", "Block device required"),
    (Errno::EBUSY, "EBUSY", "Device or resource busy"),
    (Errno::EEXIST, "EEXIST", "File exists"),
    (Errno::EXDEV, "EXDEV", "Invalid cross-device link"),
    (Errno::ENODEV, "ENODEV", "No such device"),
    (Errno::ENOTDIR, "ENOTDIR", "Not a directory"),
    (Errno::EISDIR, "EISDIR", "Is a directory"),
    (Errno::EINVAL, "EINVAL", "Invalid argument"),
    (Errno::ENFILE, "ENFILE", "Too many open files in system"),
    (Errno::EMFILE, "EMFILE", "Too many open files"),
    (Errno::ENOTTY, "ENOTTY", "Inappropriate ioctl for device"),
    (Errno::ETXTBSY, "ETXTBSY", "Text file busy"),
    (Errno::EFBIG, "EFBIG", "File too large"),
    (Errno::ENOSPC, "ENOSPC", "No space left on device"),
    (Errno::ESPIPE, "ESPIPE", "Illegal seek"),
    (Errno::EROFS, "EROFS", "Read-only file system"),
    (Errno::EMLINK, "EMLINK", "Too many links"),
    (Errno::EPIPE, "EPIPE", "Broken pipe"),
    (Errno::EDOM, "EDOM", "Numerical argument out of domain"),
    (Errno::ERANGE, "ERANGE", "Numerical result out of range"),
    (Errno::EDEADLK, "EDEADLK", "Resource deadlock avoided"),
    (Errno::ENAMETOOLONG, "ENAMETOOLONG", "File name too long"),
    (Errno::ENOLCK, "ENOLCK", "No locks available"),
    (Errno::ENOSYS, "ENOSYS", "Function not implemented"),
    (Errno::ENOTEMPTY, "ENOTEMPTY", "Directory not empty"),
    (Errno::ELOOP, "ELOOP", "Too many levels of symbolic links"),
    (Errno::ENOMSG, "ENOMSG", "No message of desired type"),
    (Errno::EIDRM, "EIDRM", "Identifier removed"),
    (Errno::ECHRNG, "ECHRNG", "Channel number out of range"),
    (Errno::EL2NSYNC, "EL2NSYNC", "Level 2 not synchronized"),
    (Errno::EL3HLT, "EL3HLT", "Level 3 halted"),
    (Errno::EL3RST, "EL3RST", "Level 3 reset"),
    (Errno::ELNRNG, "ELNRNG", "Link number out of range"),
    (Errno::EUNATCH, "EUNATCH", "Protocol driver not attached"),
    (Errno::ENOCSI, "ENOCSI", "No CSI structure available"),
    (Errno::EL2HLT, "EL2HLT", "Level 2 halted"),
    (Errno::EBADE, "EBADE", "Invalid exchange"),
    (Errno::EBADR, "EBADR", "Invalid request descriptor"),
    (Errno::EXFULL, "EXFULL", "Exchange full"),
    (Errno::ENOANO, "ENOANO", "No anode"),
    (Errno::EBADRQC, "EBADRQC", "Invalid request code"),
    (Errno::EBADSLT, "EBADSLT", "Invalid slot"),
    (Errno::EBFONT, "EBFONT", "Bad font file format"),
    (Errno::ENOSTR, "ENOSTR", "Device not a stream"),
    (Errno::ENODATA, "ENODATA", "No data available"),
    (Errno::ETIME, "ETIME", "Timer expired"),
    (Errno::ENOSR, "ENOSR", "Out of streams resources"),
    (Errno::ENONET, "ENONET", "Machine is not on the network"),
    (Errno::ENOPKG, "ENOPKG", "Package not installed"),
    (Errno::EREMOTE, "EREMOTE", "Object is remote"),
    (Errno::ENOLINK, "ENOLINK", "Link has been severed"),
    (Errno::EADV, "EADV", "Advertise error"),
    (Errno::ESRMNT, "ESRMNT", "Srmount error"),
    (Errno::ECOMM, "ECOMM", "Communication error on send"),
    (Errno::EPROTO, "EPROTO", "Protocol error"),
    (Errno::EMULTIHOP, "EMULTIHOP", "Multihop attempted"),
    (Errno::EDOTDOT, "EDOTDOT", "RFS specific error"),
    (Errno::EBADMSG, "EBADMSG", "Bad message"),
    (
        Errno::EOVERFLOW,
        "EOVERFLOW",
        "Value too large for defined data type",
    ),
    (Errno::ENOTUNIQ, "ENOTUNIQ", "Name not unique on network"),
    (Errno::EBADFD, "EBADFD", "File descriptor in bad state"),
    (Errno::EREMCHG, "EREMCHG", "Remote address changed"),
    (
        Errno::ELIBACC,
        "ELIBACC",
        "Can not access a needed shared library",
    ),
    (
        Errno::ELIBBAD,
        "ELIBBAD",
        "Accessing a corrupted shared library",
    ),
    (Errno::ELIBSCN, "ELIBSCN", ".lib section in a.out corrupted"),
    (
        Errno::ELIBMAX,
        "ELIBMAX",
        "Attempting to link in too many shared libraries",
    ),
    (
        Errno::ELIBEXEC,
        "ELIBEXEC",
        "Cannot exec a shared library directly",
    ),
    (
        Errno::EILSEQ,
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    (
        Errno::ERESTART,
        "ERESTART",
        "Interrupted system call should be restarted",
    ),
    (Errno::ESTRPIPE, "ESTRPIPE", "Streams pipe error"),
    (Errno::EUSERS, "EUSERS", "Too many users"),
    (
        Errno::ENOTSOCK,
        "ENOTSOCK",
        "Socket operation on non-socket",
    ),
    (
        Errno::EDESTADDRREQ,
        "EDESTADDRREQ",
        "Destination address required",
    ),
    (Errno::EMSGSIZE, "EMSGSIZE", "Message too long"),
    (
        Errno::EPROTOTYPE,
        "EPROTOTYPE",
        "Protocol wrong type for socket",
    ),
    (Errno::ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"),
    (
        Errno::EPROTONOSUPPORT,
        "EPROTONOSUPPORT",
        "Protocol not supported",
    ),
    (
        Errno::ESOCKTNOSUPPORT,
        "ESOCKTNOSUPPORT",
        "Socket type not supported",
    ),
    (Errno::EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"),
    (
        Errno::EPFNOSUPPORT,
        "EPFNOSUPPORT",
        "Protocol family not supported",
    ),
    (
        Errno::EAFNOSUPPORT,
        "EAFNOSUPPORT",
        "Address family not supported by protocol",
    ),
    (Errno::EADDRINUSE, "EADDRINUSE", "Address already in use"),
    (
        Errno::EADDRNOTAVAIL,
        "EADDRNOTAVAIL",
        "Cannot assign requested address",
    ),
    (Errno::ENETDOWN, "ENETDOWN", "Network is down"),
    (Errno::ENETUNREACH, "ENETUNREACH", "Network is unreachable"),
    (
        Errno::ENETRESET,
        "ENETRESET",
        "Network dropped connection on reset",
    ),
    (
        Errno::ECONNABORTED,
        "ECONNABORTED",
        "Software caused connection abort",
    ),
    (Errno::ECONNRESET, "ECONNRESET", "Connection reset by peer"),
    (Errno::ENOBUFS, "ENOBUFS", "No buffer space available"),
    (
        Errno::EISCONN,
        "EISCONN",
        "Transport endpoint is already connected",
    ),
    (
        Errno::ENOTCONN,
        "ENOTCONN",
        "Transport endpoint is not connected",
    ),
    (
        Errno::ESHUTDOWN,
        "ESHUTDOWN",
        "Cannot send after transport endpoint shutdown",
    ),
    (
        Errno::ETOOMANYREFS,
        "ETOOMANYREFS",
        "Too many references: cannot splice",
    ),
    (Errno::ETIMEDOUT, "ETIMEDOUT", "Connection timed out"),
    (Errno::ECONNREFUSED, "ECONNREFUSED", "Connection refused"),
    (Errno::EHOSTDOWN, "EHOSTDOWN", "Host is down"),
    (Errno::EHOSTUNREACH, "EHOSTUNREACH", "No route to host"),
    (Errno::EALREADY, "EALREADY", "Operation already in progress"),
    (
        Errno::EINPROGRESS,
        "EINPROGRESS",
        "Operation now in progress",
    ),
    (Errno::ESTALE, "ESTALE", "Stale file handle"),
    (Errno::EUCLEAN, "EUCLEAN", "Structure needs cleaning"),
    (Errno::ENOTNAM, "ENOTNAM", "Not a XENIX named type file"),
    (Errno::ENAVAIL, "ENAVAIL", "No XENIX semaphores available"),
    (Errno::EISNAM, "EISNAM", "Is a named type file"),
    (Errno::EREMOTEIO, "EREMOTEIO", "Remote I/O error"),
    (Errno::EDQUOT, "EDQUOT", "Disk quota exceeded"),
    (Errno::ENOMEDIUM, "ENOMEDIUM", "No medium found"),
    (Errno::EMEDIUMTYPE, "EMEDIUMTYPE", "Wrong medium type"),
    (Errno::ECANCELED, "ECANCELED", "Operation canceled"),
    (Errno::ENOKEY, "ENOKEY", "Required key not available"),
    (Errno::EKEYEXPIRED, "EKEYEXPIRED", "Key has expired"),
    (Errno::EKEYREVOKED, "EKEYREVOKED", "Key has been revoked"),
    (
        Errno::EKEYREJECTED,
        "EKEYREJECTED",
        "Key was rejected by service",
    ),
    (Errno::EOWNERDEAD, "EOWNERDEAD", "Owner died"),
    (
        Errno::ENOTRECOVERABLE,
        "ENOTRECOVERABLE",
        "State not recoverable",
    ),
    (
        Errno::ERFKILL,
        "ERFKILL",
        "Operation not possible due to RF-kill",
    ),
    (
        Errno::EHWPOISON,
        "EHWPOISON",
        "Memory page has hardware error",
    ),
    (
        Errno::ERESTARTSYS,
        "ERESTARTSYS",
        "Restart the system call if the handler allows (kernel internal)",
    ),
    (
        Errno::ERESTARTNOINTR,
        "ERESTARTNOINTR",
        "Restart the system call after the handler (kernel internal)",
    ),
    (
        Errno::ERESTARTNOHAND,
        "ERESTARTNOHAND",
        "Restart the system call if no handler ran (kernel internal)",
    ),
    (
        Errno::ERESTART_RESTARTBLOCK,
        "ERESTART_RESTARTBLOCK",
        "Restart through restart_syscall (kernel internal)",
    ),
];

impl Errno {
    /// Alias of [`Errno::EAGAIN`].
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
    /// Alias of [`Errno::EDEADLK`].
    pub const EDEADLOCK: Errno = Errno::EDEADLK;
    /// Alias of [`Errno::EOPNOTSUPP`] (the C library's `ENOTSUP`).
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;

    /// Every error number, in numeric order (for tables and tests).
    pub fn all() -> impl Iterator<Item = Errno> {
        TABLE.iter().map(|e| e.0)
    }

    /// The error with number `n`, or `None` if Linux defines none.
    pub fn from_raw(n: i32) -> Option<Errno> {
        // TABLE is sorted by number.
        TABLE
            .binary_search_by_key(&n, |e| e.0 as i32)
            .ok()
            .map(|i| TABLE[i].0)
    }

    /// The error a system call's return value encodes: Linux returns
    /// `-errno` for errors, so values in `-4095..=-1` are errors.
    pub fn from_ret(ret: i64) -> Option<Errno> {
        if (-4095..0).contains(&ret) {
            Errno::from_raw(-ret as i32)
        } else {
            None
        }
    }

    /// The number.
    pub const fn as_i32(self) -> i32 {
        self as i32
    }

    /// The system-call return value for this error: `-errno`.
    pub const fn to_ret(self) -> i64 {
        -(self as i64)
    }

    fn entry(self) -> &'static (Errno, &'static str, &'static str) {
        // Every variant is in TABLE.
        let i = TABLE
            .binary_search_by_key(&(self as i32), |e| e.0 as i32)
            .unwrap_or(0);
        &TABLE[i]
    }

    /// The C name, e.g. `"EFAULT"`.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The short `strerror` text, e.g. `"Bad address"`.
    pub fn description(self) -> &'static str {
        self.entry().2
    }

    /// One of the kernel-internal restart codes (512 and up), which must be
    /// turned into a restart or EINTR before returning to user space.
    pub const fn is_restart(self) -> bool {
        self as i32 >= 512
    }
}

/// Prints the name, e.g. `EFAULT`.
impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl core::error::Error for Errno {}

//! The crate's constants, system-call numbers and structure layouts
//! against the Linux UAPI headers installed on the host (linux-libc-dev):
//! the test writes a C program that prints every constant the headers
//! define under our names and the `sizeof`/`offsetof` of the kernel's own
//! structures (kernel `struct stat`, `struct sigaction`, `struct ucontext`,
//! `struct termios`, ...), compiles it with the host C compiler (the one
//! Rust links with), runs it and compares.
//!
//! Constants the host headers are too old for (system calls 451 and up,
//! AT_RSEQ_*) and DT_WHT (not a UAPI constant) are not checked here; nor
//! are SIGRTMAX and NSIG, which the x86 UAPI header defines with the
//! legacy 32-signal `NSIG` for old C libraries (the C-library test checks
//! SIGRTMAX = 64).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use ferrite_abi::*;

/// (name, value, size of our type).
type Const = (&'static str, i128, usize);

macro_rules! c {
    ($path:path) => {{
        let v = $path;
        let name = stringify!($path);
        let name = name.rsplit("::").next().unwrap().trim();
        (name, v as i128, size_of_val(&v))
    }};
}

fn constants() -> Vec<Const> {
    vec![
        c!(arch_prctl::ARCH_SET_GS),
        c!(arch_prctl::ARCH_SET_FS),
        c!(arch_prctl::ARCH_GET_FS),
        c!(arch_prctl::ARCH_GET_GS),
        c!(arch_prctl::ARCH_GET_CPUID),
        c!(arch_prctl::ARCH_SET_CPUID),
        c!(arch_prctl::ARCH_MAP_VDSO_X32),
        c!(arch_prctl::ARCH_MAP_VDSO_32),
        c!(arch_prctl::ARCH_MAP_VDSO_64),
        c!(auxv::AT_NULL),
        c!(auxv::AT_IGNORE),
        c!(auxv::AT_EXECFD),
        c!(auxv::AT_PHDR),
        c!(auxv::AT_PHENT),
        c!(auxv::AT_PHNUM),
        c!(auxv::AT_PAGESZ),
        c!(auxv::AT_BASE),
        c!(auxv::AT_FLAGS),
        c!(auxv::AT_ENTRY),
        c!(auxv::AT_NOTELF),
        c!(auxv::AT_UID),
        c!(auxv::AT_EUID),
        c!(auxv::AT_GID),
        c!(auxv::AT_EGID),
        c!(auxv::AT_PLATFORM),
        c!(auxv::AT_HWCAP),
        c!(auxv::AT_CLKTCK),
        c!(auxv::AT_SECURE),
        c!(auxv::AT_BASE_PLATFORM),
        c!(auxv::AT_RANDOM),
        c!(auxv::AT_HWCAP2),
        c!(auxv::AT_RSEQ_FEATURE_SIZE),
        c!(auxv::AT_RSEQ_ALIGN),
        c!(auxv::AT_HWCAP3),
        c!(auxv::AT_HWCAP4),
        c!(auxv::AT_EXECFN),
        c!(auxv::AT_SYSINFO_EHDR),
        c!(auxv::AT_MINSIGSTKSZ),
        c!(clock::CLOCK_REALTIME),
        c!(clock::CLOCK_MONOTONIC),
        c!(clock::CLOCK_PROCESS_CPUTIME_ID),
        c!(clock::CLOCK_THREAD_CPUTIME_ID),
        c!(clock::CLOCK_MONOTONIC_RAW),
        c!(clock::CLOCK_REALTIME_COARSE),
        c!(clock::CLOCK_MONOTONIC_COARSE),
        c!(clock::CLOCK_BOOTTIME),
        c!(clock::CLOCK_REALTIME_ALARM),
        c!(clock::CLOCK_BOOTTIME_ALARM),
        c!(clock::CLOCK_TAI),
        c!(clock::TIMER_ABSTIME),
        c!(clock::ITIMER_REAL),
        c!(clock::ITIMER_VIRTUAL),
        c!(clock::ITIMER_PROF),
        c!(fcntl::O_RDONLY),
        c!(fcntl::O_WRONLY),
        c!(fcntl::O_RDWR),
        c!(fcntl::O_ACCMODE),
        c!(fcntl::O_CREAT),
        c!(fcntl::O_EXCL),
        c!(fcntl::O_NOCTTY),
        c!(fcntl::O_TRUNC),
        c!(fcntl::O_APPEND),
        c!(fcntl::O_NONBLOCK),
        c!(fcntl::O_NDELAY),
        c!(fcntl::O_DSYNC),
        c!(fcntl::O_ASYNC),
        c!(fcntl::O_DIRECT),
        c!(fcntl::O_LARGEFILE),
        c!(fcntl::O_DIRECTORY),
        c!(fcntl::O_NOFOLLOW),
        c!(fcntl::O_NOATIME),
        c!(fcntl::O_CLOEXEC),
        c!(fcntl::__O_SYNC),
        c!(fcntl::O_SYNC),
        c!(fcntl::O_PATH),
        c!(fcntl::__O_TMPFILE),
        c!(fcntl::O_TMPFILE),
        c!(fcntl::F_DUPFD),
        c!(fcntl::F_GETFD),
        c!(fcntl::F_SETFD),
        c!(fcntl::F_GETFL),
        c!(fcntl::F_SETFL),
        c!(fcntl::F_GETLK),
        c!(fcntl::F_SETLK),
        c!(fcntl::F_SETLKW),
        c!(fcntl::F_SETOWN),
        c!(fcntl::F_GETOWN),
        c!(fcntl::F_SETSIG),
        c!(fcntl::F_GETSIG),
        c!(fcntl::F_SETOWN_EX),
        c!(fcntl::F_GETOWN_EX),
        c!(fcntl::F_OFD_GETLK),
        c!(fcntl::F_OFD_SETLK),
        c!(fcntl::F_OFD_SETLKW),
        c!(fcntl::F_SETLEASE),
        c!(fcntl::F_GETLEASE),
        c!(fcntl::F_NOTIFY),
        c!(fcntl::F_DUPFD_CLOEXEC),
        c!(fcntl::F_SETPIPE_SZ),
        c!(fcntl::F_GETPIPE_SZ),
        c!(fcntl::F_ADD_SEALS),
        c!(fcntl::F_GET_SEALS),
        c!(fcntl::FD_CLOEXEC),
        c!(fcntl::F_RDLCK),
        c!(fcntl::F_WRLCK),
        c!(fcntl::F_UNLCK),
        c!(fcntl::AT_FDCWD),
        c!(fcntl::AT_SYMLINK_NOFOLLOW),
        c!(fcntl::AT_EACCESS),
        c!(fcntl::AT_REMOVEDIR),
        c!(fcntl::AT_SYMLINK_FOLLOW),
        c!(fcntl::AT_NO_AUTOMOUNT),
        c!(fcntl::AT_EMPTY_PATH),
        c!(fcntl::AT_STATX_FORCE_SYNC),
        c!(fcntl::AT_STATX_DONT_SYNC),
        c!(fcntl::AT_RECURSIVE),
        c!(fcntl::SEEK_SET),
        c!(fcntl::SEEK_CUR),
        c!(fcntl::SEEK_END),
        c!(fcntl::SEEK_DATA),
        c!(fcntl::SEEK_HOLE),
        c!(ioctl::IOC_NONE),
        c!(ioctl::IOC_WRITE),
        c!(ioctl::IOC_READ),
        c!(ioctl::TCGETS),
        c!(ioctl::TCSETS),
        c!(ioctl::TCSETSW),
        c!(ioctl::TCSETSF),
        c!(ioctl::TCSBRK),
        c!(ioctl::TCXONC),
        c!(ioctl::TCFLSH),
        c!(ioctl::TIOCEXCL),
        c!(ioctl::TIOCNXCL),
        c!(ioctl::TIOCSCTTY),
        c!(ioctl::TIOCGPGRP),
        c!(ioctl::TIOCSPGRP),
        c!(ioctl::TIOCOUTQ),
        c!(ioctl::TIOCSTI),
        c!(ioctl::TIOCGWINSZ),
        c!(ioctl::TIOCSWINSZ),
        c!(ioctl::FIONREAD),
        c!(ioctl::TIOCINQ),
        c!(ioctl::FIONBIO),
        c!(ioctl::TIOCNOTTY),
        c!(ioctl::TIOCGSID),
        c!(ioctl::TCGETS2),
        c!(ioctl::TCSETS2),
        c!(ioctl::TIOCGPTN),
        c!(ioctl::TIOCSPTLCK),
        c!(ioctl::FIONCLEX),
        c!(ioctl::FIOCLEX),
        c!(ioctl::FIOASYNC),
        c!(mman::PROT_NONE),
        c!(mman::PROT_READ),
        c!(mman::PROT_WRITE),
        c!(mman::PROT_EXEC),
        c!(mman::PROT_SEM),
        c!(mman::PROT_GROWSDOWN),
        c!(mman::PROT_GROWSUP),
        c!(mman::MAP_SHARED),
        c!(mman::MAP_PRIVATE),
        c!(mman::MAP_SHARED_VALIDATE),
        c!(mman::MAP_TYPE),
        c!(mman::MAP_FIXED),
        c!(mman::MAP_ANONYMOUS),
        c!(mman::MAP_32BIT),
        c!(mman::MAP_GROWSDOWN),
        c!(mman::MAP_DENYWRITE),
        c!(mman::MAP_EXECUTABLE),
        c!(mman::MAP_LOCKED),
        c!(mman::MAP_NORESERVE),
        c!(mman::MAP_POPULATE),
        c!(mman::MAP_NONBLOCK),
        c!(mman::MAP_STACK),
        c!(mman::MAP_HUGETLB),
        c!(mman::MAP_SYNC),
        c!(mman::MAP_FIXED_NOREPLACE),
        c!(mman::MAP_UNINITIALIZED),
        c!(mman::MADV_NORMAL),
        c!(mman::MADV_RANDOM),
        c!(mman::MADV_SEQUENTIAL),
        c!(mman::MADV_WILLNEED),
        c!(mman::MADV_DONTNEED),
        c!(mman::MADV_FREE),
        c!(mman::MADV_REMOVE),
        c!(mman::MADV_DONTFORK),
        c!(mman::MADV_DOFORK),
        c!(mman::MADV_MERGEABLE),
        c!(mman::MADV_UNMERGEABLE),
        c!(mman::MADV_HUGEPAGE),
        c!(mman::MADV_NOHUGEPAGE),
        c!(mman::MADV_DONTDUMP),
        c!(mman::MADV_DODUMP),
        c!(mman::MADV_WIPEONFORK),
        c!(mman::MADV_KEEPONFORK),
        c!(mman::MADV_COLD),
        c!(mman::MADV_PAGEOUT),
        c!(mman::MADV_POPULATE_READ),
        c!(mman::MADV_POPULATE_WRITE),
        c!(mman::MADV_DONTNEED_LOCKED),
        c!(mman::MADV_COLLAPSE),
        c!(mman::MADV_HWPOISON),
        c!(mman::MADV_SOFT_OFFLINE),
        c!(mman::MCL_CURRENT),
        c!(mman::MCL_FUTURE),
        c!(mman::MCL_ONFAULT),
        c!(mman::MLOCK_ONFAULT),
        c!(mman::MREMAP_MAYMOVE),
        c!(mman::MREMAP_FIXED),
        c!(mman::MREMAP_DONTUNMAP),
        c!(mman::MS_ASYNC),
        c!(mman::MS_INVALIDATE),
        c!(mman::MS_SYNC),
        c!(mode::S_IFMT),
        c!(mode::S_IFSOCK),
        c!(mode::S_IFLNK),
        c!(mode::S_IFREG),
        c!(mode::S_IFBLK),
        c!(mode::S_IFDIR),
        c!(mode::S_IFCHR),
        c!(mode::S_IFIFO),
        c!(mode::S_ISUID),
        c!(mode::S_ISGID),
        c!(mode::S_ISVTX),
        c!(mode::DT_UNKNOWN),
        c!(mode::DT_FIFO),
        c!(mode::DT_CHR),
        c!(mode::DT_DIR),
        c!(mode::DT_BLK),
        c!(mode::DT_REG),
        c!(mode::DT_LNK),
        c!(mode::DT_SOCK),
        c!(mode::DT_WHT),
        c!(poll::POLLIN),
        c!(poll::POLLPRI),
        c!(poll::POLLOUT),
        c!(poll::POLLERR),
        c!(poll::POLLHUP),
        c!(poll::POLLNVAL),
        c!(poll::POLLRDNORM),
        c!(poll::POLLRDBAND),
        c!(poll::POLLWRNORM),
        c!(poll::POLLWRBAND),
        c!(poll::POLLMSG),
        c!(poll::POLLREMOVE),
        c!(poll::POLLRDHUP),
        c!(ptrace::PTRACE_TRACEME),
        c!(ptrace::PTRACE_PEEKTEXT),
        c!(ptrace::PTRACE_PEEKDATA),
        c!(ptrace::PTRACE_PEEKUSER),
        c!(ptrace::PTRACE_POKETEXT),
        c!(ptrace::PTRACE_POKEDATA),
        c!(ptrace::PTRACE_POKEUSER),
        c!(ptrace::PTRACE_CONT),
        c!(ptrace::PTRACE_KILL),
        c!(ptrace::PTRACE_SINGLESTEP),
        c!(ptrace::PTRACE_GETREGS),
        c!(ptrace::PTRACE_SETREGS),
        c!(ptrace::PTRACE_GETFPREGS),
        c!(ptrace::PTRACE_SETFPREGS),
        c!(ptrace::PTRACE_ATTACH),
        c!(ptrace::PTRACE_DETACH),
        c!(ptrace::PTRACE_GETFPXREGS),
        c!(ptrace::PTRACE_SETFPXREGS),
        c!(ptrace::PTRACE_SYSCALL),
        c!(ptrace::PTRACE_GET_THREAD_AREA),
        c!(ptrace::PTRACE_SET_THREAD_AREA),
        c!(ptrace::PTRACE_ARCH_PRCTL),
        c!(ptrace::PTRACE_SYSEMU),
        c!(ptrace::PTRACE_SYSEMU_SINGLESTEP),
        c!(ptrace::PTRACE_SINGLEBLOCK),
        c!(ptrace::PTRACE_SETOPTIONS),
        c!(ptrace::PTRACE_GETEVENTMSG),
        c!(ptrace::PTRACE_GETSIGINFO),
        c!(ptrace::PTRACE_SETSIGINFO),
        c!(ptrace::PTRACE_GETREGSET),
        c!(ptrace::PTRACE_SETREGSET),
        c!(ptrace::PTRACE_SEIZE),
        c!(ptrace::PTRACE_INTERRUPT),
        c!(ptrace::PTRACE_LISTEN),
        c!(ptrace::PTRACE_PEEKSIGINFO),
        c!(ptrace::PTRACE_GETSIGMASK),
        c!(ptrace::PTRACE_SETSIGMASK),
        c!(ptrace::PTRACE_SECCOMP_GET_FILTER),
        c!(ptrace::PTRACE_SECCOMP_GET_METADATA),
        c!(ptrace::PTRACE_GET_SYSCALL_INFO),
        c!(ptrace::PTRACE_GET_RSEQ_CONFIGURATION),
        c!(ptrace::PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG),
        c!(ptrace::PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG),
        c!(ptrace::PTRACE_O_TRACESYSGOOD),
        c!(ptrace::PTRACE_O_TRACEFORK),
        c!(ptrace::PTRACE_O_TRACEVFORK),
        c!(ptrace::PTRACE_O_TRACECLONE),
        c!(ptrace::PTRACE_O_TRACEEXEC),
        c!(ptrace::PTRACE_O_TRACEVFORKDONE),
        c!(ptrace::PTRACE_O_TRACEEXIT),
        c!(ptrace::PTRACE_O_TRACESECCOMP),
        c!(ptrace::PTRACE_O_EXITKILL),
        c!(ptrace::PTRACE_O_SUSPEND_SECCOMP),
        c!(ptrace::PTRACE_O_MASK),
        c!(ptrace::PTRACE_EVENT_FORK),
        c!(ptrace::PTRACE_EVENT_VFORK),
        c!(ptrace::PTRACE_EVENT_CLONE),
        c!(ptrace::PTRACE_EVENT_EXEC),
        c!(ptrace::PTRACE_EVENT_VFORK_DONE),
        c!(ptrace::PTRACE_EVENT_EXIT),
        c!(ptrace::PTRACE_EVENT_SECCOMP),
        c!(ptrace::PTRACE_EVENT_STOP),
        c!(ptrace::NT_PRSTATUS),
        c!(ptrace::NT_PRFPREG),
        c!(ptrace::NT_X86_XSTATE),
        c!(random::GRND_NONBLOCK),
        c!(random::GRND_RANDOM),
        c!(random::GRND_INSECURE),
        c!(resource::RLIMIT_CPU),
        c!(resource::RLIMIT_FSIZE),
        c!(resource::RLIMIT_DATA),
        c!(resource::RLIMIT_STACK),
        c!(resource::RLIMIT_CORE),
        c!(resource::RLIMIT_RSS),
        c!(resource::RLIMIT_NPROC),
        c!(resource::RLIMIT_NOFILE),
        c!(resource::RLIMIT_MEMLOCK),
        c!(resource::RLIMIT_AS),
        c!(resource::RLIMIT_LOCKS),
        c!(resource::RLIMIT_SIGPENDING),
        c!(resource::RLIMIT_MSGQUEUE),
        c!(resource::RLIMIT_NICE),
        c!(resource::RLIMIT_RTPRIO),
        c!(resource::RLIMIT_RTTIME),
        c!(resource::RLIM_NLIMITS),
        c!(resource::RLIM_INFINITY),
        c!(resource::RUSAGE_SELF),
        c!(resource::RUSAGE_CHILDREN),
        c!(resource::RUSAGE_THREAD),
        c!(sched::CSIGNAL),
        c!(sched::CLONE_NEWTIME),
        c!(sched::CLONE_VM),
        c!(sched::CLONE_FS),
        c!(sched::CLONE_FILES),
        c!(sched::CLONE_SIGHAND),
        c!(sched::CLONE_PIDFD),
        c!(sched::CLONE_PTRACE),
        c!(sched::CLONE_VFORK),
        c!(sched::CLONE_PARENT),
        c!(sched::CLONE_THREAD),
        c!(sched::CLONE_NEWNS),
        c!(sched::CLONE_SYSVSEM),
        c!(sched::CLONE_SETTLS),
        c!(sched::CLONE_PARENT_SETTID),
        c!(sched::CLONE_CHILD_CLEARTID),
        c!(sched::CLONE_DETACHED),
        c!(sched::CLONE_UNTRACED),
        c!(sched::CLONE_CHILD_SETTID),
        c!(sched::CLONE_NEWCGROUP),
        c!(sched::CLONE_NEWUTS),
        c!(sched::CLONE_NEWIPC),
        c!(sched::CLONE_NEWUSER),
        c!(sched::CLONE_NEWPID),
        c!(sched::CLONE_NEWNET),
        c!(sched::CLONE_IO),
        c!(sched::CLONE_CLEAR_SIGHAND),
        c!(sched::CLONE_INTO_CGROUP),
        c!(sicode::SI_USER),
        c!(sicode::SI_KERNEL),
        c!(sicode::SI_QUEUE),
        c!(sicode::SI_TIMER),
        c!(sicode::SI_MESGQ),
        c!(sicode::SI_ASYNCIO),
        c!(sicode::SI_SIGIO),
        c!(sicode::SI_TKILL),
        c!(sicode::SI_DETHREAD),
        c!(sicode::SI_ASYNCNL),
        c!(sicode::ILL_ILLOPC),
        c!(sicode::ILL_ILLOPN),
        c!(sicode::ILL_ILLADR),
        c!(sicode::ILL_ILLTRP),
        c!(sicode::ILL_PRVOPC),
        c!(sicode::ILL_PRVREG),
        c!(sicode::ILL_COPROC),
        c!(sicode::ILL_BADSTK),
        c!(sicode::FPE_INTDIV),
        c!(sicode::FPE_INTOVF),
        c!(sicode::FPE_FLTDIV),
        c!(sicode::FPE_FLTOVF),
        c!(sicode::FPE_FLTUND),
        c!(sicode::FPE_FLTRES),
        c!(sicode::FPE_FLTINV),
        c!(sicode::FPE_FLTSUB),
        c!(sicode::SEGV_MAPERR),
        c!(sicode::SEGV_ACCERR),
        c!(sicode::SEGV_BNDERR),
        c!(sicode::SEGV_PKUERR),
        c!(sicode::BUS_ADRALN),
        c!(sicode::BUS_ADRERR),
        c!(sicode::BUS_OBJERR),
        c!(sicode::BUS_MCEERR_AR),
        c!(sicode::BUS_MCEERR_AO),
        c!(sicode::TRAP_BRKPT),
        c!(sicode::TRAP_TRACE),
        c!(sicode::TRAP_BRANCH),
        c!(sicode::TRAP_HWBKPT),
        c!(sicode::TRAP_UNK),
        c!(sicode::CLD_EXITED),
        c!(sicode::CLD_KILLED),
        c!(sicode::CLD_DUMPED),
        c!(sicode::CLD_TRAPPED),
        c!(sicode::CLD_STOPPED),
        c!(sicode::CLD_CONTINUED),
        c!(sicode::POLL_IN),
        c!(sicode::POLL_OUT),
        c!(sicode::POLL_MSG),
        c!(sicode::POLL_ERR),
        c!(sicode::POLL_PRI),
        c!(sicode::POLL_HUP),
        c!(signal::SIGHUP),
        c!(signal::SIGINT),
        c!(signal::SIGQUIT),
        c!(signal::SIGILL),
        c!(signal::SIGTRAP),
        c!(signal::SIGABRT),
        c!(signal::SIGIOT),
        c!(signal::SIGBUS),
        c!(signal::SIGFPE),
        c!(signal::SIGKILL),
        c!(signal::SIGUSR1),
        c!(signal::SIGSEGV),
        c!(signal::SIGUSR2),
        c!(signal::SIGPIPE),
        c!(signal::SIGALRM),
        c!(signal::SIGTERM),
        c!(signal::SIGSTKFLT),
        c!(signal::SIGCHLD),
        c!(signal::SIGCONT),
        c!(signal::SIGSTOP),
        c!(signal::SIGTSTP),
        c!(signal::SIGTTIN),
        c!(signal::SIGTTOU),
        c!(signal::SIGURG),
        c!(signal::SIGXCPU),
        c!(signal::SIGXFSZ),
        c!(signal::SIGVTALRM),
        c!(signal::SIGPROF),
        c!(signal::SIGWINCH),
        c!(signal::SIGIO),
        c!(signal::SIGPOLL),
        c!(signal::SIGPWR),
        c!(signal::SIGSYS),
        c!(signal::SIGRTMIN),
        c!(signal::SA_NOCLDSTOP),
        c!(signal::SA_NOCLDWAIT),
        c!(signal::SA_SIGINFO),
        c!(signal::SA_UNSUPPORTED),
        c!(signal::SA_EXPOSE_TAGBITS),
        c!(signal::SA_RESTORER),
        c!(signal::SA_ONSTACK),
        c!(signal::SA_RESTART),
        c!(signal::SA_NODEFER),
        c!(signal::SA_RESETHAND),
        c!(signal::SIG_BLOCK),
        c!(signal::SIG_UNBLOCK),
        c!(signal::SIG_SETMASK),
        c!(signal::SS_ONSTACK),
        c!(signal::SS_DISABLE),
        c!(signal::SS_AUTODISARM),
        c!(signal::MINSIGSTKSZ),
        c!(signal::SIGSTKSZ),
        c!(wait::WNOHANG),
        c!(wait::WUNTRACED),
        c!(wait::WSTOPPED),
        c!(wait::WEXITED),
        c!(wait::WCONTINUED),
        c!(wait::WNOWAIT),
        c!(wait::__WNOTHREAD),
        c!(wait::__WALL),
        c!(wait::__WCLONE),
        c!(wait::P_ALL),
        c!(wait::P_PID),
        c!(wait::P_PGID),
        c!(wait::P_PIDFD),
    ]
}

/// (our struct name, its C type, its size, its fields).
type Layout = (
    &'static str,
    &'static str,
    usize,
    &'static [(&'static str, usize)],
);

fn layouts() -> Vec<Layout> {
    macro_rules! l {
        ($t:ty, $c:expr) => {
            (stringify!($t), $c, <$t>::SIZE, <$t>::FIELDS)
        };
    }
    vec![
        l!(Stat, "struct stat"),
        l!(KernelSigaction, "struct sigaction"),
        l!(StackT, "stack_t"),
        l!(Siginfo, "siginfo_t"),
        l!(SigContext, "struct sigcontext"),
        l!(UContext, "struct ucontext"),
        l!(Termios, "struct termios"),
        l!(Winsize, "struct winsize"),
        l!(Rusage, "struct rusage"),
        l!(Timespec, "struct __kernel_timespec"),
        l!(Timeval, "struct __kernel_old_timeval"),
        l!(Timezone, "struct timezone"),
        l!(ItimerVal, "struct itimerval"),
        l!(Itimerspec, "struct itimerspec"),
        l!(Rlimit, "struct rlimit"),
        l!(Sysinfo, "struct sysinfo"),
        l!(Iovec, "struct iovec"),
        l!(Pollfd, "struct pollfd"),
        l!(Utsname, "struct new_utsname"),
        l!(Sigevent, "sigevent_t"),
        l!(Tms, "struct tms"),
    ]
}

/// Union members of siginfo_t and sigevent_t, checked against our
/// accessor offsets.
const UNION_MEMBERS: &[(&str, &str, usize)] = &[
    ("siginfo_t", "si_pid", Siginfo::PID_OFFSET),
    ("siginfo_t", "si_uid", Siginfo::UID_OFFSET),
    ("siginfo_t", "si_tid", Siginfo::TIMERID_OFFSET),
    ("siginfo_t", "si_overrun", Siginfo::OVERRUN_OFFSET),
    ("siginfo_t", "si_value", Siginfo::VALUE_OFFSET),
    ("siginfo_t", "si_status", Siginfo::STATUS_OFFSET),
    ("siginfo_t", "si_utime", Siginfo::UTIME_OFFSET),
    ("siginfo_t", "si_stime", Siginfo::STIME_OFFSET),
    ("siginfo_t", "si_addr", Siginfo::ADDR_OFFSET),
    ("siginfo_t", "si_band", Siginfo::BAND_OFFSET),
    ("siginfo_t", "si_fd", Siginfo::FD_OFFSET),
    ("sigevent_t", "sigev_notify_thread_id", 16),
];

/// Names the C library lacks, so this test is their only check: they
/// must be defined by the headers.
const MUST_BE_IN_HEADERS: &[&str] = &[
    "ARCH_GET_CPUID",
    "ARCH_GET_FS",
    "ARCH_GET_GS",
    "ARCH_MAP_VDSO_32",
    "ARCH_MAP_VDSO_64",
    "ARCH_MAP_VDSO_X32",
    "ARCH_SET_CPUID",
    "ARCH_SET_FS",
    "ARCH_SET_GS",
    "FPE_FLTDIV",
    "FPE_FLTINV",
    "FPE_FLTOVF",
    "FPE_FLTRES",
    "FPE_FLTSUB",
    "FPE_FLTUND",
    "FPE_INTDIV",
    "FPE_INTOVF",
    "F_GETOWN_EX",
    "F_GETSIG",
    "F_SETOWN_EX",
    "F_SETSIG",
    "ILL_BADSTK",
    "ILL_COPROC",
    "ILL_ILLADR",
    "ILL_ILLOPC",
    "ILL_ILLOPN",
    "ILL_ILLTRP",
    "ILL_PRVOPC",
    "ILL_PRVREG",
    "MAP_UNINITIALIZED",
    "NT_X86_XSTATE",
    "POLLMSG",
    "POLLREMOVE",
    "POLL_ERR",
    "POLL_HUP",
    "POLL_IN",
    "POLL_MSG",
    "POLL_OUT",
    "POLL_PRI",
    "PROT_SEM",
    "PTRACE_ARCH_PRCTL",
    "PTRACE_GET_THREAD_AREA",
    "PTRACE_SECCOMP_GET_FILTER",
    "PTRACE_SECCOMP_GET_METADATA",
    "PTRACE_SET_THREAD_AREA",
    "PTRACE_SINGLEBLOCK",
    "SA_EXPOSE_TAGBITS",
    "SA_RESTORER",
    "SA_UNSUPPORTED",
    "SEGV_ACCERR",
    "SEGV_BNDERR",
    "SEGV_MAPERR",
    "SEGV_PKUERR",
    "SS_AUTODISARM",
    "__O_SYNC",
    "__O_TMPFILE",
    "O_LARGEFILE",
    "CLONE_CLEAR_SIGHAND",
    "CLONE_INTO_CGROUP",
    "RLIM_NLIMITS",
    "SIGRTMIN",
    "NT_PRSTATUS",
    "NT_PRFPREG",
    "TCGETS2",
    "TCSETS2",
    "TIOCGPTN",
    "TIOCSPTLCK",
    "MINSIGSTKSZ",
    "SIGSTKSZ",
];

const HEADERS: &str = "
#include <stddef.h>
#include <linux/types.h>
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <linux/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <asm/stat.h>
#include <asm/termbits.h>
#include <asm/termios.h>
#include <asm/ioctls.h>
#include <asm/prctl.h>
#include <asm/unistd_64.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/times.h>
#include <linux/resource.h>
#include <linux/utsname.h>
#include <linux/wait.h>
#include <linux/random.h>
#include <linux/ptrace.h>
#include <linux/elf.h>
#include <linux/auxvec.h>
#include <linux/poll.h>
#include <linux/stat.h>
#include <linux/sysinfo.h>
#include <linux/uio.h>
int printf(const char *, ...);
";

fn c_program() -> String {
    let mut s = String::from(HEADERS);
    s.push_str("int main(void) {\n");
    for (name, _, _) in constants() {
        writeln!(
            s,
            "#ifdef {name}\n  printf(\"c {name} %lld\\n\", (long long)({name}));\n#endif"
        )
        .unwrap();
    }
    for nr in 0..=syscall::SYSCALL_MAX as u64 {
        if let Some(n) = syscall_name(nr) {
            writeln!(
                s,
                "#ifdef __NR_{n}\n  printf(\"nr {n} %lld\\n\", (long long)__NR_{n});\n#endif"
            )
            .unwrap();
        }
    }
    for (ours, cty, _, fields) in layouts() {
        writeln!(s, "  printf(\"size {ours} %zu\\n\", sizeof({cty}));").unwrap();
        for (f, _) in fields {
            if f.starts_with("_pad") {
                continue;
            }
            writeln!(
                s,
                "  printf(\"off {ours} {f} %zu\\n\", offsetof({cty}, {f}));"
            )
            .unwrap();
        }
    }
    for (cty, member, _) in UNION_MEMBERS {
        writeln!(
            s,
            "  printf(\"union {cty} {member} %zu\\n\", offsetof({cty}, {member}));"
        )
        .unwrap();
    }
    s.push_str("  return 0;\n}\n");
    s
}

/// Compile and run the program; its output lines, split in words.
fn run_c_program() -> Vec<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("ferrite-abi-headers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("abi.c");
    let exe = dir.join("abi");
    std::fs::write(&src, c_program()).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
    assert!(
        out.status.success(),
        "compiling {} failed (are the Linux UAPI headers installed?):\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn constants_structures_and_numbers_match_uapi_headers() {
    let lines = run_c_program();
    let mut from_c: BTreeMap<(String, String), i128> = BTreeMap::new();
    let mut offs: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for l in &lines {
        match l[0].as_str() {
            "c" | "nr" => {
                from_c.insert((l[0].clone(), l[1].clone()), l[2].parse().unwrap());
            }
            "size" => {
                sizes.insert(l[1].clone(), l[2].parse().unwrap());
            }
            "off" | "union" => {
                offs.insert((l[1].clone(), l[2].clone()), l[3].parse().unwrap());
            }
            other => panic!("unexpected line kind {other}"),
        }
    }

    // Constants: equal in the low bits of our type (C macros are `int`,
    // `unsigned` or `long` expressions).
    let mut checked = 0;
    for (name, ours, size) in constants() {
        if let Some(&c) = from_c.get(&("c".into(), name.into())) {
            let mask = if size >= 16 {
                !0
            } else {
                (1i128 << (8 * size)) - 1
            };
            assert_eq!(
                ours & mask,
                c & mask,
                "{name}: ours {ours:#x}, headers {c:#x}"
            );
            checked += 1;
        }
    }
    for name in MUST_BE_IN_HEADERS {
        assert!(
            from_c.contains_key(&("c".into(), (*name).into())),
            "{name} is not defined by the UAPI headers: check its value by hand"
        );
    }
    assert!(
        checked > 300,
        "only {checked} constants found in the headers"
    );

    // System-call numbers: every number the headers define has our name.
    let mut nrs = 0;
    for nr in 0..=syscall::SYSCALL_MAX as u64 {
        if let Some(n) = syscall_name(nr)
            && let Some(&c) = from_c.get(&("nr".into(), n.into()))
        {
            assert_eq!(c, nr as i128, "__NR_{n}");
            nrs += 1;
        }
    }
    assert!(nrs >= 360, "only {nrs} system calls in the headers");

    // Structures: size and every field offset.
    for (ours, cty, size, fields) in layouts() {
        assert_eq!(sizes[ours], size, "sizeof({cty}) vs {ours}");
        for (f, off) in fields {
            if f.starts_with("_pad") {
                continue;
            }
            assert_eq!(
                offs[&(ours.to_string(), f.to_string())],
                *off,
                "offsetof({cty}, {f}) vs {ours}.{f}"
            );
        }
    }
    for (cty, member, off) in UNION_MEMBERS {
        assert_eq!(
            offs[&(cty.to_string(), member.to_string())],
            *off,
            "offsetof({cty}, {member})"
        );
    }
}

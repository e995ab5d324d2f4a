//! Names, descriptions and the strace-style formatters (expected strings
//! as strace prints them), plus the small helpers (signal defaults,
//! dirent records, siginfo forms, frame placement).

use ferrite_abi::*;

#[test]
fn syscall_names() {
    assert_eq!(syscall_name(0), Some("read"));
    assert_eq!(syscall_name(60), Some("exit"));
    assert_eq!(syscall_name(231), Some("exit_group"));
    assert_eq!(syscall_name(158), Some("arch_prctl"));
    assert_eq!(syscall_name(334), Some("rseq"));
    assert_eq!(syscall_name(335), None);
    assert_eq!(syscall_name(423), None);
    assert_eq!(syscall_name(424), Some("pidfd_send_signal"));
    assert_eq!(syscall_name(462), Some("mseal"));
    assert_eq!(syscall_name(463), None);
    assert_eq!(syscall_name(u64::MAX), None);
    let named: Vec<u64> = (0..=462).filter(|&n| syscall_name(n).is_some()).collect();
    assert_eq!(named.len(), 374);
    for n in named {
        assert_eq!(syscall::syscall_number(syscall_name(n).unwrap()), Some(n));
    }
    assert_eq!(syscall::syscall_number("no_such_call"), None);
    assert_eq!(syscall::syscall_number(""), None);
}

#[test]
fn errno_names_and_returns() {
    assert_eq!(Errno::all().count(), 131 + 4);
    for e in Errno::all() {
        assert_eq!(Errno::from_raw(e.as_i32()), Some(e));
        assert_eq!(Errno::from_ret(e.to_ret()), Some(e));
        assert!(e.name().starts_with('E'));
        assert!(!e.description().is_empty());
        assert_eq!(e.to_string(), e.name());
    }
    assert_eq!(Errno::ENOENT.name(), "ENOENT");
    assert_eq!(Errno::ENOENT.description(), "No such file or directory");
    assert_eq!(Errno::EHWPOISON as i32, 133);
    assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN);
    assert_eq!(Errno::ERESTARTSYS as i32, 512);
    assert_eq!(Errno::ERESTART_RESTARTBLOCK as i32, 516);
    assert!(Errno::ERESTARTNOHAND.is_restart() && !Errno::EINTR.is_restart());
    assert_eq!(Errno::from_raw(0), None);
    assert_eq!(Errno::from_raw(515), None);
    assert_eq!(Errno::from_ret(0), None);
    assert_eq!(Errno::from_ret(-4096), None);
    assert_eq!(Errno::from_ret(-1), Some(Errno::EPERM));
    assert_eq!(Errno::from_ret(7), None);
}

#[test]
fn signals() {
    assert_eq!(signal_name(signal::SIGSEGV), Some("SIGSEGV"));
    assert_eq!(signal_name(32), Some("SIGRTMIN"));
    assert_eq!(signal_name(35), Some("SIGRTMIN+3"));
    assert_eq!(signal_name(64), Some("SIGRTMAX"));
    assert_eq!(signal_name(0), None);
    assert_eq!(signal_name(65), None);
    use DefaultAction::*;
    let want = [
        (1, Term),
        (2, Term),
        (3, Core),
        (4, Core),
        (5, Core),
        (6, Core),
        (7, Core),
        (8, Core),
        (9, Term),
        (10, Term),
        (11, Core),
        (12, Term),
        (13, Term),
        (14, Term),
        (15, Term),
        (16, Term),
        (17, Ign),
        (18, Cont),
        (19, Stop),
        (20, Stop),
        (21, Stop),
        (22, Stop),
        (23, Ign),
        (24, Core),
        (25, Core),
        (26, Term),
        (27, Term),
        (28, Ign),
        (29, Term),
        (30, Term),
        (31, Core),
        (32, Term),
        (64, Term),
    ];
    for (sig, act) in want {
        assert_eq!(default_action(sig), Some(act), "{sig}");
    }
    assert_eq!(default_action(0), None);
    assert_eq!(signal::fmt_signal(9).to_string(), "SIGKILL");
    assert_eq!(signal::fmt_signal(99).to_string(), "99");
}

#[test]
fn sigset_display_and_mask_rules() {
    let s: SigSet = [signal::SIGINT, signal::SIGTERM].into_iter().collect();
    assert_eq!(s.to_string(), "[SIGINT SIGTERM]");
    assert_eq!(s.bits(), (1 << 1) | (1 << 14));
    assert_eq!(SigSet::EMPTY.to_string(), "[]");
    assert_eq!(SigSet::FULL.to_string(), "~[]");
    assert_eq!(SigSet::FULL.blockable().to_string(), "~[SIGKILL SIGSTOP]");
    assert_eq!(SigSet::single(64).to_string(), "[SIGRTMAX]");
    assert_eq!(SigSet::single(0), SigSet::EMPTY);
    // rt_sigprocmask never blocks SIGKILL/SIGSTOP.
    let m = SigSet::EMPTY
        .apply(signal::SIG_SETMASK, SigSet::FULL)
        .unwrap();
    assert!(
        !m.contains(signal::SIGKILL) && !m.contains(signal::SIGSTOP) && m.contains(signal::SIGINT)
    );
    let m = m
        .apply(signal::SIG_UNBLOCK, SigSet::single(signal::SIGINT))
        .unwrap();
    assert!(!m.contains(signal::SIGINT));
    let m = m.apply(signal::SIG_BLOCK, s).unwrap();
    assert!(m.contains(signal::SIGINT));
    assert_eq!(m.apply(3, s), None);
    assert_eq!(s.first(), Some(signal::SIGINT));
    assert_eq!(s.iter().collect::<Vec<_>>(), [2, 15]);
    assert_eq!(format!("{s:?}"), "SigSet([SIGINT SIGTERM])");
}

#[test]
fn flag_formatters() {
    use fcntl::*;
    assert_eq!(fmt_open_flags(O_RDONLY).to_string(), "O_RDONLY");
    assert_eq!(
        fmt_open_flags(O_RDONLY | O_CLOEXEC).to_string(),
        "O_RDONLY|O_CLOEXEC"
    );
    assert_eq!(
        fmt_open_flags(O_WRONLY | O_CREAT | O_TRUNC | O_LARGEFILE).to_string(),
        "O_WRONLY|O_CREAT|O_TRUNC|O_LARGEFILE"
    );
    assert_eq!(fmt_open_flags(O_RDWR | O_SYNC).to_string(), "O_RDWR|O_SYNC");
    assert_eq!(
        fmt_open_flags(O_RDWR | O_DSYNC).to_string(),
        "O_RDWR|O_DSYNC"
    );
    assert_eq!(
        fmt_open_flags(O_RDWR | O_TMPFILE).to_string(),
        "O_RDWR|O_TMPFILE"
    );
    assert_eq!(
        fmt_open_flags(O_RDONLY | O_DIRECTORY).to_string(),
        "O_RDONLY|O_DIRECTORY"
    );
    assert_eq!(
        fmt_open_flags(3 | 0x4000_0000).to_string(),
        "O_ACCMODE|0x40000000"
    );
    assert_eq!(fmt_dirfd(AT_FDCWD).to_string(), "AT_FDCWD");
    assert_eq!(fmt_dirfd(3).to_string(), "3");
    assert_eq!(
        fmt_at_flags(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW).to_string(),
        "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH"
    );
    assert_eq!(fmt_at_flags(0).to_string(), "0");
    assert_eq!(
        fmt_fcntl_cmd(F_DUPFD_CLOEXEC).to_string(),
        "F_DUPFD_CLOEXEC"
    );
    assert_eq!(fmt_fcntl_cmd(12345).to_string(), "12345");
    assert_eq!(fmt_fd_flags(FD_CLOEXEC).to_string(), "FD_CLOEXEC");
    assert_eq!(fmt_whence(SEEK_END).to_string(), "SEEK_END");

    use mman::*;
    assert_eq!(fmt_prot(PROT_NONE).to_string(), "PROT_NONE");
    assert_eq!(
        fmt_prot(PROT_READ | PROT_WRITE).to_string(),
        "PROT_READ|PROT_WRITE"
    );
    assert_eq!(fmt_prot(PROT_READ | 0x80).to_string(), "PROT_READ|0x80");
    assert_eq!(
        fmt_map_flags(MAP_PRIVATE | MAP_ANONYMOUS).to_string(),
        "MAP_PRIVATE|MAP_ANONYMOUS"
    );
    assert_eq!(
        fmt_map_flags(MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_STACK).to_string(),
        "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_STACK"
    );
    assert_eq!(fmt_map_flags(MAP_SHARED).to_string(), "MAP_SHARED");
    assert_eq!(fmt_map_flags(0).to_string(), "0 /* MAP_??? */");
    assert_eq!(fmt_madvise(MADV_DONTNEED).to_string(), "MADV_DONTNEED");
    assert_eq!(fmt_madvise(77).to_string(), "77");
    assert_eq!(
        fmt_mlockall_flags(MCL_CURRENT | MCL_FUTURE).to_string(),
        "MCL_CURRENT|MCL_FUTURE"
    );
    assert_eq!(
        fmt_mremap_flags(MREMAP_MAYMOVE).to_string(),
        "MREMAP_MAYMOVE"
    );
    assert_eq!(
        fmt_msync_flags(MS_SYNC | MS_INVALIDATE).to_string(),
        "MS_INVALIDATE|MS_SYNC"
    );

    use sched::*;
    let thread = CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SYSVSEM
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID;
    assert_eq!(
        fmt_clone_flags(thread).to_string(),
        "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID"
    );
    assert_eq!(fmt_clone_flags(17).to_string(), "SIGCHLD");
    assert_eq!(fmt_clone_flags(0).to_string(), "0");
    assert_eq!(
        fmt_clone_flags(CLONE_IO | 0x1_0000_0000 | 9).to_string(),
        "CLONE_IO|CLONE_CLEAR_SIGHAND|SIGKILL"
    );

    assert_eq!(
        poll::fmt_poll_events(poll::POLLIN | poll::POLLHUP).to_string(),
        "POLLIN|POLLHUP"
    );
    assert_eq!(poll::fmt_poll_events(0).to_string(), "0");
    assert_eq!(
        random::fmt_grnd_flags(random::GRND_INSECURE).to_string(),
        "GRND_INSECURE"
    );
    assert_eq!(
        clock::fmt_clock_id(clock::CLOCK_MONOTONIC).to_string(),
        "CLOCK_MONOTONIC"
    );
    assert_eq!(
        clock::fmt_itimer_which(clock::ITIMER_REAL).to_string(),
        "ITIMER_REAL"
    );
    assert_eq!(
        resource::fmt_rlimit_resource(resource::RLIMIT_STACK).to_string(),
        "RLIMIT_STACK"
    );
    assert_eq!(
        resource::fmt_rlim(resource::RLIM_INFINITY).to_string(),
        "RLIM_INFINITY"
    );
    assert_eq!(resource::fmt_rlim(8 << 20).to_string(), "8388608");
    assert_eq!(
        ioctl::fmt_ioctl_request(ioctl::TIOCGWINSZ).to_string(),
        "TIOCGWINSZ"
    );
    assert_eq!(ioctl::fmt_ioctl_request(0xdead).to_string(), "0xdead");
    assert_eq!(
        arch_prctl::fmt_arch_prctl_code(arch_prctl::ARCH_SET_FS).to_string(),
        "ARCH_SET_FS"
    );
    assert_eq!(
        ptrace::fmt_ptrace_request(ptrace::PTRACE_GETREGSET).to_string(),
        "PTRACE_GETREGSET"
    );
    assert_eq!(ptrace::fmt_ptrace_request(0x4299).to_string(), "0x4299");
    assert_eq!(
        ptrace::fmt_ptrace_options(ptrace::PTRACE_O_TRACESYSGOOD | ptrace::PTRACE_O_EXITKILL)
            .to_string(),
        "PTRACE_O_TRACESYSGOOD|PTRACE_O_EXITKILL"
    );
    assert_eq!(
        ptrace::fmt_ptrace_event(ptrace::PTRACE_EVENT_EXEC).to_string(),
        "PTRACE_EVENT_EXEC"
    );
    assert_eq!(
        ptrace::fmt_nt_type(ptrace::NT_PRSTATUS).to_string(),
        "NT_PRSTATUS"
    );
    assert_eq!(
        auxv::fmt_auxv_type(auxv::AT_RANDOM).to_string(),
        "AT_RANDOM"
    );
    assert_eq!(
        signal::fmt_sa_flags(signal::SA_RESTORER | signal::SA_SIGINFO).to_string(),
        "SA_SIGINFO|SA_RESTORER"
    );
    assert_eq!(signal::fmt_sa_flags(0).to_string(), "0");
    assert_eq!(
        signal::fmt_sigprocmask_how(signal::SIG_SETMASK).to_string(),
        "SIG_SETMASK"
    );
    assert_eq!(
        wait::fmt_wait_options(wait::WNOHANG | wait::__WALL).to_string(),
        "WNOHANG|__WALL"
    );
    assert_eq!(
        wait::fmt_wait_options(wait::__WCLONE).to_string(),
        "__WCLONE"
    );
    assert_eq!(wait::fmt_idtype(wait::P_PID).to_string(), "P_PID");
    assert_eq!(
        sicode::fmt_si_code(signal::SIGSEGV, sicode::SEGV_ACCERR).to_string(),
        "SEGV_ACCERR"
    );
    assert_eq!(
        sicode::fmt_si_code(signal::SIGCHLD, sicode::CLD_EXITED).to_string(),
        "CLD_EXITED"
    );
    assert_eq!(
        sicode::fmt_si_code(signal::SIGSEGV, sicode::SI_KERNEL).to_string(),
        "SI_KERNEL"
    );
    assert_eq!(
        sicode::fmt_si_code(signal::SIGUSR1, sicode::SI_TKILL).to_string(),
        "SI_TKILL"
    );
    assert_eq!(sicode::fmt_si_code(signal::SIGUSR1, 3).to_string(), "3");
}

#[test]
fn modes_and_dirent_types() {
    use mode::*;
    assert_eq!(fmt_mode(S_IFREG | 0o644).to_string(), "S_IFREG|0644");
    assert_eq!(
        fmt_mode(S_IFDIR | S_ISVTX | 0o777).to_string(),
        "S_IFDIR|S_ISVTX|0777"
    );
    assert_eq!(
        fmt_mode(S_IFREG | S_ISUID | 0o755).to_string(),
        "S_IFREG|S_ISUID|0755"
    );
    assert_eq!(fmt_mode(0o600).to_string(), "0600");
    assert_eq!(fmt_mode(0o7).to_string(), "007");
    assert_eq!(fmt_mode(0).to_string(), "000");
    assert_eq!(fmt_mode(S_IFCHR).to_string(), "S_IFCHR|000");
    for (m, dt) in [
        (S_IFREG, DT_REG),
        (S_IFDIR, DT_DIR),
        (S_IFLNK, DT_LNK),
        (S_IFCHR, DT_CHR),
        (S_IFBLK, DT_BLK),
        (S_IFIFO, DT_FIFO),
        (S_IFSOCK, DT_SOCK),
    ] {
        assert_eq!(dt_from_mode(m | 0o644), dt);
        assert_eq!(mode_from_dt(dt), m);
    }
    assert_eq!(fmt_dt(DT_LNK).to_string(), "DT_LNK");
}

#[test]
fn wait_status_display() {
    assert_eq!(
        WaitStatus::Exited(0).to_string(),
        "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]"
    );
    assert_eq!(
        WaitStatus::Signaled {
            sig: 11,
            core: true
        }
        .to_string(),
        "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]"
    );
    assert_eq!(
        WaitStatus::Stopped(0x85).to_string(),
        "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP|0x80}]"
    );
    assert_eq!(
        WaitStatus::PtraceEvent { sig: 5, event: 4 }.to_string(),
        "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP} | PTRACE_EVENT_EXEC << 16]"
    );
    assert_eq!(WaitStatus::Continued.encode(), 0xffff);
    assert_eq!(WaitStatus::exited(-1).encode(), 0xff00);
    assert_eq!(WaitStatus::decode(0x1_0000), None);
    assert_eq!(WaitStatus::decode(0x0101), None);
    assert_eq!(WaitStatus::decode(-1), None);
}

#[test]
fn siginfo_forms_put_fields_at_linux_offsets() {
    let k = Siginfo::kill(signal::SIGTERM, sicode::SI_USER, 1234, 1000);
    let b = k.to_bytes();
    assert_eq!(b[0..4], 15i32.to_le_bytes());
    assert_eq!(b[8..12], 0i32.to_le_bytes());
    assert_eq!(b[16..20], 1234i32.to_le_bytes());
    assert_eq!(b[20..24], 1000u32.to_le_bytes());
    assert_eq!((k.pid(), k.uid()), (1234, 1000));

    let q = Siginfo::rt(40, sicode::SI_QUEUE, 7, 8, 0x1122_3344_5566_7788);
    assert_eq!(q.to_bytes()[24..32], 0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!((q.pid(), q.uid(), q.value()), (7, 8, 0x1122_3344_5566_7788));

    let f = Siginfo::fault(signal::SIGBUS, sicode::BUS_ADRERR, 0x7fff_0000_1000);
    assert_eq!(f.addr(), 0x7fff_0000_1000);
    assert_eq!(f.to_bytes()[16..24], 0x7fff_0000_1000u64.to_le_bytes());
    assert!(f.to_bytes()[24..].iter().all(|&x| x == 0));

    let c = Siginfo::child(sicode::CLD_KILLED, 99, 0, 9, 3, -4);
    assert_eq!(
        (c.si_signo, c.pid(), c.status(), c.utime(), c.stime()),
        (signal::SIGCHLD, 99, 9, 3, -4)
    );
    assert_eq!(c.to_bytes()[24..28], 9i32.to_le_bytes());
    assert_eq!(c.to_bytes()[40..48], (-4i64).to_le_bytes());

    let t = Siginfo::timer(signal::SIGALRM, 5, 2, 42);
    assert_eq!(
        (t.si_code, t.timerid(), t.overrun(), t.value()),
        (sicode::SI_TIMER, 5, 2, 42)
    );

    let p = Siginfo::poll(signal::SIGIO, sicode::POLL_IN, 0x41, 6);
    assert_eq!((p.band(), p.fd()), (0x41, 6));
    assert_eq!(p.to_bytes()[24..28], 6i32.to_le_bytes());
}

#[test]
fn sigframe_placement() {
    // sp below a 4 KiB-aligned red-zone-adjusted pointer; 832-byte FXSAVE
    // image (512 + XSAVE header + magic).
    let l = sigframe_layout(0x7fff_f000 - 128, 832).unwrap();
    assert_eq!(l.fpstate % 64, 0);
    assert!(l.fpstate + 832 <= 0x7fff_f000 - 128);
    assert!(0x7fff_f000 - 128 - (l.fpstate + 832) < 64);
    assert_eq!((l.frame + 8) % 16, 0);
    assert!(l.frame + RtSigframe::SIZE as u64 <= l.fpstate);
    assert!(l.fpstate - (l.frame + RtSigframe::SIZE as u64) < 16 + 8);
    assert_eq!(sigframe_layout(100, 832), None);
    assert_eq!(RtSigframe::SIZE, 440);
    assert_eq!(std::mem::offset_of!(RtSigframe, uc), 8);
    assert_eq!(std::mem::offset_of!(RtSigframe, info), 312);
}

#[test]
fn dirent_records() {
    assert_eq!(dirent64_reclen(1), 24);
    assert_eq!(dirent64_reclen(4), 24);
    assert_eq!(dirent64_reclen(5), 32);
    let mut buf = [0xaau8; 64];
    let n = write_dirent64(&mut buf, 7, 3, mode::DT_REG, b"hello").unwrap();
    assert_eq!(n, 32);
    assert_eq!(
        read_dirent64(&buf),
        Some((7, 3, 32, mode::DT_REG, &b"hello"[..]))
    );
    assert!(buf[19 + 5..32].iter().all(|&b| b == 0));
    assert_eq!(buf[32], 0xaa, "nothing written past the record");
    assert_eq!(
        write_dirent64(&mut buf[..31], 7, 3, mode::DT_REG, b"hello"),
        None
    );
    assert_eq!(read_dirent64(&buf[..20]), None);
}

#[test]
fn ioctl_encoding() {
    assert_eq!(ioctl::TCGETS2, 0x802c_542a);
    assert_eq!(ioctl::TCSETS2, 0x402c_542b);
    assert_eq!(ioctl::ioc_dir(ioctl::TIOCGPTN), ioctl::IOC_READ);
    assert_eq!(ioctl::ioc_size(ioctl::TIOCGPTN), 4);
    assert_eq!(ioctl::io(b'T', 1), 0x5401);
    assert_eq!(ioctl::iowr(b'x', 2, 8), 0xc008_7802);
}

#[test]
fn utsname_field() {
    let f = uts_field("Ferrite");
    assert_eq!(&f[..8], b"Ferrite\0");
    let long = "x".repeat(100);
    let f = uts_field(&long);
    assert_eq!(f[63], b'x');
    assert_eq!(f[64], 0, "always NUL terminated");
}

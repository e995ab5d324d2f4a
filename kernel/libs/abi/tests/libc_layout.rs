//! Structure layouts against the host C library's (`libc` crate) where it
//! has the same structure, and against the running Linux kernel: raw
//! system calls fill our byte images (fstat, uname, waitid, rt_sigaction,
//! sigaltstack, getdents64, getrlimit, clock_gettime) and a real signal
//! handler checks the rt_sigframe layout.
//!
//! Calling the C library and the kernel needs `unsafe`; each block says
//! why it is sound. The crate under test itself has no `unsafe`.

use std::mem::{offset_of, size_of};

use ferrite_abi::*;

/// Same size, and every listed field at the same offset (fields with the
/// same name in both).
macro_rules! same_layout {
    ($ours:ty, $theirs:ty; $($f:ident),* $(,)?) => {{
        assert_eq!(size_of::<$ours>(), size_of::<$theirs>(), "size of {}", stringify!($ours));
        $(
            assert_eq!(
                offset_of!($ours, $f),
                offset_of!($theirs, $f),
                "{}.{}",
                stringify!($ours),
                stringify!($f)
            );
        )*
    }};
}

#[test]
fn layouts_match_libc() {
    same_layout!(Stat, libc::stat; st_dev, st_ino, st_nlink, st_mode, st_uid, st_gid, st_rdev,
        st_size, st_blksize, st_blocks, st_atime, st_atime_nsec, st_mtime, st_mtime_nsec,
        st_ctime, st_ctime_nsec);
    same_layout!(Timespec, libc::timespec; tv_sec, tv_nsec);
    same_layout!(Timeval, libc::timeval; tv_sec, tv_usec);
    same_layout!(Rusage, libc::rusage; ru_utime, ru_stime, ru_maxrss, ru_ixrss, ru_idrss,
        ru_isrss, ru_minflt, ru_majflt, ru_nswap, ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv,
        ru_nsignals, ru_nvcsw, ru_nivcsw);
    same_layout!(Utsname, libc::utsname; sysname, nodename, release, version, machine,
        domainname);
    same_layout!(StackT, libc::stack_t; ss_sp, ss_flags, ss_size);
    same_layout!(Rlimit, libc::rlimit; rlim_cur, rlim_max);
    same_layout!(Sysinfo, libc::sysinfo; uptime, loads, totalram, freeram, sharedram, bufferram,
        totalswap, freeswap, procs, pad, totalhigh, freehigh, mem_unit);
    same_layout!(Iovec, libc::iovec; iov_base, iov_len);
    same_layout!(Pollfd, libc::pollfd; fd, events, revents);
    same_layout!(Winsize, libc::winsize; ws_row, ws_col, ws_xpixel, ws_ypixel);
    same_layout!(Tms, libc::tms; tms_utime, tms_stime, tms_cutime, tms_cstime);
    same_layout!(ItimerVal, libc::itimerval; it_interval, it_value);
    same_layout!(Itimerspec, libc::itimerspec; it_interval, it_value);
    same_layout!(UserRegsStruct, libc::user_regs_struct; r15, r14, r13, r12, rbp, rbx, r11, r10,
        r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss, fs_base, gs_base, ds,
        es, fs, gs);
    same_layout!(UserFpregsStruct, libc::user_fpregs_struct; cwd, swd, ftw, fop, rip, rdp,
        mxcsr, mxcr_mask, st_space, xmm_space);
    same_layout!(Sigevent, libc::sigevent; sigev_value, sigev_signo, sigev_notify);
    assert_eq!(size_of::<Siginfo>(), size_of::<libc::siginfo_t>());
    assert_eq!(
        offset_of!(Siginfo, si_signo),
        offset_of!(libc::siginfo_t, si_signo)
    );
    assert_eq!(
        offset_of!(Siginfo, si_errno),
        offset_of!(libc::siginfo_t, si_errno)
    );
    assert_eq!(
        offset_of!(Siginfo, si_code),
        offset_of!(libc::siginfo_t, si_code)
    );

    // The kernel's termios is the prefix of termios2 (which adds speeds);
    // glibc's `termios` is its own, larger structure.
    for (ours, theirs) in [
        (
            offset_of!(Termios, c_iflag),
            offset_of!(libc::termios2, c_iflag),
        ),
        (
            offset_of!(Termios, c_oflag),
            offset_of!(libc::termios2, c_oflag),
        ),
        (
            offset_of!(Termios, c_cflag),
            offset_of!(libc::termios2, c_cflag),
        ),
        (
            offset_of!(Termios, c_lflag),
            offset_of!(libc::termios2, c_lflag),
        ),
        (
            offset_of!(Termios, c_line),
            offset_of!(libc::termios2, c_line),
        ),
        (offset_of!(Termios, c_cc), offset_of!(libc::termios2, c_cc)),
    ] {
        assert_eq!(ours, theirs);
    }
    assert_eq!(size_of::<Termios>(), offset_of!(libc::termios2, c_ispeed));
    assert_eq!(size_of::<libc::termios2>(), 44);

    // The C library's ucontext_t starts like the kernel's; its mcontext_t
    // is the kernel's sigcontext (gregs[REG_*] in sigcontext order).
    same_layout!(SigContext, libc::mcontext_t;);
    assert_eq!(
        offset_of!(UContext, uc_flags),
        offset_of!(libc::ucontext_t, uc_flags)
    );
    assert_eq!(
        offset_of!(UContext, uc_link),
        offset_of!(libc::ucontext_t, uc_link)
    );
    assert_eq!(
        offset_of!(UContext, uc_stack),
        offset_of!(libc::ucontext_t, uc_stack)
    );
    assert_eq!(
        offset_of!(UContext, uc_mcontext),
        offset_of!(libc::ucontext_t, uc_mcontext)
    );
    assert_eq!(
        offset_of!(UContext, uc_sigmask),
        offset_of!(libc::ucontext_t, uc_sigmask)
    );
    for (reg, ours) in [
        (libc::REG_R8, offset_of!(SigContext, r8)),
        (libc::REG_R15, offset_of!(SigContext, r15)),
        (libc::REG_RDI, offset_of!(SigContext, rdi)),
        (libc::REG_RSI, offset_of!(SigContext, rsi)),
        (libc::REG_RBP, offset_of!(SigContext, rbp)),
        (libc::REG_RBX, offset_of!(SigContext, rbx)),
        (libc::REG_RDX, offset_of!(SigContext, rdx)),
        (libc::REG_RAX, offset_of!(SigContext, rax)),
        (libc::REG_RCX, offset_of!(SigContext, rcx)),
        (libc::REG_RSP, offset_of!(SigContext, rsp)),
        (libc::REG_RIP, offset_of!(SigContext, rip)),
        (libc::REG_EFL, offset_of!(SigContext, eflags)),
        (libc::REG_CSGSFS, offset_of!(SigContext, cs)),
        (libc::REG_ERR, offset_of!(SigContext, err)),
        (libc::REG_TRAPNO, offset_of!(SigContext, trapno)),
        (libc::REG_OLDMASK, offset_of!(SigContext, oldmask)),
        (libc::REG_CR2, offset_of!(SigContext, cr2)),
    ] {
        assert_eq!(reg as usize * 8, ours, "gregs[{reg}]");
    }
    assert_eq!(
        offset_of!(libc::mcontext_t, fpregs),
        offset_of!(SigContext, fpstate)
    );

    // struct user, for PEEKUSER offsets.
    assert_eq!(offset_of!(libc::user, regs), ptrace::USER_REGS_OFFSET);
    assert_eq!(
        offset_of!(libc::user, u_debugreg),
        ptrace::USER_DEBUGREG_OFFSET
    );
    assert_eq!(size_of::<libc::user>(), ptrace::USER_SIZE);

    // getdents64 records.
    assert_eq!(offset_of!(libc::dirent64, d_name), DIRENT64_NAME_OFFSET);
    assert_eq!(offset_of!(libc::dirent64, d_reclen), 16);
    assert_eq!(offset_of!(libc::dirent64, d_type), 18);
}

/// A raw system call with up to four arguments (the fifth and sixth are
/// passed as 0, so that e.g. waitid's rusage pointer is NULL); returns the
/// raw result.
fn raw(nr: u64, a: usize, b: usize, c: usize, d: usize) -> i64 {
    // Callers check the sizes against our structures; unused argument
    // registers are zero.
    // SAFETY: callers pass pointers to live buffers of the size the call writes.
    unsafe { libc::syscall(nr as libc::c_long, a, b, c, d, 0usize, 0usize) }
}

#[test]
fn fstat_fills_our_stat() {
    let f = std::fs::File::open("/proc/self/exe").unwrap();
    let md = f.metadata().unwrap();
    let mut buf = [0u8; Stat::SIZE];
    use std::os::fd::AsRawFd;
    let r = raw(
        syscall::SYS_fstat,
        f.as_raw_fd() as usize,
        buf.as_mut_ptr() as usize,
        0,
        0,
    );
    assert_eq!(r, 0);
    let st = Stat::from_bytes(&buf);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(st.st_ino, md.ino());
    assert_eq!(st.st_dev, md.dev());
    assert_eq!(st.st_size, md.size() as i64);
    assert_eq!(st.st_mode, md.mode());
    assert_eq!(st.st_mode & mode::S_IFMT, mode::S_IFREG);
    assert_eq!(st.st_nlink, md.nlink());
    assert_eq!(st.st_mtime, md.mtime());
    assert_eq!(st.st_mtime_nsec, md.mtime_nsec());
    assert_eq!(st.st_blocks, md.blocks() as i64);
    assert_eq!(Stat::from_bytes(&st.to_bytes()), st);
}

#[test]
fn uname_fills_our_utsname() {
    let mut buf = [0u8; Utsname::SIZE];
    assert_eq!(
        raw(syscall::SYS_uname, buf.as_mut_ptr() as usize, 0, 0, 0),
        0
    );
    let u = Utsname::from_bytes(&buf);
    let cstr = |f: &[u8]| f[..f.iter().position(|&b| b == 0).unwrap()].to_vec();
    assert_eq!(cstr(&u.sysname), b"Linux");
    assert_eq!(cstr(&u.machine), b"x86_64");
    // SAFETY: utsname is plain data; uname fills it.
    let mut theirs: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `theirs` is a valid utsname buffer.
    assert_eq!(unsafe { libc::uname(&mut theirs) }, 0);
    let release: Vec<u8> = theirs
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    assert_eq!(cstr(&u.release), release);
    assert_eq!(uts_field("x86_64"), u.machine);
}

#[test]
fn clock_and_rlimit_fill_our_structures() {
    let mut ts = [0u8; Timespec::SIZE];
    let r = raw(
        syscall::SYS_clock_gettime,
        clock::CLOCK_MONOTONIC as usize,
        ts.as_mut_ptr() as usize,
        0,
        0,
    );
    assert_eq!(r, 0);
    assert!(Timespec::from_bytes(&ts).is_valid());

    let mut rl = [0u8; Rlimit::SIZE];
    let r = raw(
        syscall::SYS_getrlimit,
        resource::RLIMIT_NOFILE as usize,
        rl.as_mut_ptr() as usize,
        0,
        0,
    );
    assert_eq!(r, 0);
    let ours = Rlimit::from_bytes(&rl);
    let mut theirs = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid rlimit buffer.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut theirs) },
        0
    );
    assert_eq!(
        (ours.rlim_cur, ours.rlim_max),
        (theirs.rlim_cur, theirs.rlim_max)
    );
}

#[test]
fn getdents64_records_parse() {
    let dir = std::env::temp_dir().join(format!("ferrite-abi-dents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let names = [
        "a",
        "bb",
        "a-much-longer-file-name-than-the-others",
        "x.txt",
    ];
    for n in names {
        std::fs::write(dir.join(n), b"").unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    let f = std::fs::File::open(&dir).unwrap();
    use std::os::fd::AsRawFd;
    let mut buf = vec![0u8; 4096];
    let n = raw(
        syscall::SYS_getdents64,
        f.as_raw_fd() as usize,
        buf.as_mut_ptr() as usize,
        buf.len(),
        0,
    );
    assert!(n > 0, "getdents64: {n}");
    let mut got = Vec::new();
    let mut at = 0;
    while at < n as usize {
        let (ino, _off, reclen, d_type, name) = read_dirent64(&buf[at..n as usize]).unwrap();
        assert_ne!(ino, 0);
        assert_eq!(reclen as usize % 8, 0);
        assert_eq!(
            reclen as usize,
            dirent64_reclen(name.len()),
            "{:?}",
            String::from_utf8_lossy(name)
        );
        let name = String::from_utf8(name.to_vec()).unwrap();
        if name != "." && name != ".." {
            let want = if name == "sub" {
                mode::DT_DIR
            } else {
                mode::DT_REG
            };
            assert_eq!(d_type, want, "{name}");
            got.push(name);
        }
        // Re-encode the record: same bytes (the kernel zero-pads too).
        let mut again = vec![0u8; reclen as usize];
        let len = write_dirent64(
            &mut again,
            ino,
            _off,
            d_type,
            got.last().map_or(b"." as &[u8], |s| s.as_bytes()),
        );
        if got
            .last()
            .is_some_and(|s| s.len() + DIRENT64_NAME_OFFSET < reclen as usize)
        {
            assert_eq!(len, Some(reclen as usize));
        }
        at += reclen as usize;
    }
    got.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.push("sub".into());
    want.sort();
    assert_eq!(got, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn waitid_and_wait4_match_our_encodings() {
    // SAFETY: fork in a test process: the child only calls _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: async-signal-safe exit in the child.
        unsafe { libc::_exit(0x1234) };
    }
    assert!(pid > 0);
    // waitid fills a kernel siginfo: decode it with our accessors.
    let mut info = [0u8; Siginfo::SIZE];
    let r = raw(
        syscall::SYS_waitid,
        wait::P_PID as usize,
        pid as usize,
        info.as_mut_ptr() as usize,
        (wait::WEXITED | wait::WNOWAIT) as usize,
    );
    assert_eq!(r, 0);
    let si = Siginfo::from_bytes(&info);
    assert_eq!(si.si_signo, signal::SIGCHLD);
    assert_eq!(si.si_code, sicode::CLD_EXITED);
    assert_eq!(si.pid(), pid);
    // SAFETY: getuid has no preconditions.
    assert_eq!(si.uid(), unsafe { libc::getuid() });
    // Linux keeps only the low 8 bits of the exit code, in waitid too.
    assert_eq!(si.status(), 0x34);
    let mine = Siginfo::child(
        sicode::CLD_EXITED,
        pid,
        si.uid(),
        0x34,
        si.utime(),
        si.stime(),
    );
    assert_eq!(
        mine.to_bytes(),
        info,
        "our SIGCHLD siginfo is byte-identical"
    );

    // wait4 stores the 8-bit-masked status.
    let mut status = 0i32;
    // SAFETY: valid status pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(status, WaitStatus::exited(0x1234).encode());
    assert_eq!(WaitStatus::decode(status), Some(WaitStatus::Exited(0x34)));

    // Killed by a signal.
    // SAFETY: as above; the child waits to be killed.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        loop {
            // SAFETY: pause is async-signal-safe.
            unsafe { libc::pause() };
        }
    }
    // SAFETY: plain kill/waitpid on our child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    // SAFETY: valid status pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(
        WaitStatus::decode(status),
        Some(WaitStatus::Signaled {
            sig: 15,
            core: false
        })
    );
    assert_eq!(
        status,
        WaitStatus::Signaled {
            sig: 15,
            core: false
        }
        .encode()
    );
}

#[test]
fn wait_status_agrees_with_the_c_macros() {
    let cases = [
        WaitStatus::Exited(0),
        WaitStatus::Exited(255),
        WaitStatus::Signaled {
            sig: 9,
            core: false,
        },
        WaitStatus::Signaled {
            sig: 11,
            core: true,
        },
        WaitStatus::Stopped(19),
        WaitStatus::Stopped(5 | 0x80),
        WaitStatus::Continued,
        WaitStatus::PtraceEvent { sig: 5, event: 4 },
    ];
    for st in cases {
        let s = st.encode();
        match st {
            WaitStatus::Exited(c) => {
                assert!(libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == c as i32);
                assert!(!libc::WIFSIGNALED(s) && !libc::WIFSTOPPED(s) && !libc::WIFCONTINUED(s));
            }
            WaitStatus::Signaled { sig, core } => {
                assert!(libc::WIFSIGNALED(s) && libc::WTERMSIG(s) == sig as i32);
                assert_eq!(libc::WCOREDUMP(s), core);
                assert!(!libc::WIFEXITED(s) && !libc::WIFSTOPPED(s));
            }
            WaitStatus::Stopped(sig) | WaitStatus::PtraceEvent { sig, .. } => {
                assert!(libc::WIFSTOPPED(s) && libc::WSTOPSIG(s) == sig as i32);
                assert!(!libc::WIFEXITED(s) && !libc::WIFSIGNALED(s));
            }
            WaitStatus::Continued => {
                assert!(libc::WIFCONTINUED(s));
                assert!(!libc::WIFEXITED(s) && !libc::WIFSIGNALED(s) && !libc::WIFSTOPPED(s));
            }
        }
        if let WaitStatus::PtraceEvent { event, .. } = st {
            assert_eq!(s >> 16, event as i32);
        }
    }
}

#[test]
fn kernel_sigaction_and_stack_t_round_trip_through_linux() {
    extern "C" fn handler(_: libc::c_int) {}
    // Install SIGUSR2 with our byte image through the raw system call,
    // read it back through the C library.
    let act = KernelSigaction {
        sa_handler: handler as *const () as usize as u64,
        sa_flags: signal::SA_RESTART | signal::SA_ONSTACK | signal::SA_RESTORER,
        sa_restorer: 0x1234_5000,
        sa_mask: SigSet::single(signal::SIGINT)
            .union(SigSet::single(signal::SIGTERM))
            .bits(),
    };
    let bytes = act.to_bytes();
    let mut old = [0u8; KernelSigaction::SIZE];
    let r = raw(
        syscall::SYS_rt_sigaction,
        signal::SIGUSR2 as usize,
        bytes.as_ptr() as usize,
        old.as_mut_ptr() as usize,
        8,
    );
    assert_eq!(r, 0);
    // SAFETY: sigaction is plain data; libc fills it.
    let mut theirs: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: query only.
    assert_eq!(
        unsafe { libc::sigaction(libc::SIGUSR2, std::ptr::null(), &mut theirs) },
        0
    );
    assert_eq!(theirs.sa_sigaction, handler as *const () as usize);
    assert_eq!(theirs.sa_flags as u32 as u64, act.sa_flags);
    assert_eq!(theirs.sa_restorer.map(|f| f as usize), Some(0x1234_5000));
    // SAFETY: sigismember on a filled set.
    unsafe {
        assert_eq!(libc::sigismember(&theirs.sa_mask, libc::SIGINT), 1);
        assert_eq!(libc::sigismember(&theirs.sa_mask, libc::SIGTERM), 1);
        assert_eq!(libc::sigismember(&theirs.sa_mask, libc::SIGHUP), 0);
    }
    // Reading back through the raw call returns the same bytes.
    let mut again = [0u8; KernelSigaction::SIZE];
    raw(
        syscall::SYS_rt_sigaction,
        signal::SIGUSR2 as usize,
        0,
        again.as_mut_ptr() as usize,
        8,
    );
    assert_eq!(KernelSigaction::from_bytes(&again), act);
    // Restore the old action.
    raw(
        syscall::SYS_rt_sigaction,
        signal::SIGUSR2 as usize,
        old.as_ptr() as usize,
        0,
        8,
    );

    // sigaltstack: query the current one into our stack_t.
    let mut ss = [0u8; StackT::SIZE];
    assert_eq!(
        raw(syscall::SYS_sigaltstack, 0, ss.as_mut_ptr() as usize, 0, 0),
        0
    );
    let cur = StackT::from_bytes(&ss);
    // SAFETY: plain data.
    let mut theirs: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: query only.
    assert_eq!(
        unsafe { libc::sigaltstack(std::ptr::null(), &mut theirs) },
        0
    );
    assert_eq!(
        (cur.ss_sp, cur.ss_flags, cur.ss_size),
        (theirs.ss_sp as u64, theirs.ss_flags, theirs.ss_size as u64)
    );
}

/// What the handler saw: siginfo address, ucontext address, their bytes.
type Seen = (usize, usize, Vec<u8>, Vec<u8>);

static FRAME: std::sync::Mutex<Option<Seen>> = std::sync::Mutex::new(None);

#[test]
fn signal_frame_layout_matches_linux() {
    extern "C" fn on_usr1(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
        // A test-only handler: the mutex is never contended (the signal is
        // raised synchronously below).
        // SAFETY: the kernel passes valid siginfo and ucontext pointers; we copy their bytes.
        let (i, u) = unsafe {
            (
                std::slice::from_raw_parts(info as *const u8, Siginfo::SIZE).to_vec(),
                std::slice::from_raw_parts(uc as *const u8, UContext::SIZE).to_vec(),
            )
        };
        let _ = sig;
        *FRAME.lock().unwrap() = Some((info as usize, uc as usize, i, u));
    }
    // SAFETY: installing a SA_SIGINFO handler for SIGUSR1, then raising it
    // in this thread with tgkill.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_usr1 as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
        let tid = libc::syscall(libc::SYS_gettid) as libc::pid_t;
        libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, libc::SIGUSR1);
    }
    let (info, uc, ib, ub) = FRAME.lock().unwrap().take().expect("handler ran");
    // rt_sigframe: pretcode at frame, uc at frame + 8, info after uc.
    let frame = uc - offset_of!(RtSigframe, uc);
    assert_eq!(info - frame, offset_of!(RtSigframe, info));
    assert_eq!((frame + 8) % 16, 0, "frame + 8 is 16-byte aligned");
    let si = Siginfo::from_slice(&ib).unwrap();
    assert_eq!(
        (si.si_signo, si.si_code),
        (signal::SIGUSR1, sicode::SI_TKILL)
    );
    // SAFETY: getpid/getuid have no preconditions.
    unsafe {
        assert_eq!(si.pid(), libc::getpid());
        assert_eq!(si.uid(), libc::getuid());
    }
    let u = UContext::from_slice(&ub).unwrap();
    // The FPU image is 64-byte aligned, above the frame.
    let fp = u.uc_mcontext.fpstate as usize;
    assert_eq!(fp % 64, 0);
    assert!(fp >= frame + RtSigframe::SIZE);
    // Our placement rule: the frame sits right below the (aligned) FPU
    // image: same frame for an sp anywhere in the 64-byte window above
    // fpstate + size. We know fpstate, not the size, so check the rule with
    // sp = fpstate (size 0).
    let lay = sigframe_layout(fp as u64, 0).unwrap();
    assert_eq!(lay.frame, frame as u64);
    // The interrupted rsp is above the red zone and the FPU image.
    assert!(u.uc_mcontext.rsp as usize >= fp + 128);
    // uc_stack is the thread's alternate stack as sigaltstack reports it.
    let mut ss = [0u8; StackT::SIZE];
    assert_eq!(
        raw(syscall::SYS_sigaltstack, 0, ss.as_mut_ptr() as usize, 0, 0),
        0
    );
    assert_eq!(u.uc_stack, StackT::from_bytes(&ss));
}

#[test]
fn errno_descriptions_are_the_c_librarys() {
    for e in Errno::all() {
        if e.is_restart() {
            continue;
        }
        let theirs = std::io::Error::from_raw_os_error(e.as_i32()).to_string();
        let theirs = theirs.split(" (os error").next().unwrap();
        assert_eq!(e.description(), theirs, "{}", e.name());
    }
    for n in [41, 58] {
        assert!(Errno::from_raw(n).is_none());
        let theirs = std::io::Error::from_raw_os_error(n).to_string();
        assert!(theirs.starts_with("Unknown error"), "{theirs}");
    }
}

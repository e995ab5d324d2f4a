//! `siginfo_t` as the x86_64 kernel lays it out (128 bytes): the three
//! leading ints, 4 bytes of padding, then a union aligned to 8 at offset
//! 16 whose member depends on the signal and `si_code`.
//!
//! The union is stored as 14 little-endian words; accessors read and write
//! its members at the offsets of include/uapi/asm-generic/siginfo.h on
//! 64-bit (listed as the `*_OFFSET` constants), and constructors build
//! the forms the kernel sends.

use super::plain_struct;

plain_struct! {
    /// `siginfo_t`.
    pub struct Siginfo [128] {
        pub si_signo: i32,
        pub si_errno: i32,
        pub si_code: i32,
        pub _pad0: i32,
        /// The union (`_sifields`), as words.
        pub _sifields: [u64; 14],
    }
}

impl Siginfo {
    /// `si_pid` (kill, rt, sigchld forms): int at 16.
    pub const PID_OFFSET: usize = 16;
    /// `si_uid` (kill, rt, sigchld forms): uint at 20.
    pub const UID_OFFSET: usize = 20;
    /// `si_timerid` (timer form): int at 16.
    pub const TIMERID_OFFSET: usize = 16;
    /// `si_overrun` (timer form): int at 20.
    pub const OVERRUN_OFFSET: usize = 20;
    /// `si_value` (rt and timer forms): `union sigval` at 24.
    pub const VALUE_OFFSET: usize = 24;
    /// `si_status` (sigchld form): int at 24.
    pub const STATUS_OFFSET: usize = 24;
    /// `si_utime` (sigchld form): clock_t at 32.
    pub const UTIME_OFFSET: usize = 32;
    /// `si_stime` (sigchld form): clock_t at 40.
    pub const STIME_OFFSET: usize = 40;
    /// `si_addr` (fault form): pointer at 16.
    pub const ADDR_OFFSET: usize = 16;
    /// `si_band` (poll form): long at 16.
    pub const BAND_OFFSET: usize = 16;
    /// `si_fd` (poll form): int at 24.
    pub const FD_OFFSET: usize = 24;

    /// The 32-bit union member at byte `offset` of the siginfo.
    fn u32_at(&self, offset: usize) -> u32 {
        let w = self._sifields[(offset - 16) / 8];
        (w >> ((offset % 8) * 8)) as u32
    }

    fn set_u32(&mut self, offset: usize, v: u32) {
        let w = &mut self._sifields[(offset - 16) / 8];
        let shift = (offset % 8) * 8;
        *w = (*w & !(0xffff_ffffu64 << shift)) | ((v as u64) << shift);
    }

    fn u64_at(&self, offset: usize) -> u64 {
        self._sifields[(offset - 16) / 8]
    }

    fn set_u64(&mut self, offset: usize, v: u64) {
        self._sifields[(offset - 16) / 8] = v;
    }

    fn header(signo: i32, code: i32) -> Self {
        Siginfo {
            si_signo: signo,
            si_code: code,
            ..Self::default()
        }
    }

    /// A signal sent by a process (`SI_USER` from kill, `SI_TKILL` from
    /// tkill/tgkill) or by the kernel (`SI_KERNEL`, pid and uid 0).
    pub fn kill(signo: i32, code: i32, pid: i32, uid: u32) -> Self {
        let mut s = Self::header(signo, code);
        s.set_u32(Self::PID_OFFSET, pid as u32);
        s.set_u32(Self::UID_OFFSET, uid);
        s
    }

    /// A queued signal with a value (`SI_QUEUE` from sigqueue, `SI_MESGQ`).
    pub fn rt(signo: i32, code: i32, pid: i32, uid: u32, value: u64) -> Self {
        let mut s = Self::kill(signo, code, pid, uid);
        s.set_u64(Self::VALUE_OFFSET, value);
        s
    }

    /// A fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) at `addr` with
    /// `code` such as `SEGV_MAPERR`.
    pub fn fault(signo: i32, code: i32, addr: u64) -> Self {
        let mut s = Self::header(signo, code);
        s.set_u64(Self::ADDR_OFFSET, addr);
        s
    }

    /// SIGCHLD (or waitid's result) for a child's state change: `code` is
    /// a `CLD_*` value, `status` the exit code (CLD_EXITED: its low 8 bits
    /// only, as Linux keeps) or the signal number; times in clock ticks.
    pub fn child(code: i32, pid: i32, uid: u32, status: i32, utime: i64, stime: i64) -> Self {
        let mut s = Self::kill(crate::signal::SIGCHLD, code, pid, uid);
        s.set_u32(Self::STATUS_OFFSET, status as u32);
        s.set_u64(Self::UTIME_OFFSET, utime as u64);
        s.set_u64(Self::STIME_OFFSET, stime as u64);
        s
    }

    /// A POSIX timer expiry (`SI_TIMER`).
    pub fn timer(signo: i32, timerid: i32, overrun: i32, value: u64) -> Self {
        let mut s = Self::header(signo, crate::sicode::SI_TIMER);
        s.set_u32(Self::TIMERID_OFFSET, timerid as u32);
        s.set_u32(Self::OVERRUN_OFFSET, overrun as u32);
        s.set_u64(Self::VALUE_OFFSET, value);
        s
    }

    /// SIGIO/SIGPOLL readiness (`POLL_IN`, ...): band and fd.
    pub fn poll(signo: i32, code: i32, band: i64, fd: i32) -> Self {
        let mut s = Self::header(signo, code);
        s.set_u64(Self::BAND_OFFSET, band as u64);
        s.set_u32(Self::FD_OFFSET, fd as u32);
        s
    }

    /// `si_pid`.
    pub fn pid(&self) -> i32 {
        self.u32_at(Self::PID_OFFSET) as i32
    }
    /// `si_uid`.
    pub fn uid(&self) -> u32 {
        self.u32_at(Self::UID_OFFSET)
    }
    /// `si_status`.
    pub fn status(&self) -> i32 {
        self.u32_at(Self::STATUS_OFFSET) as i32
    }
    /// `si_utime`.
    pub fn utime(&self) -> i64 {
        self.u64_at(Self::UTIME_OFFSET) as i64
    }
    /// `si_stime`.
    pub fn stime(&self) -> i64 {
        self.u64_at(Self::STIME_OFFSET) as i64
    }
    /// `si_addr`.
    pub fn addr(&self) -> u64 {
        self.u64_at(Self::ADDR_OFFSET)
    }
    /// `si_value` (`sival_ptr`; `sival_int` is its low 32 bits).
    pub fn value(&self) -> u64 {
        self.u64_at(Self::VALUE_OFFSET)
    }
    /// `si_timerid`.
    pub fn timerid(&self) -> i32 {
        self.u32_at(Self::TIMERID_OFFSET) as i32
    }
    /// `si_overrun`.
    pub fn overrun(&self) -> i32 {
        self.u32_at(Self::OVERRUN_OFFSET) as i32
    }
    /// `si_band`.
    pub fn band(&self) -> i64 {
        self.u64_at(Self::BAND_OFFSET) as i64
    }
    /// `si_fd`.
    pub fn fd(&self) -> i32 {
        self.u32_at(Self::FD_OFFSET) as i32
    }
}

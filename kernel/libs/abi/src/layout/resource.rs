//! Resource structures: `rusage`, `rlimit`, `sysinfo`.

use super::plain_struct;
use super::time::Timeval;

plain_struct! {
    /// `struct rusage` (getrusage, wait4). Linux fills only some fields.
    pub struct Rusage [144] {
        pub ru_utime: Timeval,
        pub ru_stime: Timeval,
        pub ru_maxrss: i64,
        pub ru_ixrss: i64,
        pub ru_idrss: i64,
        pub ru_isrss: i64,
        pub ru_minflt: i64,
        pub ru_majflt: i64,
        pub ru_nswap: i64,
        pub ru_inblock: i64,
        pub ru_oublock: i64,
        pub ru_msgsnd: i64,
        pub ru_msgrcv: i64,
        pub ru_nsignals: i64,
        pub ru_nvcsw: i64,
        pub ru_nivcsw: i64,
    }
}

plain_struct! {
    /// `struct rlimit` (getrlimit, setrlimit, prlimit64's `rlimit64`).
    pub struct Rlimit [16] {
        pub rlim_cur: u64,
        pub rlim_max: u64,
    }
}

plain_struct! {
    /// `struct sysinfo` (sysinfo(2)); `_f` is empty on 64-bit, the last
    /// 4 bytes are the structure's tail padding.
    pub struct Sysinfo [112] {
        pub uptime: i64,
        pub loads: [u64; 3],
        pub totalram: u64,
        pub freeram: u64,
        pub sharedram: u64,
        pub bufferram: u64,
        pub totalswap: u64,
        pub freeswap: u64,
        pub procs: u16,
        pub pad: u16,
        pub _pad1: u32,
        pub totalhigh: u64,
        pub freehigh: u64,
        pub mem_unit: u32,
        pub _pad2: u32,
    }
}

//! x86_64 system-call numbers (arch/x86/entry/syscalls/syscall_64.tbl,
//! the "common" and "64" entries) and their names.
//!
//! This module owns the numbering only: which numbers Ferrite implements
//! is the dispatcher's business. `SYS_*` constants carry the C names (as in
//! `<sys/syscall.h>`), so they are not upper case. Numbers 335 to 423 are
//! unassigned on x86_64 (the gap left for the 32-bit ABIs' numbers).

#![allow(non_upper_case_globals)]

/// The highest system-call number in the table.
pub const SYSCALL_MAX: usize = 462;

/// `read`
pub const SYS_read: u64 = 0;
/// `write`
pub const SYS_write: u64 = 1;
/// `open`
pub const SYS_open: u64 = 2;
/// `close`
pub const SYS_close: u64 = 3;
/// `stat`
pub const SYS_stat: u64 = 4;
/// `fstat`
pub const SYS_fstat: u64 = 5;
/// `lstat`
pub const SYS_lstat: u64 = 6;
/// `poll`
pub const SYS_poll: u64 = 7;
/// `lseek`
pub const SYS_lseek: u64 = 8;
/// `mmap`
pub const SYS_mmap: u64 = 9;
/// `mprotect`
pub const SYS_mprotect: u64 = 10;
/// `munmap`
pub const SYS_munmap: u64 = 11;
/// `brk`
pub const SYS_brk: u64 = 12;
/// `rt_sigaction`
pub const SYS_rt_sigaction: u64 = 13;
/// `rt_sigprocmask`
pub const SYS_rt_sigprocmask: u64 = 14;
/// `rt_sigreturn`
pub const SYS_rt_sigreturn: u64 = 15;
/// `ioctl`
pub const SYS_ioctl: u64 = 16;
/// `pread64`
pub const SYS_pread64: u64 = 17;
/// `pwrite64`
pub const SYS_pwrite64: u64 = 18;
/// `readv`
pub const SYS_readv: u64 = 19;
/// `writev`
pub const SYS_writev: u64 = 20;
/// `access`
pub const SYS_access: u64 = 21;
/// `pipe`
pub const SYS_pipe: u64 = 22;
/// `select`
pub const SYS_select: u64 = 23;
/// `sched_yield`
pub const SYS_sched_yield: u64 = 24;
/// `mremap`
pub const SYS_mremap: u64 = 25;
/// `msync`
pub const SYS_msync: u64 = 26;
/// `mincore`
pub const SYS_mincore: u64 = 27;
/// `madvise`
pub const SYS_madvise: u64 = 28;
/// `shmget`
pub const SYS_shmget: u64 = 29;
/// `shmat`
pub const SYS_shmat: u64 = 30;
/// `shmctl`
pub const SYS_shmctl: u64 = 31;
/// `dup`
pub const SYS_dup: u64 = 32;
/// `dup2`
pub const SYS_dup2: u64 = 33;
/// `pause`
pub const SYS_pause: u64 = 34;
/// `nanosleep`
pub const SYS_nanosleep: u64 = 35;
/// `getitimer`
pub const SYS_getitimer: u64 = 36;
/// `alarm`
pub const SYS_alarm: u64 = 37;
/// `setitimer`
pub const SYS_setitimer: u64 = 38;
/// `getpid`
pub const SYS_getpid: u64 = 39;
/// `sendfile`
pub const SYS_sendfile: u64 = 40;
/// `socket`
pub const SYS_socket: u64 = 41;
/// `connect`
pub const SYS_connect: u64 = 42;
/// `accept`
pub const SYS_accept: u64 = 43;
/// `sendto`
pub const SYS_sendto: u64 = 44;
/// `recvfrom`
pub const SYS_recvfrom: u64 = 45;
/// `sendmsg`
pub const SYS_sendmsg: u64 = 46;
/// `recvmsg`
pub const SYS_recvmsg: u64 = 47;
/// `shutdown`
pub const SYS_shutdown: u64 = 48;
/// `bind`
pub const SYS_bind: u64 = 49;
/// `listen`
pub const SYS_listen: u64 = 50;
/// `getsockname`
pub const SYS_getsockname: u64 = 51;
/// `getpeername`
pub const SYS_getpeername: u64 = 52;
/// `socketpair`
pub const SYS_socketpair: u64 = 53;
/// `setsockopt`
pub const SYS_setsockopt: u64 = 54;
/// `getsockopt`
pub const SYS_getsockopt: u64 = 55;
/// `clone`
pub const SYS_clone: u64 = 56;
/// `fork`
pub const SYS_fork: u64 = 57;
/// `vfork`
pub const SYS_vfork: u64 = 58;
/// `execve`
pub const SYS_execve: u64 = 59;
/// `exit`
pub const SYS_exit: u64 = 60;
/// `wait4`
pub const SYS_wait4: u64 = 61;
/// `kill`
pub const SYS_kill: u64 = 62;
/// `uname`
pub const SYS_uname: u64 = 63;
/// `semget`
pub const SYS_semget: u64 = 64;
/// `semop`
pub const SYS_semop: u64 = 65;
/// `semctl`
pub const SYS_semctl: u64 = 66;
/// `shmdt`
pub const SYS_shmdt: u64 = 67;
/// `msgget`
pub const SYS_msgget: u64 = 68;
/// `msgsnd`
pub const SYS_msgsnd: u64 = 69;
/// `msgrcv`
pub const SYS_msgrcv: u64 = 70;
/// `msgctl`
pub const SYS_msgctl: u64 = 71;
/// `fcntl`
pub const SYS_fcntl: u64 = 72;
/// `flock`
pub const SYS_flock: u64 = 73;
/// `fsync`
pub const SYS_fsync: u64 = 74;
/// `fdatasync`
pub const SYS_fdatasync: u64 = 75;
/// `truncate`
pub const SYS_truncate: u64 = 76;
/// `ftruncate`
pub const SYS_ftruncate: u64 = 77;
/// `getdents`
pub const SYS_getdents: u64 = 78;
/// `getcwd`
pub const SYS_getcwd: u64 = 79;
/// `chdir`
pub const SYS_chdir: u64 = 80;
/// `fchdir`
pub const SYS_fchdir: u64 = 81;
/// `rename`
pub const SYS_rename: u64 = 82;
/// `mkdir`
pub const SYS_mkdir: u64 = 83;
/// `rmdir`
pub const SYS_rmdir: u64 = 84;
/// `creat`
pub const SYS_creat: u64 = 85;
/// `link`
pub const SYS_link: u64 = 86;
/// `unlink`
pub const SYS_unlink: u64 = 87;
/// `symlink`
pub const SYS_symlink: u64 = 88;
/// `readlink`
pub const SYS_readlink: u64 = 89;
/// `chmod`
pub const SYS_chmod: u64 = 90;
/// `fchmod`
pub const SYS_fchmod: u64 = 91;
/// `chown`
pub const SYS_chown: u64 = 92;
/// `fchown`
pub const SYS_fchown: u64 = 93;
/// `lchown`
pub const SYS_lchown: u64 = 94;
/// `umask`
pub const SYS_umask: u64 = 95;
/// `gettimeofday`
pub const SYS_gettimeofday: u64 = 96;
/// `getrlimit`
pub const SYS_getrlimit: u64 = 97;
/// `getrusage`
pub const SYS_getrusage: u64 = 98;
/// `sysinfo`
pub const SYS_sysinfo: u64 = 99;
/// `times`
pub const SYS_times: u64 = 100;
/// `ptrace`
pub const SYS_ptrace: u64 = 101;
/// `getuid`
pub const SYS_getuid: u64 = 102;
/// `syslog`
pub const SYS_syslog: u64 = 103;
/// `getgid`
pub const SYS_getgid: u64 = 104;
/// `setuid`
pub const SYS_setuid: u64 = 105;
/// `setgid`
pub const SYS_setgid: u64 = 106;
/// `geteuid`
pub const SYS_geteuid: u64 = 107;
/// `getegid`
pub const SYS_getegid: u64 = 108;
/// `setpgid`
pub const SYS_setpgid: u64 = 109;
/// `getppid`
pub const SYS_getppid: u64 = 110;
/// `getpgrp`
pub const SYS_getpgrp: u64 = 111;
/// `setsid`
pub const SYS_setsid: u64 = 112;
/// `setreuid`
pub const SYS_setreuid: u64 = 113;
/// `setregid`
pub const SYS_setregid: u64 = 114;
/// `getgroups`
pub const SYS_getgroups: u64 = 115;
/// `setgroups`
pub const SYS_setgroups: u64 = 116;
/// `setresuid`
pub const SYS_setresuid: u64 = 117;
/// `getresuid`
pub const SYS_getresuid: u64 = 118;
/// `setresgid`
pub const SYS_setresgid: u64 = 119;
/// `getresgid`
pub const SYS_getresgid: u64 = 120;
/// `getpgid`
pub const SYS_getpgid: u64 = 121;
/// `setfsuid`
pub const SYS_setfsuid: u64 = 122;
/// `setfsgid`
pub const SYS_setfsgid: u64 = 123;
/// `getsid`
pub const SYS_getsid: u64 = 124;
/// `capget`
pub const SYS_capget: u64 = 125;
/// `capset`
pub const SYS_capset: u64 = 126;
/// `rt_sigpending`
pub const SYS_rt_sigpending: u64 = 127;
/// `rt_sigtimedwait`
pub const SYS_rt_sigtimedwait: u64 = 128;
/// `rt_sigqueueinfo`
pub const SYS_rt_sigqueueinfo: u64 = 129;
/// `rt_sigsuspend`
pub const SYS_rt_sigsuspend: u64 = 130;
/// `sigaltstack`
pub const SYS_sigaltstack: u64 = 131;
/// `utime`
pub const SYS_utime: u64 = 132;
/// `mknod`
pub const SYS_mknod: u64 = 133;
/// `uselib`
pub const SYS_uselib: u64 = 134;
/// `personality`
pub const SYS_personality: u64 = 135;
/// `ustat`
pub const SYS_ustat: u64 = 136;
/// `statfs`
pub const SYS_statfs: u64 = 137;
/// `fstatfs`
pub const SYS_fstatfs: u64 = 138;
/// `sysfs`
pub const SYS_sysfs: u64 = 139;
/// `getpriority`
pub const SYS_getpriority: u64 = 140;
/// `setpriority`
pub const SYS_setpriority: u64 = 141;
/// `sched_setparam`
pub const SYS_sched_setparam: u64 = 142;
/// `sched_getparam`
pub const SYS_sched_getparam: u64 = 143;
/// `sched_setscheduler`
pub const SYS_sched_setscheduler: u64 = 144;
/// `sched_getscheduler`
pub const SYS_sched_getscheduler: u64 = 145;
/// `sched_get_priority_max`
pub const SYS_sched_get_priority_max: u64 = 146;
/// `sched_get_priority_min`
pub const SYS_sched_get_priority_min: u64 = 147;
/// `sched_rr_get_interval`
pub const SYS_sched_rr_get_interval: u64 = 148;
/// `mlock`
pub const SYS_mlock: u64 = 149;
/// `munlock`
pub const SYS_munlock: u64 = 150;
/// `mlockall`
pub const SYS_mlockall: u64 = 151;
/// `munlockall`
pub const SYS_munlockall: u64 = 152;
/// `vhangup`
pub const SYS_vhangup: u64 = 153;
/// `modify_ldt`
pub const SYS_modify_ldt: u64 = 154;
/// `pivot_root`
pub const SYS_pivot_root: u64 = 155;
/// `_sysctl`
pub const SYS__sysctl: u64 = 156;
/// `prctl`
pub const SYS_prctl: u64 = 157;
/// `arch_prctl`
pub const SYS_arch_prctl: u64 = 158;
/// `adjtimex`
pub const SYS_adjtimex: u64 = 159;
/// `setrlimit`
pub const SYS_setrlimit: u64 = 160;
/// `chroot`
pub const SYS_chroot: u64 = 161;
/// `sync`
pub const SYS_sync: u64 = 162;
/// `acct`
pub const SYS_acct: u64 = 163;
/// `settimeofday`
pub const SYS_settimeofday: u64 = 164;
/// `mount`
pub const SYS_mount: u64 = 165;
/// `umount2`
pub const SYS_umount2: u64 = 166;
/// `swapon`
pub const SYS_swapon: u64 = 167;
/// `swapoff`
pub const SYS_swapoff: u64 = 168;
/// `reboot`
pub const SYS_reboot: u64 = 169;
/// `sethostname`
pub const SYS_sethostname: u64 = 170;
/// `setdomainname`
pub const SYS_setdomainname: u64 = 171;
/// `iopl`
pub const SYS_iopl: u64 = 172;
/// `ioperm`
pub const SYS_ioperm: u64 = 173;
/// `create_module`
pub const SYS_create_module: u64 = 174;
/// `init_module`
pub const SYS_init_module: u64 = 175;
/// `delete_module`
pub const SYS_delete_module: u64 = 176;
/// `get_kernel_syms`
pub const SYS_get_kernel_syms: u64 = 177;
/// `query_module`
pub const SYS_query_module: u64 = 178;
/// `quotactl`
pub const SYS_quotactl: u64 = 179;
/// `nfsservctl`
pub const SYS_nfsservctl: u64 = 180;
/// `getpmsg`
pub const SYS_getpmsg: u64 = 181;
/// `putpmsg`
pub const SYS_putpmsg: u64 = 182;
/// `afs_syscall`
pub const SYS_afs_syscall: u64 = 183;
/// `tuxcall`
pub const SYS_tuxcall: u64 = 184;
/// `security`
pub const SYS_security: u64 = 185;
/// `gettid`
pub const SYS_gettid: u64 = 186;
/// `readahead`
pub const SYS_readahead: u64 = 187;
/// `setxattr`
pub const SYS_setxattr: u64 = 188;
/// `lsetxattr`
pub const SYS_lsetxattr: u64 = 189;
/// `fsetxattr`
pub const SYS_fsetxattr: u64 = 190;
/// `getxattr`
pub const SYS_getxattr: u64 = 191;
/// `lgetxattr`
pub const SYS_lgetxattr: u64 = 192;
/// `fgetxattr`
pub const SYS_fgetxattr: u64 = 193;
/// `listxattr`
pub const SYS_listxattr: u64 = 194;
/// `llistxattr`
pub const SYS_llistxattr: u64 = 195;
/// `flistxattr`
pub const SYS_flistxattr: u64 = 196;
/// `removexattr`
pub const SYS_removexattr: u64 = 197;
/// `lremovexattr`
pub const SYS_lremovexattr: u64 = 198;
/// `fremovexattr`
pub const SYS_fremovexattr: u64 = 199;
/// `tkill`
pub const SYS_tkill: u64 = 200;
/// `time`
pub const SYS_time: u64 = 201;
/// `futex`
pub const SYS_futex: u64 = 202;
/// `sched_setaffinity`
pub const SYS_sched_setaffinity: u64 = 203;
/// `sched_getaffinity`
pub const SYS_sched_getaffinity: u64 = 204;
/// `set_thread_area`
pub const SYS_set_thread_area: u64 = 205;
/// `io_setup`
pub const SYS_io_setup: u64 = 206;
/// `io_destroy`
pub const SYS_io_destroy: u64 = 207;
/// `io_getevents`
pub const SYS_io_getevents: u64 = 208;
/// `io_submit`
pub const SYS_io_submit: u64 = 209;
/// `io_cancel`
pub const SYS_io_cancel: u64 = 210;
/// `get_thread_area`
pub const SYS_get_thread_area: u64 = 211;
/// `lookup_dcookie`
pub const SYS_lookup_dcookie: u64 = 212;
/// `epoll_create`
pub const SYS_epoll_create: u64 = 213;
/// `epoll_ctl_old`
pub const SYS_epoll_ctl_old: u64 = 214;
/// `epoll_wait_old`
pub const SYS_epoll_wait_old: u64 = 215;
/// `remap_file_pages`
pub const SYS_remap_file_pages: u64 = 216;
/// `getdents64`
pub const SYS_getdents64: u64 = 217;
/// `set_tid_address`
pub const SYS_set_tid_address: u64 = 218;
/// `restart_syscall`
pub const SYS_restart_syscall: u64 = 219;
/// `semtimedop`
pub const SYS_semtimedop: u64 = 220;
/// `fadvise64`
pub const SYS_fadvise64: u64 = 221;
/// `timer_create`
pub const SYS_timer_create: u64 = 222;
/// `timer_settime`
pub const SYS_timer_settime: u64 = 223;
/// `timer_gettime`
pub const SYS_timer_gettime: u64 = 224;
/// `timer_getoverrun`
pub const SYS_timer_getoverrun: u64 = 225;
/// `timer_delete`
pub const SYS_timer_delete: u64 = 226;
/// `clock_settime`
pub const SYS_clock_settime: u64 = 227;
/// `clock_gettime`
pub const SYS_clock_gettime: u64 = 228;
/// `clock_getres`
pub const SYS_clock_getres: u64 = 229;
/// `clock_nanosleep`
pub const SYS_clock_nanosleep: u64 = 230;
/// `exit_group`
pub const SYS_exit_group: u64 = 231;
/// `epoll_wait`
pub const SYS_epoll_wait: u64 = 232;
/// `epoll_ctl`
pub const SYS_epoll_ctl: u64 = 233;
/// `tgkill`
pub const SYS_tgkill: u64 = 234;
/// `utimes`
pub const SYS_utimes: u64 = 235;
/// `vserver`
pub const SYS_vserver: u64 = 236;
/// `mbind`
pub const SYS_mbind: u64 = 237;
/// `set_mempolicy`
pub const SYS_set_mempolicy: u64 = 238;
/// `get_mempolicy`
pub const SYS_get_mempolicy: u64 = 239;
/// `mq_open`
pub const SYS_mq_open: u64 = 240;
/// `mq_unlink`
pub const SYS_mq_unlink: u64 = 241;
/// `mq_timedsend`
pub const SYS_mq_timedsend: u64 = 242;
/// `mq_timedreceive`
pub const SYS_mq_timedreceive: u64 = 243;
/// `mq_notify`
pub const SYS_mq_notify: u64 = 244;
/// `mq_getsetattr`
pub const SYS_mq_getsetattr: u64 = 245;
/// `kexec_load`
pub const SYS_kexec_load: u64 = 246;
/// `waitid`
pub const SYS_waitid: u64 = 247;
/// `add_key`
pub const SYS_add_key: u64 = 248;
/// `request_key`
pub const SYS_request_key: u64 = 249;
/// `keyctl`
pub const SYS_keyctl: u64 = 250;
/// `ioprio_set`
pub const SYS_ioprio_set: u64 = 251;
/// `ioprio_get`
pub const SYS_ioprio_get: u64 = 252;
/// `inotify_init`
pub const SYS_inotify_init: u64 = 253;
/// `inotify_add_watch`
pub const SYS_inotify_add_watch: u64 = 254;
/// `inotify_rm_watch`
pub const SYS_inotify_rm_watch: u64 = 255;
/// `migrate_pages`
pub const SYS_migrate_pages: u64 = 256;
/// `openat`
pub const SYS_openat: u64 = 257;
/// `mkdirat`
pub const SYS_mkdirat: u64 = 258;
/// `mknodat`
pub const SYS_mknodat: u64 = 259;
/// `fchownat`
pub const SYS_fchownat: u64 = 260;
/// `futimesat`
pub const SYS_futimesat: u64 = 261;
/// `newfstatat`
pub const SYS_newfstatat: u64 = 262;
/// `unlinkat`
pub const SYS_unlinkat: u64 = 263;
/// `renameat`
pub const SYS_renameat: u64 = 264;
/// `linkat`
pub const SYS_linkat: u64 = 265;
/// `symlinkat`
pub const SYS_symlinkat: u64 = 266;
/// `readlinkat`
pub const SYS_readlinkat: u64 = 267;
/// `fchmodat`
pub const SYS_fchmodat: u64 = 268;
/// `faccessat`
pub const SYS_faccessat: u64 = 269;
/// `pselect6`
pub const SYS_pselect6: u64 = 270;
/// `ppoll`
pub const SYS_ppoll: u64 = 271;
/// `unshare`
pub const SYS_unshare: u64 = 272;
/// `set_robust_list`
pub const SYS_set_robust_list: u64 = 273;
/// `get_robust_list`
pub const SYS_get_robust_list: u64 = 274;
/// `splice`
pub const SYS_splice: u64 = 275;
/// `tee`
pub const SYS_tee: u64 = 276;
/// `sync_file_range`
pub const SYS_sync_file_range: u64 = 277;
/// `vmsplice`
pub const SYS_vmsplice: u64 = 278;
/// `move_pages`
pub const SYS_move_pages: u64 = 279;
/// `utimensat`
pub const SYS_utimensat: u64 = 280;
/// `epoll_pwait`
pub const SYS_epoll_pwait: u64 = 281;
/// `signalfd`
pub const SYS_signalfd: u64 = 282;
/// `timerfd_create`
pub const SYS_timerfd_create: u64 = 283;
/// `eventfd`
pub const SYS_eventfd: u64 = 284;
/// `fallocate`
pub const SYS_fallocate: u64 = 285;
/// `timerfd_settime`
pub const SYS_timerfd_settime: u64 = 286;
/// `timerfd_gettime`
pub const SYS_timerfd_gettime: u64 = 287;
/// `accept4`
pub const SYS_accept4: u64 = 288;
/// `signalfd4`
pub const SYS_signalfd4: u64 = 289;
/// `eventfd2`
pub const SYS_eventfd2: u64 = 290;
/// `epoll_create1`
pub const SYS_epoll_create1: u64 = 291;
/// `dup3`
pub const SYS_dup3: u64 = 292;
/// `pipe2`
pub const SYS_pipe2: u64 = 293;
/// `inotify_init1`
pub const SYS_inotify_init1: u64 = 294;
/// `preadv`
pub const SYS_preadv: u64 = 295;
/// `pwritev`
pub const SYS_pwritev: u64 = 296;
/// `rt_tgsigqueueinfo`
pub const SYS_rt_tgsigqueueinfo: u64 = 297;
/// `perf_event_open`
pub const SYS_perf_event_open: u64 = 298;
/// `recvmmsg`
pub const SYS_recvmmsg: u64 = 299;
/// `fanotify_init`
pub const SYS_fanotify_init: u64 = 300;
/// `fanotify_mark`
pub const SYS_fanotify_mark: u64 = 301;
/// `prlimit64`
pub const SYS_prlimit64: u64 = 302;
/// `name_to_handle_at`
pub const SYS_name_to_handle_at: u64 = 303;
/// `open_by_handle_at`
pub const SYS_open_by_handle_at: u64 = 304;
/// `clock_adjtime`
pub const SYS_clock_adjtime: u64 = 305;
/// `syncfs`
pub const SYS_syncfs: u64 = 306;
/// `sendmmsg`
pub const SYS_sendmmsg: u64 = 307;
/// `setns`
pub const SYS_setns: u64 = 308;
/// `getcpu`
pub const SYS_getcpu: u64 = 309;
/// `process_vm_readv`
pub const SYS_process_vm_readv: u64 = 310;
/// `process_vm_writev`
pub const SYS_process_vm_writev: u64 = 311;
/// `kcmp`
pub const SYS_kcmp: u64 = 312;
/// `finit_module`
pub const SYS_finit_module: u64 = 313;
/// `sched_setattr`
pub const SYS_sched_setattr: u64 = 314;
/// `sched_getattr`
pub const SYS_sched_getattr: u64 = 315;
/// `renameat2`
pub const SYS_renameat2: u64 = 316;
/// `seccomp`
pub const SYS_seccomp: u64 = 317;
/// `getrandom`
pub const SYS_getrandom: u64 = 318;
/// `memfd_create`
pub const SYS_memfd_create: u64 = 319;
/// `kexec_file_load`
pub const SYS_kexec_file_load: u64 = 320;
/// `bpf`
pub const SYS_bpf: u64 = 321;
/// `execveat`
pub const SYS_execveat: u64 = 322;
/// `userfaultfd`
pub const SYS_userfaultfd: u64 = 323;
/// `membarrier`
pub const SYS_membarrier: u64 = 324;
/// `mlock2`
pub const SYS_mlock2: u64 = 325;
/// `copy_file_range`
pub const SYS_copy_file_range: u64 = 326;
/// `preadv2`
pub const SYS_preadv2: u64 = 327;
/// `pwritev2`
pub const SYS_pwritev2: u64 = 328;
/// `pkey_mprotect`
pub const SYS_pkey_mprotect: u64 = 329;
/// `pkey_alloc`
pub const SYS_pkey_alloc: u64 = 330;
/// `pkey_free`
pub const SYS_pkey_free: u64 = 331;
/// `statx`
pub const SYS_statx: u64 = 332;
/// `io_pgetevents`
pub const SYS_io_pgetevents: u64 = 333;
/// `rseq`
pub const SYS_rseq: u64 = 334;
/// `pidfd_send_signal`
pub const SYS_pidfd_send_signal: u64 = 424;
/// `io_uring_setup`
pub const SYS_io_uring_setup: u64 = 425;
/// `io_uring_enter`
pub const SYS_io_uring_enter: u64 = 426;
/// `io_uring_register`
pub const SYS_io_uring_register: u64 = 427;
/// `open_tree`
pub const SYS_open_tree: u64 = 428;
/// `move_mount`
pub const SYS_move_mount: u64 = 429;
/// `fsopen`
pub const SYS_fsopen: u64 = 430;
/// `fsconfig`
pub const SYS_fsconfig: u64 = 431;
/// `fsmount`
pub const SYS_fsmount: u64 = 432;
/// `fspick`
pub const SYS_fspick: u64 = 433;
/// `pidfd_open`
pub const SYS_pidfd_open: u64 = 434;
/// `clone3`
pub const SYS_clone3: u64 = 435;
/// `close_range`
pub const SYS_close_range: u64 = 436;
/// `openat2`
pub const SYS_openat2: u64 = 437;
/// `pidfd_getfd`
pub const SYS_pidfd_getfd: u64 = 438;
/// `faccessat2`
pub const SYS_faccessat2: u64 = 439;
/// `process_madvise`
pub const SYS_process_madvise: u64 = 440;
/// `epoll_pwait2`
pub const SYS_epoll_pwait2: u64 = 441;
/// `mount_setattr`
pub const SYS_mount_setattr: u64 = 442;
/// `quotactl_fd`
pub const SYS_quotactl_fd: u64 = 443;
/// `landlock_create_ruleset`
pub const SYS_landlock_create_ruleset: u64 = 444;
/// `landlock_add_rule`
pub const SYS_landlock_add_rule: u64 = 445;
/// `landlock_restrict_self`
pub const SYS_landlock_restrict_self: u64 = 446;
/// `memfd_secret`
pub const SYS_memfd_secret: u64 = 447;
/// `process_mrelease`
pub const SYS_process_mrelease: u64 = 448;
/// `futex_waitv`
pub const SYS_futex_waitv: u64 = 449;
/// `set_mempolicy_home_node`
pub const SYS_set_mempolicy_home_node: u64 = 450;
/// `cachestat`
pub const SYS_cachestat: u64 = 451;
/// `fchmodat2`
pub const SYS_fchmodat2: u64 = 452;
/// `map_shadow_stack`
pub const SYS_map_shadow_stack: u64 = 453;
/// `futex_wake`
pub const SYS_futex_wake: u64 = 454;
/// `futex_wait`
pub const SYS_futex_wait: u64 = 455;
/// `futex_requeue`
pub const SYS_futex_requeue: u64 = 456;
/// `statmount`
pub const SYS_statmount: u64 = 457;
/// `listmount`
pub const SYS_listmount: u64 = 458;
/// `lsm_get_self_attr`
pub const SYS_lsm_get_self_attr: u64 = 459;
/// `lsm_set_self_attr`
pub const SYS_lsm_set_self_attr: u64 = 460;
/// `lsm_list_modules`
pub const SYS_lsm_list_modules: u64 = 461;
/// `mseal`
pub const SYS_mseal: u64 = 462;

/// Names indexed by number; `""` marks an unassigned number.
static NAMES: [&str; SYSCALL_MAX + 1] = {
    let mut t = [""; SYSCALL_MAX + 1];
    t[SYS_read as usize] = "read";
    t[SYS_write as usize] = "write";
    t[SYS_open as usize] = "open";
    t[SYS_close as usize] = "close";
    t[SYS_stat as usize] = "stat";
    t[SYS_fstat as usize] = "fstat";
    t[SYS_lstat as usize] = "lstat";
    t[SYS_poll as usize] = "poll";
    t[SYS_lseek as usize] = "lseek";
    t[SYS_mmap as usize] = "mmap";
    t[SYS_mprotect as usize] = "mprotect";
    t[SYS_munmap as usize] = "munmap";
    t[SYS_brk as usize] = "brk";
    t[SYS_rt_sigaction as usize] = "rt_sigaction";
    t[SYS_rt_sigprocmask as usize] = "rt_sigprocmask";
    t[SYS_rt_sigreturn as usize] = "rt_sigreturn";
    t[SYS_ioctl as usize] = "ioctl";
    t[SYS_pread64 as usize] = "pread64";
    t[SYS_pwrite64 as usize] = "pwrite64";
    t[SYS_readv as usize] = "readv";
    t[SYS_writev as usize] = "writev";
    t[SYS_access as usize] = "access";
    t[SYS_pipe as usize] = "pipe";
    t[SYS_select as usize] = "select";
    t[SYS_sched_yield as usize] = "sched_yield";
    t[SYS_mremap as usize] = "mremap";
    t[SYS_msync as usize] = "msync";
    t[SYS_mincore as usize] = "mincore";
    t[SYS_madvise as usize] = "madvise";
    t[SYS_shmget as usize] = "shmget";
    t[SYS_shmat as usize] = "shmat";
    t[SYS_shmctl as usize] = "shmctl";
    t[SYS_dup as usize] = "dup";
    t[SYS_dup2 as usize] = "dup2";
    t[SYS_pause as usize] = "pause";
    t[SYS_nanosleep as usize] = "nanosleep";
    t[SYS_getitimer as usize] = "getitimer";
    t[SYS_alarm as usize] = "alarm";
    t[SYS_setitimer as usize] = "setitimer";
    t[SYS_getpid as usize] = "getpid";
    t[SYS_sendfile as usize] = "sendfile";
    t[SYS_socket as usize] = "socket";
    t[SYS_connect as usize] = "connect";
    t[SYS_accept as usize] = "accept";
    t[SYS_sendto as usize] = "sendto";
    t[SYS_recvfrom as usize] = "recvfrom";
    t[SYS_sendmsg as usize] = "sendmsg";
    t[SYS_recvmsg as usize] = "recvmsg";
    t[SYS_shutdown as usize] = "shutdown";
    t[SYS_bind as usize] = "bind";
    t[SYS_listen as usize] = "listen";
    t[SYS_getsockname as usize] = "getsockname";
    t[SYS_getpeername as usize] = "getpeername";
    t[SYS_socketpair as usize] = "socketpair";
    t[SYS_setsockopt as usize] = "setsockopt";
    t[SYS_getsockopt as usize] = "getsockopt";
    t[SYS_clone as usize] = "clone";
    t[SYS_fork as usize] = "fork";
    t[SYS_vfork as usize] = "vfork";
    t[SYS_execve as usize] = "execve";
    t[SYS_exit as usize] = "exit";
    t[SYS_wait4 as usize] = "wait4";
    t[SYS_kill as usize] = "kill";
    t[SYS_uname as usize] = "uname";
    t[SYS_semget as usize] = "semget";
    t[SYS_semop as usize] = "semop";
    t[SYS_semctl as usize] = "semctl";
    t[SYS_shmdt as usize] = "shmdt";
    t[SYS_msgget as usize] = "msgget";
    t[SYS_msgsnd as usize] = "msgsnd";
    t[SYS_msgrcv as usize] = "msgrcv";
    t[SYS_msgctl as usize] = "msgctl";
    t[SYS_fcntl as usize] = "fcntl";
    t[SYS_flock as usize] = "flock";
    t[SYS_fsync as usize] = "fsync";
    t[SYS_fdatasync as usize] = "fdatasync";
    t[SYS_truncate as usize] = "truncate";
    t[SYS_ftruncate as usize] = "ftruncate";
    t[SYS_getdents as usize] = "getdents";
    t[SYS_getcwd as usize] = "getcwd";
    t[SYS_chdir as usize] = "chdir";
    t[SYS_fchdir as usize] = "fchdir";
    t[SYS_rename as usize] = "rename";
    t[SYS_mkdir as usize] = "mkdir";
    t[SYS_rmdir as usize] = "rmdir";
    t[SYS_creat as usize] = "creat";
    t[SYS_link as usize] = "link";
    t[SYS_unlink as usize] = "unlink";
    t[SYS_symlink as usize] = "symlink";
    t[SYS_readlink as usize] = "readlink";
    t[SYS_chmod as usize] = "chmod";
    t[SYS_fchmod as usize] = "fchmod";
    t[SYS_chown as usize] = "chown";
    t[SYS_fchown as usize] = "fchown";
    t[SYS_lchown as usize] = "lchown";
    t[SYS_umask as usize] = "umask";
    t[SYS_gettimeofday as usize] = "gettimeofday";
    t[SYS_getrlimit as usize] = "getrlimit";
    t[SYS_getrusage as usize] = "getrusage";
    t[SYS_sysinfo as usize] = "sysinfo";
    t[SYS_times as usize] = "times";
    t[SYS_ptrace as usize] = "ptrace";
    t[SYS_getuid as usize] = "getuid";
    t[SYS_syslog as usize] = "syslog";
    t[SYS_getgid as usize] = "getgid";
    t[SYS_setuid as usize] = "setuid";
    t[SYS_setgid as usize] = "setgid";
    t[SYS_geteuid as usize] = "geteuid";
    t[SYS_getegid as usize] = "getegid";
    t[SYS_setpgid as usize] = "setpgid";
    t[SYS_getppid as usize] = "getppid";
    t[SYS_getpgrp as usize] = "getpgrp";
    t[SYS_setsid as usize] = "setsid";
    t[SYS_setreuid as usize] = "setreuid";
    t[SYS_setregid as usize] = "setregid";
    t[SYS_getgroups as usize] = "getgroups";
    t[SYS_setgroups as usize] = "setgroups";
    t[SYS_setresuid as usize] = "setresuid";
    t[SYS_getresuid as usize] = "getresuid";
    t[SYS_setresgid as usize] = "setresgid";
    t[SYS_getresgid as usize] = "getresgid";
    t[SYS_getpgid as usize] = "getpgid";
    t[SYS_setfsuid as usize] = "setfsuid";
    t[SYS_setfsgid as usize] = "setfsgid";
    t[SYS_getsid as usize] = "getsid";
    t[SYS_capget as usize] = "capget";
    t[SYS_capset as usize] = "capset";
    t[SYS_rt_sigpending as usize] = "rt_sigpending";
    t[SYS_rt_sigtimedwait as usize] = "rt_sigtimedwait";
    t[SYS_rt_sigqueueinfo as usize] = "rt_sigqueueinfo";
    t[SYS_rt_sigsuspend as usize] = "rt_sigsuspend";
    t[SYS_sigaltstack as usize] = "sigaltstack";
    t[SYS_utime as usize] = "utime";
    t[SYS_mknod as usize] = "mknod";
    t[SYS_uselib as usize] = "uselib";
    t[SYS_personality as usize] = "personality";
    t[SYS_ustat as usize] = "ustat";
    t[SYS_statfs as usize] = "statfs";
    t[SYS_fstatfs as usize] = "fstatfs";
    t[SYS_sysfs as usize] = "sysfs";
    t[SYS_getpriority as usize] = "getpriority";
    t[SYS_setpriority as usize] = "setpriority";
    t[SYS_sched_setparam as usize] = "sched_setparam";
    t[SYS_sched_getparam as usize] = "sched_getparam";
    t[SYS_sched_setscheduler as usize] = "sched_setscheduler";
    t[SYS_sched_getscheduler as usize] = "sched_getscheduler";
    t[SYS_sched_get_priority_max as usize] = "sched_get_priority_max";
    t[SYS_sched_get_priority_min as usize] = "sched_get_priority_min";
    t[SYS_sched_rr_get_interval as usize] = "sched_rr_get_interval";
    t[SYS_mlock as usize] = "mlock";
    t[SYS_munlock as usize] = "munlock";
    t[SYS_mlockall as usize] = "mlockall";
    t[SYS_munlockall as usize] = "munlockall";
    t[SYS_vhangup as usize] = "vhangup";
    t[SYS_modify_ldt as usize] = "modify_ldt";
    t[SYS_pivot_root as usize] = "pivot_root";
    t[SYS__sysctl as usize] = "_sysctl";
    t[SYS_prctl as usize] = "prctl";
    t[SYS_arch_prctl as usize] = "arch_prctl";
    t[SYS_adjtimex as usize] = "adjtimex";
    t[SYS_setrlimit as usize] = "setrlimit";
    t[SYS_chroot as usize] = "chroot";
    t[SYS_sync as usize] = "sync";
    t[SYS_acct as usize] = "acct";
    t[SYS_settimeofday as usize] = "settimeofday";
    t[SYS_mount as usize] = "mount";
    t[SYS_umount2 as usize] = "umount2";
    t[SYS_swapon as usize] = "swapon";
    t[SYS_swapoff as usize] = "swapoff";
    t[SYS_reboot as usize] = "reboot";
    t[SYS_sethostname as usize] = "sethostname";
    t[SYS_setdomainname as usize] = "setdomainname";
    t[SYS_iopl as usize] = "iopl";
    t[SYS_ioperm as usize] = "ioperm";
    t[SYS_create_module as usize] = "create_module";
    t[SYS_init_module as usize] = "init_module";
    t[SYS_delete_module as usize] = "delete_module";
    t[SYS_get_kernel_syms as usize] = "get_kernel_syms";
    t[SYS_query_module as usize] = "query_module";
    t[SYS_quotactl as usize] = "quotactl";
    t[SYS_nfsservctl as usize] = "nfsservctl";
    t[SYS_getpmsg as usize] = "getpmsg";
    t[SYS_putpmsg as usize] = "putpmsg";
    t[SYS_afs_syscall as usize] = "afs_syscall";
    t[SYS_tuxcall as usize] = "tuxcall";
    t[SYS_security as usize] = "security";
    t[SYS_gettid as usize] = "gettid";
    t[SYS_readahead as usize] = "readahead";
    t[SYS_setxattr as usize] = "setxattr";
    t[SYS_lsetxattr as usize] = "lsetxattr";
    t[SYS_fsetxattr as usize] = "fsetxattr";
    t[SYS_getxattr as usize] = "getxattr";
    t[SYS_lgetxattr as usize] = "lgetxattr";
    t[SYS_fgetxattr as usize] = "fgetxattr";
    t[SYS_listxattr as usize] = "listxattr";
    t[SYS_llistxattr as usize] = "llistxattr";
    t[SYS_flistxattr as usize] = "flistxattr";
    t[SYS_removexattr as usize] = "removexattr";
    t[SYS_lremovexattr as usize] = "lremovexattr";
    t[SYS_fremovexattr as usize] = "fremovexattr";
    t[SYS_tkill as usize] = "tkill";
    t[SYS_time as usize] = "time";
    t[SYS_futex as usize] = "futex";
    t[SYS_sched_setaffinity as usize] = "sched_setaffinity";
    t[SYS_sched_getaffinity as usize] = "sched_getaffinity";
    t[SYS_set_thread_area as usize] = "set_thread_area";
    t[SYS_io_setup as usize] = "io_setup";
    t[SYS_io_destroy as usize] = "io_destroy";
    t[SYS_io_getevents as usize] = "io_getevents";
    t[SYS_io_submit as usize] = "io_submit";
    t[SYS_io_cancel as usize] = "io_cancel";
    t[SYS_get_thread_area as usize] = "get_thread_area";
    t[SYS_lookup_dcookie as usize] = "lookup_dcookie";
    t[SYS_epoll_create as usize] = "epoll_create";
    t[SYS_epoll_ctl_old as usize] = "epoll_ctl_old";
    t[SYS_epoll_wait_old as usize] = "epoll_wait_old";
    t[SYS_remap_file_pages as usize] = "remap_file_pages";
    t[SYS_getdents64 as usize] = "getdents64";
    t[SYS_set_tid_address as usize] = "set_tid_address";
    t[SYS_restart_syscall as usize] = "restart_syscall";
    t[SYS_semtimedop as usize] = "semtimedop";
    t[SYS_fadvise64 as usize] = "fadvise64";
    t[SYS_timer_create as usize] = "timer_create";
    t[SYS_timer_settime as usize] = "timer_settime";
    t[SYS_timer_gettime as usize] = "timer_gettime";
    t[SYS_timer_getoverrun as usize] = "timer_getoverrun";
    t[SYS_timer_delete as usize] = "timer_delete";
    t[SYS_clock_settime as usize] = "clock_settime";
    t[SYS_clock_gettime as usize] = "clock_gettime";
    t[SYS_clock_getres as usize] = "clock_getres";
    t[SYS_clock_nanosleep as usize] = "clock_nanosleep";
    t[SYS_exit_group as usize] = "exit_group";
    t[SYS_epoll_wait as usize] = "epoll_wait";
    t[SYS_epoll_ctl as usize] = "epoll_ctl";
    t[SYS_tgkill as usize] = "tgkill";
    t[SYS_utimes as usize] = "utimes";
    t[SYS_vserver as usize] = "vserver";
    t[SYS_mbind as usize] = "mbind";
    t[SYS_set_mempolicy as usize] = "set_mempolicy";
    t[SYS_get_mempolicy as usize] = "get_mempolicy";
    t[SYS_mq_open as usize] = "mq_open";
    t[SYS_mq_unlink as usize] = "mq_unlink";
    t[SYS_mq_timedsend as usize] = "mq_timedsend";
    t[SYS_mq_timedreceive as usize] = "mq_timedreceive";
    t[SYS_mq_notify as usize] = "mq_notify";
    t[SYS_mq_getsetattr as usize] = "mq_getsetattr";
    t[SYS_kexec_load as usize] = "kexec_load";
    t[SYS_waitid as usize] = "waitid";
    t[SYS_add_key as usize] = "add_key";
    t[SYS_request_key as usize] = "request_key";
    t[SYS_keyctl as usize] = "keyctl";
    t[SYS_ioprio_set as usize] = "ioprio_set";
    t[SYS_ioprio_get as usize] = "ioprio_get";
    t[SYS_inotify_init as usize] = "inotify_init";
    t[SYS_inotify_add_watch as usize] = "inotify_add_watch";
    t[SYS_inotify_rm_watch as usize] = "inotify_rm_watch";
    t[SYS_migrate_pages as usize] = "migrate_pages";
    t[SYS_openat as usize] = "openat";
    t[SYS_mkdirat as usize] = "mkdirat";
    t[SYS_mknodat as usize] = "mknodat";
    t[SYS_fchownat as usize] = "fchownat";
    t[SYS_futimesat as usize] = "futimesat";
    t[SYS_newfstatat as usize] = "newfstatat";
    t[SYS_unlinkat as usize] = "unlinkat";
    t[SYS_renameat as usize] = "renameat";
    t[SYS_linkat as usize] = "linkat";
    t[SYS_symlinkat as usize] = "symlinkat";
    t[SYS_readlinkat as usize] = "readlinkat";
    t[SYS_fchmodat as usize] = "fchmodat";
    t[SYS_faccessat as usize] = "faccessat";
    t[SYS_pselect6 as usize] = "pselect6";
    t[SYS_ppoll as usize] = "ppoll";
    t[SYS_unshare as usize] = "unshare";
    t[SYS_set_robust_list as usize] = "set_robust_list";
    t[SYS_get_robust_list as usize] = "get_robust_list";
    t[SYS_splice as usize] = "splice";
    t[SYS_tee as usize] = "tee";
    t[SYS_sync_file_range as usize] = "sync_file_range";
    t[SYS_vmsplice as usize] = "vmsplice";
    t[SYS_move_pages as usize] = "move_pages";
    t[SYS_utimensat as usize] = "utimensat";
    t[SYS_epoll_pwait as usize] = "epoll_pwait";
    t[SYS_signalfd as usize] = "signalfd";
    t[SYS_timerfd_create as usize] = "timerfd_create";
    t[SYS_eventfd as usize] = "eventfd";
    t[SYS_fallocate as usize] = "fallocate";
    t[SYS_timerfd_settime as usize] = "timerfd_settime";
    t[SYS_timerfd_gettime as usize] = "timerfd_gettime";
    t[SYS_accept4 as usize] = "accept4";
    t[SYS_signalfd4 as usize] = "signalfd4";
    t[SYS_eventfd2 as usize] = "eventfd2";
    t[SYS_epoll_create1 as usize] = "epoll_create1";
    t[SYS_dup3 as usize] = "dup3";
    t[SYS_pipe2 as usize] = "pipe2";
    t[SYS_inotify_init1 as usize] = "inotify_init1";
    t[SYS_preadv as usize] = "preadv";
    t[SYS_pwritev as usize] = "pwritev";
    t[SYS_rt_tgsigqueueinfo as usize] = "rt_tgsigqueueinfo";
    t[SYS_perf_event_open as usize] = "perf_event_open";
    t[SYS_recvmmsg as usize] = "recvmmsg";
    t[SYS_fanotify_init as usize] = "fanotify_init";
    t[SYS_fanotify_mark as usize] = "fanotify_mark";
    t[SYS_prlimit64 as usize] = "prlimit64";
    t[SYS_name_to_handle_at as usize] = "name_to_handle_at";
    t[SYS_open_by_handle_at as usize] = "open_by_handle_at";
    t[SYS_clock_adjtime as usize] = "clock_adjtime";
    t[SYS_syncfs as usize] = "syncfs";
    t[SYS_sendmmsg as usize] = "sendmmsg";
    t[SYS_setns as usize] = "setns";
    t[SYS_getcpu as usize] = "getcpu";
    t[SYS_process_vm_readv as usize] = "process_vm_readv";
    t[SYS_process_vm_writev as usize] = "process_vm_writev";
    t[SYS_kcmp as usize] = "kcmp";
    t[SYS_finit_module as usize] = "finit_module";
    t[SYS_sched_setattr as usize] = "sched_setattr";
    t[SYS_sched_getattr as usize] = "sched_getattr";
    t[SYS_renameat2 as usize] = "renameat2";
    t[SYS_seccomp as usize] = "seccomp";
    t[SYS_getrandom as usize] = "getrandom";
    t[SYS_memfd_create as usize] = "memfd_create";
    t[SYS_kexec_file_load as usize] = "kexec_file_load";
    t[SYS_bpf as usize] = "bpf";
    t[SYS_execveat as usize] = "execveat";
    t[SYS_userfaultfd as usize] = "userfaultfd";
    t[SYS_membarrier as usize] = "membarrier";
    t[SYS_mlock2 as usize] = "mlock2";
    t[SYS_copy_file_range as usize] = "copy_file_range";
    t[SYS_preadv2 as usize] = "preadv2";
    t[SYS_pwritev2 as usize] = "pwritev2";
    t[SYS_pkey_mprotect as usize] = "pkey_mprotect";
    t[SYS_pkey_alloc as usize] = "pkey_alloc";
    t[SYS_pkey_free as usize] = "pkey_free";
    t[SYS_statx as usize] = "statx";
    t[SYS_io_pgetevents as usize] = "io_pgetevents";
    t[SYS_rseq as usize] = "rseq";
    t[SYS_pidfd_send_signal as usize] = "pidfd_send_signal";
    t[SYS_io_uring_setup as usize] = "io_uring_setup";
    t[SYS_io_uring_enter as usize] = "io_uring_enter";
    t[SYS_io_uring_register as usize] = "io_uring_register";
    t[SYS_open_tree as usize] = "open_tree";
    t[SYS_move_mount as usize] = "move_mount";
    t[SYS_fsopen as usize] = "fsopen";
    t[SYS_fsconfig as usize] = "fsconfig";
    t[SYS_fsmount as usize] = "fsmount";
    t[SYS_fspick as usize] = "fspick";
    t[SYS_pidfd_open as usize] = "pidfd_open";
    t[SYS_clone3 as usize] = "clone3";
    t[SYS_close_range as usize] = "close_range";
    t[SYS_openat2 as usize] = "openat2";
    t[SYS_pidfd_getfd as usize] = "pidfd_getfd";
    t[SYS_faccessat2 as usize] = "faccessat2";
    t[SYS_process_madvise as usize] = "process_madvise";
    t[SYS_epoll_pwait2 as usize] = "epoll_pwait2";
    t[SYS_mount_setattr as usize] = "mount_setattr";
    t[SYS_quotactl_fd as usize] = "quotactl_fd";
    t[SYS_landlock_create_ruleset as usize] = "landlock_create_ruleset";
    t[SYS_landlock_add_rule as usize] = "landlock_add_rule";
    t[SYS_landlock_restrict_self as usize] = "landlock_restrict_self";
    t[SYS_memfd_secret as usize] = "memfd_secret";
    t[SYS_process_mrelease as usize] = "process_mrelease";
    t[SYS_futex_waitv as usize] = "futex_waitv";
    t[SYS_set_mempolicy_home_node as usize] = "set_mempolicy_home_node";
    t[SYS_cachestat as usize] = "cachestat";
    t[SYS_fchmodat2 as usize] = "fchmodat2";
    t[SYS_map_shadow_stack as usize] = "map_shadow_stack";
    t[SYS_futex_wake as usize] = "futex_wake";
    t[SYS_futex_wait as usize] = "futex_wait";
    t[SYS_futex_requeue as usize] = "futex_requeue";
    t[SYS_statmount as usize] = "statmount";
    t[SYS_listmount as usize] = "listmount";
    t[SYS_lsm_get_self_attr as usize] = "lsm_get_self_attr";
    t[SYS_lsm_set_self_attr as usize] = "lsm_set_self_attr";
    t[SYS_lsm_list_modules as usize] = "lsm_list_modules";
    t[SYS_mseal as usize] = "mseal";
    t
};

/// The name of system call `nr` (`"read"` for 0), or `None` if the number
/// is unassigned or beyond [`SYSCALL_MAX`].
pub fn syscall_name(nr: u64) -> Option<&'static str> {
    let name = *NAMES.get(usize::try_from(nr).ok()?)?;
    (!name.is_empty()).then_some(name)
}

/// The number of the system call called `name`, or `None`.
pub fn syscall_number(name: &str) -> Option<u64> {
    let nr = NAMES.iter().position(|n| !n.is_empty() && *n == name)?;
    Some(nr as u64)
}

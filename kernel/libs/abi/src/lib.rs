//! The Linux x86_64 system-call ABI, as the kernel needs it.
//!
//! This crate owns the *numbers and layouts* Ferrite shares with Linux user
//! programs: system-call numbers and names, error numbers, signals and
//! signal sets, wait statuses, the flag constants of the calls Ferrite
//! implements (with strace-style formatters for the tracer), and the C
//! structures copied across the user/kernel boundary. It owns no behaviour:
//! what a call does with a flag is the kernel's business. No `unsafe`, no
//! allocation.
//!
//! Constant types follow the C declarations (`int` flags are `i32`,
//! `unsigned long` ones `u64`, ...); the host tests check every value
//! against the host's C library (through the `libc` crate) or, where the C
//! library has none, against the Linux UAPI headers.
//!
//! Modules:
//! - [`syscall`]: `SYS_*` numbers, [`syscall_name`].
//! - [`errno`]: the [`Errno`] enum.
//! - [`signal`]: signal numbers, names, default actions, [`SigSet`],
//!   `SA_*`, `SIG_*`, `SS_*`; [`sicode`]: `si_code` values.
//! - [`wait`]: [`WaitStatus`], `W*` options, `P_*` id types.
//! - Flag families: [`fcntl`] (`O_*`, `F_*`, `FD_CLOEXEC`, `AT_*`,
//!   `SEEK_*`), [`mman`] (`PROT_*`, `MAP_*`, `MADV_*`, `MCL_*`,
//!   `MREMAP_*`, `MS_*`), [`sched`] (`CLONE_*`), [`poll`], [`random`]
//!   (`GRND_*`), [`clock`] (`CLOCK_*`, `ITIMER_*`), [`resource`]
//!   (`RLIMIT_*`), [`ioctl`], [`arch_prctl`] (`ARCH_*`), [`ptrace`]
//!   (`PTRACE_*`, `NT_*`), [`auxv`] (`AT_*` types), [`mode`] (`S_IF*`,
//!   `DT_*`). Each has `fmt_*` functions returning `Display` values.
//! - [`layout`]: `#[repr(C)]` structures with byte images
//!   (`to_bytes`/`from_bytes`), re-exported here.
//!
//! ```
//! use ferrite_abi::{fcntl, mman, sched, signal, syscall_name, Errno, SigSet, Siginfo, Stat, WaitStatus};
//!
//! assert_eq!(syscall_name(9), Some("mmap"));
//! assert_eq!(Errno::EFAULT.name(), "EFAULT");
//! assert_eq!(Errno::EFAULT.description(), "Bad address");
//! assert_eq!(Errno::from_ret(-14), Some(Errno::EFAULT));
//!
//! let flags = fcntl::O_RDONLY | fcntl::O_CLOEXEC | fcntl::O_LARGEFILE;
//! assert_eq!(fcntl::fmt_open_flags(flags).to_string(), "O_RDONLY|O_LARGEFILE|O_CLOEXEC");
//! assert_eq!(mman::fmt_prot(mman::PROT_READ | 0x80).to_string(), "PROT_READ|0x80");
//! let clone = sched::CLONE_VM | sched::CLONE_VFORK | signal::SIGCHLD as u64;
//! assert_eq!(sched::fmt_clone_flags(clone).to_string(), "CLONE_VM|CLONE_VFORK|SIGCHLD");
//!
//! let mut set = SigSet::FULL;
//! set.remove(signal::SIGINT);
//! assert_eq!(set.blockable().to_string(), "~[SIGINT SIGKILL SIGSTOP]");
//!
//! assert_eq!(WaitStatus::exited(256 + 3).encode(), 3 << 8);
//! assert_eq!(WaitStatus::decode(0x8b), Some(WaitStatus::Signaled { sig: 11, core: true }));
//!
//! // Structures are plain data with a C byte image.
//! let st = Stat { st_size: 42, st_mode: 0o100644, ..Stat::default() };
//! let bytes: [u8; 144] = st.to_bytes();
//! assert_eq!(bytes[48..56], 42i64.to_le_bytes());
//! assert_eq!(Stat::from_bytes(&bytes), st);
//! let si = Siginfo::fault(signal::SIGSEGV, ferrite_abi::sicode::SEGV_MAPERR, 0xdead_0000);
//! assert_eq!(si.to_bytes()[16..24], 0xdead_0000u64.to_le_bytes());
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod flagfmt;

pub mod arch_prctl;
pub mod auxv;
pub mod clock;
pub mod errno;
pub mod fcntl;
pub mod ioctl;
pub mod layout;
pub mod mman;
pub mod mode;
pub mod poll;
pub mod ptrace;
pub mod random;
pub mod resource;
pub mod sched;
pub mod sicode;
pub mod signal;
pub mod syscall;
pub mod wait;

pub use errno::Errno;
pub use flagfmt::{Flags, Named};
pub use layout::Plain;
pub use layout::dirent::{DIRENT64_NAME_OFFSET, dirent64_reclen, read_dirent64, write_dirent64};
pub use layout::io::{Iovec, Pollfd};
pub use layout::resource::{Rlimit, Rusage, Sysinfo};
pub use layout::sigframe::{RtSigframe, SigContext, SigframeLayout, UContext, sigframe_layout};
pub use layout::siginfo::Siginfo;
pub use layout::signal::{KernelSigaction, Sigevent, StackT};
pub use layout::stat::Stat;
pub use layout::termios::{Termios, Winsize};
pub use layout::time::{ItimerVal, Itimerspec, Timespec, Timeval, Timezone, Tms};
pub use layout::user::{UserFpregsStruct, UserRegsStruct};
pub use layout::utsname::{Utsname, uts_field};
pub use signal::{DefaultAction, SigSet, default_action, signal_name};
pub use syscall::syscall_name;
pub use wait::WaitStatus;

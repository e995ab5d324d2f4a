//! `ubench`: the benchmarks in one multi-call binary (packed as
//! `/bin/ubench`, each benchmark as a link `/bin/bench/<name>` to it). The
//! benchmark runs by the name it was started under (see the `multicall`
//! crate); each is a module here. `exit0`, the program `fork_exec` runs,
//! stays a binary of its own (`src/bin/exit0.rs`): it must be tiny.
//!
//! This file owns the table of benchmarks only.

mod fork_exec;
mod fork_exit;
mod fork_touch;
mod mlock_munlock;
mod mmap_munmap;
mod pagefault_anon;
mod pipe_pingpong;
mod process_vm_readv_1m;
mod ptrace_peekdata;
mod signal_roundtrip;
mod sigsegv_roundtrip;
mod syscall_null;

use multicall::Program;

/// The benchmarks, by the name each runs under.
const PROGRAMS: &[Program] = &[
    Program {
        name: "fork_exit",
        main: fork_exit::main,
    },
    Program {
        name: "fork_exec",
        main: fork_exec::main,
    },
    Program {
        name: "syscall_null",
        main: syscall_null::main,
    },
    Program {
        name: "pipe_pingpong",
        main: pipe_pingpong::main,
    },
    Program {
        name: "pagefault_anon",
        main: pagefault_anon::main,
    },
    Program {
        name: "mmap_munmap",
        main: mmap_munmap::main,
    },
    Program {
        name: "fork_touch_4m",
        main: fork_touch::main_4m,
    },
    Program {
        name: "fork_touch_64m",
        main: fork_touch::main_64m,
    },
    Program {
        name: "mlock_munlock_1m",
        main: mlock_munlock::main,
    },
    Program {
        name: "ptrace_peekdata",
        main: ptrace_peekdata::main,
    },
    Program {
        name: "process_vm_readv_1m",
        main: process_vm_readv_1m::main,
    },
    Program {
        name: "signal_roundtrip",
        main: signal_roundtrip::main,
    },
    Program {
        name: "sigsegv_roundtrip",
        main: sigsegv_roundtrip::main,
    },
];

fn main() {
    multicall::main("ubench", PROGRAMS);
}

//! `utests`: the userland test programs in one multi-call binary (packed
//! as `/bin/utests`, each program as a link `/bin/tests/<prog>` to it).
//! The program runs by the name it was started under (see the `multicall`
//! crate); one program per area, each a module here with its own checks:
//! exec, fork, pipe, procfs, ptrace, signal (default actions), sighandler,
//! sigframe, sigfault, sigjob, file, time, tools, misc, badptr, and the VM
//! calls: mmap, munmap, mprotect, madvise, mremap, mlock, vmfork, vmmisc,
//! vmfault, vmerr.
//!
//! This file owns the table of programs only. A start with the exec-probe
//! environment ([`ftest::PROBE_ENV`]) exits at once, as every test program
//! does, before a program is chosen.

mod badptr;
mod exec;
mod file;
mod fork;
mod madvise;
mod misc;
mod mlock;
mod mmap;
mod mprotect;
mod mremap;
mod munmap;
mod pipe;
mod procfs;
mod ptrace;
mod sendfile;
mod sigfault;
mod sigframe;
mod sighandler;
mod sigjob;
mod signal;
mod time;
mod tools;
mod vmerr;
mod vmfault;
mod vmfork;
mod vmmisc;

use multicall::Program;

/// The programs, by the name each runs under.
const PROGRAMS: &[Program] = &[
    Program {
        name: "badptr",
        main: badptr::main,
    },
    Program {
        name: "exec",
        main: exec::main,
    },
    Program {
        name: "file",
        main: file::main,
    },
    Program {
        name: "fork",
        main: fork::main,
    },
    Program {
        name: "madvise",
        main: madvise::main,
    },
    Program {
        name: "misc",
        main: misc::main,
    },
    Program {
        name: "mlock",
        main: mlock::main,
    },
    Program {
        name: "mmap",
        main: mmap::main,
    },
    Program {
        name: "mprotect",
        main: mprotect::main,
    },
    Program {
        name: "mremap",
        main: mremap::main,
    },
    Program {
        name: "munmap",
        main: munmap::main,
    },
    Program {
        name: "pipe",
        main: pipe::main,
    },
    Program {
        name: "procfs",
        main: procfs::main,
    },
    Program {
        name: "ptrace",
        main: ptrace::main,
    },
    Program {
        name: "sendfile",
        main: sendfile::main,
    },
    Program {
        name: "sigfault",
        main: sigfault::main,
    },
    Program {
        name: "sigframe",
        main: sigframe::main,
    },
    Program {
        name: "sighandler",
        main: sighandler::main,
    },
    Program {
        name: "sigjob",
        main: sigjob::main,
    },
    Program {
        name: "signal",
        main: signal::main,
    },
    Program {
        name: "time",
        main: time::main,
    },
    Program {
        name: "tools",
        main: tools::main,
    },
    Program {
        name: "vmerr",
        main: vmerr::main,
    },
    Program {
        name: "vmfault",
        main: vmfault::main,
    },
    Program {
        name: "vmfork",
        main: vmfork::main,
    },
    Program {
        name: "vmmisc",
        main: vmmisc::main,
    },
];

fn main() {
    ftest::exit_if_probe();
    multicall::main("utests", PROGRAMS);
}

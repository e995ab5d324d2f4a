//! `ftools`: the user's tools in one multi-call binary (packed as
//! `/bin/ftools`, each tool as a link `/bin/<tool>` to it): `vmstat`
//! (system-wide memory and fault counters, pools), `pmap` (a process's
//! map entries) and `ps` (the processes). The tool runs by the name it was
//! started under (see the `multicall` crate); each is a module here and
//! reads only `/proc`, so the ones whose files Linux has too (ps, pmap
//! through maps, vmstat's Linux subset) also run on Linux.
//!
//! This file owns the table of tools and the usage conventions they share:
//! `--help` prints the usage to standard output and exits 0; a bad option
//! prints it to standard error and exits 2; a file that cannot be read is
//! a message on standard error and status 1.

mod pmap;
mod ps;
mod vmstat;

use multicall::Program;

/// The tools, by the name each runs under.
const PROGRAMS: &[Program] = &[
    Program {
        name: "pmap",
        main: pmap::main,
    },
    Program {
        name: "ps",
        main: ps::main,
    },
    Program {
        name: "vmstat",
        main: vmstat::main,
    },
];

/// The words after the program name.
pub fn args() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// `--help`: the usage on standard output, status 0.
pub fn help(usage: &str) -> ! {
    print!("{usage}");
    std::process::exit(0)
}

/// A usage error: the reason and the usage on standard error, status 2.
pub fn usage_error(tool: &str, why: &str, usage: &str) -> ! {
    eprint!("{tool}: {why}\n{usage}");
    std::process::exit(2)
}

/// A run-time failure: the message on standard error, status 1.
pub fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

fn main() {
    multicall::main("ftools", PROGRAMS);
}

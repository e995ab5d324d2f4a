//! `ps`: the processes, from `/proc/<pid>/stat` and `cmdline` (procps'
//! `ps ax` with fewer columns): PID, parent, process group, state, resident
//! and virtual size in KiB, and the command (its arguments, or `[name]`
//! when it has none; a zombie is `<defunct>`). Processes that end while
//! `ps` reads are left out. Runs on Linux too.

use ftools::parse::{self, Stat};
use ftools::table::{Align, Table};

const USAGE: &str = "\
usage: ps [-p PID[,PID...]]
  List processes: PID, PPID, PGID, state (R running, S sleeping,
  T stopped, Z zombie), RSS and VSZ in KiB, command.
  -p PIDS   only these processes
  --help    this text
";

/// One process's row, or None if it is gone.
fn row(pid: u32) -> Option<Vec<String>> {
    let stat = Stat::parse(&ftools::read(&format!("/proc/{pid}/stat")).ok()?)?;
    let cmd = parse::cmdline(&ftools::read(&format!("/proc/{pid}/cmdline")).unwrap_or_default());
    let command = match (stat.state, cmd.is_empty()) {
        ('Z', _) => format!("[{}] <defunct>", stat.comm),
        (_, true) => format!("[{}]", stat.comm),
        (_, false) => cmd,
    };
    Some(vec![
        stat.pid.to_string(),
        stat.ppid().to_string(),
        stat.pgrp().to_string(),
        stat.state.to_string(),
        (stat.rss_pages() * ftools::PAGE / 1024).to_string(),
        (stat.vsize() / 1024).to_string(),
        command,
    ])
}

/// The PIDs of `-p 1,2,3`.
fn pid_list(arg: &str) -> Option<Vec<u32>> {
    arg.split(',').map(|p| p.trim().parse().ok()).collect()
}

pub fn main() {
    let args = crate::args();
    let mut only: Option<Vec<u32>> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--help" | "-h" => crate::help(USAGE),
            "-p" => {
                let list = args.get(i + 1).and_then(|a| pid_list(a));
                match list {
                    Some(l) => only = Some(l),
                    None => crate::usage_error("ps", "-p needs a list of PIDs", USAGE),
                }
                i += 1;
            }
            other => crate::usage_error("ps", &format!("unknown argument {other:?}"), USAGE),
        }
        i += 1;
    }
    let pids = match only {
        Some(l) => l,
        None => {
            ftools::pids().unwrap_or_else(|e| crate::fail(&ftools::cannot_read("ps", "/proc", &e)))
        }
    };
    let mut t = Table::new(&[
        ("PID", Align::Right),
        ("PPID", Align::Right),
        ("PGID", Align::Right),
        ("S", Align::Left),
        ("RSS", Align::Right),
        ("VSZ", Align::Right),
        ("COMMAND", Align::Left),
    ]);
    let mut found = false;
    for pid in pids {
        if let Some(r) = row(pid) {
            t.row(r);
            found = true;
        }
    }
    print!("{}", t.render());
    if !found {
        std::process::exit(1);
    }
}

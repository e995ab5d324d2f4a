//! `pmap PID`: a process's map entries in the style of NetBSD's pmap(1)
//! `-l`, from Ferrite's `/proc/<pid>/uvm`: range, size, protection and
//! maximum protection, inheritance / wired count / advice, the amap (its
//! name, the entry's first slot and the amap's references) and the anons
//! of the entry in it, the object and offset, the resident size, the
//! flags (cow: copy-on-write, nc: needs copy, mlock) and the name (the
//! program's path, [heap], [stack]); then the totals.
//!
//! Where there is no `uvm` file (Linux), the entries of `maps` are shown
//! instead (range, size, permissions, offset, name), with a note saying so.

use ftools::parse::{MapsLine, UvmEntry};
use ftools::table::{Align, Table, kib};

const USAGE: &str = "\
usage: pmap PID
  Show the map entries of process PID (or `self`): range, size,
  protection/maximum, inheritance/wired/advice, amap (slot, references)
  and anons, object and offset, resident size, flags, name.
  --help    this text
";

/// inherit/wired/advice as NetBSD's `I/W/A` column (`c/0/n`).
fn iwa(e: &UvmEntry) -> String {
    let first = |s: &str| s.chars().next().unwrap_or('?');
    format!("{}/{}/{}", first(&e.inherit), e.wired, first(&e.advice))
}

fn uvm_table(entries: &[UvmEntry]) -> String {
    let mut t = Table::new(&[
        ("START-END", Align::Left),
        ("SIZE", Align::Right),
        ("PROT", Align::Left),
        ("I/W/A", Align::Left),
        ("AMAP", Align::Left),
        ("ANONS", Align::Right),
        ("OBJECT", Align::Left),
        ("RES", Align::Right),
        ("FLAGS", Align::Left),
        ("NAME", Align::Left),
    ]);
    let (mut size, mut res) = (0, 0);
    for e in entries {
        size += e.size();
        res += e.resident;
        t.row(vec![
            format!("{:016x}-{:016x}", e.start, e.end),
            kib(e.size()),
            format!("{}/{}", e.prot, e.max_prot),
            iwa(e),
            e.amap
                .as_ref()
                .map_or("-".into(), |(a, slot, refs)| format!("{a}+{slot} r{refs}")),
            e.anons.to_string(),
            e.object
                .as_ref()
                .map_or("-".into(), |(o, off)| format!("{o}+{off:#x}")),
            kib(e.resident * ftools::PAGE),
            if e.flags.is_empty() {
                "-".into()
            } else {
                e.flags.join(",")
            },
            e.name.clone(),
        ]);
    }
    format!(
        "{}total {}, resident {}, {} entries\n",
        t.render(),
        kib(size),
        kib(res * ftools::PAGE),
        entries.len()
    )
}

fn maps_table(entries: &[MapsLine]) -> String {
    let mut t = Table::new(&[
        ("START-END", Align::Left),
        ("SIZE", Align::Right),
        ("PERM", Align::Left),
        ("OFFSET", Align::Right),
        ("NAME", Align::Left),
    ]);
    let mut size = 0;
    for e in entries {
        size += e.end - e.start;
        t.row(vec![
            format!("{:016x}-{:016x}", e.start, e.end),
            kib(e.end - e.start),
            e.perms.clone(),
            format!("{:x}", e.offset),
            e.name.clone(),
        ]);
    }
    format!(
        "{}total {}, {} entries\n",
        t.render(),
        kib(size),
        entries.len()
    )
}

pub fn main() {
    let args = crate::args();
    let pid = match args.as_slice() {
        [a] if a == "--help" || a == "-h" => crate::help(USAGE),
        [p] if p == "self" || ftools::parse::pid_name(p).is_some() => p.clone(),
        [] => crate::usage_error("pmap", "which process?", USAGE),
        _ => crate::usage_error("pmap", &format!("bad arguments {args:?}"), USAGE),
    };
    // The process's name, for the first line.
    let cmd = ftools::read(&format!("/proc/{pid}/cmdline"))
        .map(|c| ftools::parse::cmdline(&c))
        .unwrap_or_default();
    let uvm_path = format!("/proc/{pid}/uvm");
    match ftools::read(&uvm_path) {
        Ok(text) => {
            let entries: Vec<UvmEntry> = text.lines().filter_map(UvmEntry::parse).collect();
            println!("{pid}: {cmd}");
            print!("{}", uvm_table(&entries));
        }
        Err(_) => {
            let maps_path = format!("/proc/{pid}/maps");
            let text = ftools::read(&maps_path)
                .unwrap_or_else(|e| crate::fail(&ftools::cannot_read("pmap", &maps_path, &e)));
            let entries: Vec<MapsLine> = text.lines().filter_map(MapsLine::parse).collect();
            println!("{pid}: {cmd}");
            println!("(no {uvm_path}: the entries of maps, without UVM's detail)");
            print!("{}", maps_table(&entries));
        }
    }
}

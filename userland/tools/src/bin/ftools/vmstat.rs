//! `vmstat`: the system's memory counters, after NetBSD's vmstat(1).
//!
//! - `vmstat`: free, active and wired pages, the faults by UVM case
//!   (1A an anon's page mapped, 1B copy-on-write, 2A an object's page
//!   mapped, 2B promoted or zero-filled), copy-on-write copies, zero
//!   fills and forks, from `/proc/vmstat`;
//! - `vmstat -s`: every counter, one per line (`/proc/ferrite/uvmexp`);
//! - `vmstat -m`: the pools and the malloc types (`/proc/ferrite/pools`,
//!   `/proc/ferrite/malloc`).
//!
//! On Linux `/proc/vmstat` has the Linux subset (free and active pages,
//! faults, and forks from `/proc/stat`): the UVM lines show `-`; `-s`
//! lists `/proc/vmstat` as it is; `-m` needs Ferrite's files.

use ftools::parse::{self, lookup};
use ftools::table::{Align, Table};

const USAGE: &str = "\
usage: vmstat [-s | -m]
  Show free, active and wired pages, page faults by UVM case,
  copy-on-write copies, zero fills and forks.
  -s        every counter, one per line
  -m        the kernel's pools and malloc types
  --help    this text
";

fn read_or_fail(path: &str) -> String {
    ftools::read(path).unwrap_or_else(|e| crate::fail(&ftools::cannot_read("vmstat", path, &e)))
}

/// A counter as text (`-` when the kernel does not have it).
fn show(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// Forks since boot: Ferrite's counter, or Linux's `processes` line.
fn forks(vm: &[(String, u64)]) -> Option<u64> {
    lookup(vm, "uvm_forks").or_else(|| {
        let stat = ftools::read("/proc/stat").ok()?;
        stat.lines()
            .find_map(|l| l.strip_prefix("processes "))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// The summary (no option).
fn summary() -> String {
    let vm = parse::name_values(&read_or_fail("/proc/vmstat"));
    let get = |k: &str| lookup(&vm, k);
    let active = match (get("nr_active_anon"), get("nr_active_file")) {
        (Some(a), Some(f)) => Some(a + f),
        _ => None,
    };
    let mut out = format!(
        "pages (4 KiB): free {}, active {} (anon {}, file/object {}), wired {}, mlocked {}\n",
        show(get("nr_free_pages")),
        show(active),
        show(get("nr_active_anon")),
        show(get("nr_active_file")),
        show(get("uvm_wired_pages")),
        show(get("nr_mlock")),
    );
    out += &format!(
        "faults: {} (major {})\n",
        show(get("pgfault")),
        show(get("pgmajfault"))
    );
    let mut t = Table::new(&[
        ("  case", Align::Left),
        ("what", Align::Left),
        ("count", Align::Right),
    ]);
    for (case, what, key) in [
        ("  1A", "an anon's page mapped", "uvm_fault_anon"),
        ("  1B", "copy-on-write copy", "uvm_fault_cow"),
        ("  2A", "an object's page mapped", "uvm_fault_object"),
        ("  2B", "object page promoted", "uvm_fault_promote"),
        ("  2B", "zero fill", "uvm_fault_zero"),
    ] {
        t.row(vec![case.into(), what.into(), show(get(key))]);
    }
    out += &t.render();
    out += &format!(
        "copy-on-write copies {}, zero fills {}, forks {}\n",
        show(get("uvm_cow_copies")),
        show(get("uvm_zero_fills")),
        show(forks(&vm)),
    );
    out
}

/// What each `uvmexp` counter is, for `-s`.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("pagesize", "bytes per page"),
    ("npages", "page frames"),
    ("managed", "pages managed"),
    ("free", "pages free"),
    (
        "available",
        "pages available (free, empty pool pages, cached stacks)",
    ),
    ("wired", "pages wired by the kernel"),
    ("pageable", "pages pageable (anons and objects)"),
    ("user_wired", "pages wired by programs (mlock)"),
    ("page_allocs", "page allocations"),
    ("page_frees", "page frees"),
    ("page_alloc_failures", "page allocation failures"),
    ("page_waiters", "threads waiting for pages"),
    ("faults", "page faults"),
    ("fault_anon", "faults mapping an anon's page (1A)"),
    ("fault_cow", "copy-on-write copies (1B)"),
    ("fault_object", "faults mapping an object's page (2A)"),
    ("fault_promote", "object pages promoted to anons (2B)"),
    ("fault_zero", "zero-filled anons (2B)"),
    ("fault_retries", "faults retried after a shortage"),
    (
        "fault_refaults",
        "faults restarted (the map or an amap changed)",
    ),
    ("needs_copy_shortcuts", "needs-copy resolved without a copy"),
    ("amap_chunk_copies", "amap copies of a chunk of an entry"),
    ("forks", "forks"),
    ("procs", "processes"),
    ("lwps", "threads"),
    ("amaps", "amaps"),
    ("anons", "anons"),
    ("pv_entries", "pv entries"),
    ("pv_pages", "pages of pv entries"),
    ("pool_pages", "pool pages"),
    ("pool_empty_pages", "empty pool pages"),
    ("pool_items", "pool items in use"),
    ("kstack_pages", "kernel stack pages"),
    ("kstack_cached_pages", "cached kernel stack pages"),
    ("page_table_pages", "page-table pages"),
];

fn describe(name: &str) -> String {
    if let Some((_, d)) = DESCRIPTIONS.iter().find(|(n, _)| *n == name) {
        return d.to_string();
    }
    match name.strip_prefix("pages_") {
        Some(usage) => format!("pages used for {}", usage.replace('_', " ")),
        None => name.replace('_', " "),
    }
}

/// `-s`.
fn long_list() -> String {
    let (pairs, described) = match ftools::read("/proc/ferrite/uvmexp") {
        Ok(text) => (parse::name_values(&text), true),
        Err(_) => (parse::name_values(&read_or_fail("/proc/vmstat")), false),
    };
    pairs
        .iter()
        .map(|(name, v)| {
            let what = if described {
                describe(name)
            } else {
                name.clone()
            };
            format!("{v:>12} {what}\n")
        })
        .collect()
}

/// A `# name ...` table of the kernel, its columns renamed and aligned.
fn kernel_table(path: &str, columns: &[(&str, &str, Align)]) -> String {
    let text = read_or_fail(path);
    let Some((header, rows)) = parse::header_table(&text) else {
        crate::fail(&format!("vmstat: {path}: no header line"));
    };
    let index: Vec<Option<usize>> = columns
        .iter()
        .map(|(key, _, _)| header.iter().position(|h| h == key))
        .collect();
    let heads: Vec<(&str, Align)> = columns.iter().map(|(_, h, a)| (*h, *a)).collect();
    let mut t = Table::new(&heads);
    for r in rows {
        t.row(
            index
                .iter()
                .map(|i| i.map_or("-".into(), |i| r[i].clone()))
                .collect(),
        );
    }
    t.render()
}

/// `-m`.
fn pools() -> String {
    use Align::{Left, Right};
    let pools = kernel_table(
        "/proc/ferrite/pools",
        &[
            ("name", "Name", Left),
            ("size", "Size", Right),
            ("perpage", "PerPg", Right),
            ("gets", "Requests", Right),
            ("fails", "Fail", Right),
            ("puts", "Releases", Right),
            ("inuse", "InUse", Right),
            ("pages", "Pages", Right),
            ("hiwat", "HiWat", Right),
            ("pagealloc", "PgAlloc", Right),
            ("pagefree", "PgFree", Right),
            ("empty", "Empty", Right),
            ("partial", "Partial", Right),
            ("full", "Full", Right),
            ("backend", "Backend", Left),
        ],
    );
    let types = kernel_table(
        "/proc/ferrite/malloc",
        &[
            ("type", "Type", Left),
            ("inuse", "InUse", Right),
            ("highuse", "HighUse", Right),
            ("limit", "Limit", Right),
            ("requests", "Requests", Right),
            ("fails", "Fail", Right),
        ],
    );
    format!("Memory resource pool statistics\n{pools}\nMalloc types\n{types}")
}

pub fn main() {
    let args = crate::args();
    let out = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => summary(),
        ["-s"] => long_list(),
        ["-m"] => pools(),
        ["--help"] | ["-h"] => crate::help(USAGE),
        _ => crate::usage_error("vmstat", &format!("bad arguments {args:?}"), USAGE),
    };
    print!("{out}");
}

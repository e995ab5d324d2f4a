//! Parsers of `/proc` files (pure; see the crate comment).
//!
//! - `/proc/<pid>/stat`: the command name ends at the *last* `)` (it may
//!   hold spaces and parentheses), fields are counted from 1 as proc(5)
//!   numbers them;
//! - `/proc/<pid>/maps`: Linux's columns, the pathname the rest of the
//!   line after the inode (leading spaces removed);
//! - `/proc/<pid>/uvm`: Ferrite's columns (see the kernel's procfs
//!   `maps.rs`), `#` lines skipped, `-` for what an entry lacks;
//! - `Key: value` lists (`status`, `meminfo`) and `name value` lists
//!   (`vmstat`, `uvmexp`), in file order;
//! - tables with a `# name ...` header (`/proc/ferrite/pools`, `malloc`):
//!   rows keyed by the header's names.

/// The PID a `/proc` entry name stands for.
pub fn pid_name(name: &str) -> Option<u32> {
    if name.is_empty() || name.starts_with('0') || !name.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// A `stat` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: u32,
    pub comm: String,
    pub state: char,
    /// Fields 4 on, as text (index 0 is field 4, the parent's PID).
    pub rest: Vec<String>,
}

impl Stat {
    pub fn parse(line: &str) -> Option<Stat> {
        let open = line.find(" (")?;
        let close = line.rfind(')')?;
        if close < open {
            return None;
        }
        let pid = line[..open].trim().parse().ok()?;
        let comm = line[open + 2..close].to_string();
        let mut after = line.get(close + 1..)?.split_whitespace();
        let state = after.next()?.chars().next()?;
        Some(Stat {
            pid,
            comm,
            state,
            rest: after.map(String::from).collect(),
        })
    }

    /// Field `n` (proc(5)'s numbering, n >= 4) as a number.
    pub fn field(&self, n: usize) -> Option<i64> {
        self.rest.get(n.checked_sub(4)?)?.parse().ok()
    }

    pub fn ppid(&self) -> i64 {
        self.field(4).unwrap_or(0)
    }

    pub fn pgrp(&self) -> i64 {
        self.field(5).unwrap_or(0)
    }

    /// Virtual size in bytes (field 23).
    pub fn vsize(&self) -> u64 {
        self.field(23).unwrap_or(0).max(0) as u64
    }

    /// Resident pages (field 24).
    pub fn rss_pages(&self) -> u64 {
        self.field(24).unwrap_or(0).max(0) as u64
    }
}

/// A `cmdline` as one line: arguments joined by spaces (the trailing NUL
/// dropped); empty if there are none.
pub fn cmdline(raw: &str) -> String {
    let trimmed = raw.strip_suffix('\0').unwrap_or(raw);
    trimmed.replace('\0', " ")
}

/// One `maps` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapsLine {
    pub start: u64,
    pub end: u64,
    pub perms: String,
    pub offset: u64,
    pub dev: String,
    pub inode: u64,
    pub name: String,
}

impl MapsLine {
    pub fn parse(line: &str) -> Option<MapsLine> {
        let mut f = line.splitn(6, ' ');
        let (s, e) = f.next()?.split_once('-')?;
        let perms = f.next()?.to_string();
        let offset = u64::from_str_radix(f.next()?, 16).ok()?;
        let dev = f.next()?.to_string();
        let inode = f.next()?.parse().ok()?;
        Some(MapsLine {
            start: u64::from_str_radix(s, 16).ok()?,
            end: u64::from_str_radix(e, 16).ok()?,
            perms,
            offset,
            dev,
            inode,
            name: f.next().unwrap_or("").trim_start().to_string(),
        })
    }
}

/// One `uvm` line (a map entry as UVM sees it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UvmEntry {
    pub start: u64,
    pub end: u64,
    pub prot: String,
    pub max_prot: String,
    pub inherit: String,
    pub wired: u32,
    pub advice: String,
    /// The amap's name, its first slot and its references.
    pub amap: Option<(String, u64, u32)>,
    pub anons: u64,
    /// The object's name and the offset of the entry's start in it.
    pub object: Option<(String, u64)>,
    pub object_pages: u64,
    pub resident: u64,
    pub flags: Vec<String>,
    pub name: String,
}

impl UvmEntry {
    /// Parses one line; `None` for the header or a malformed line.
    pub fn parse(line: &str) -> Option<UvmEntry> {
        if line.starts_with('#') {
            return None;
        }
        let mut f = line.splitn(17, ' ');
        let mut next = || f.next();
        let start = u64::from_str_radix(next()?, 16).ok()?;
        let end = u64::from_str_radix(next()?, 16).ok()?;
        let prot = next()?.to_string();
        let max_prot = next()?.to_string();
        let inherit = next()?.to_string();
        let wired = next()?.parse().ok()?;
        let advice = next()?.to_string();
        let (amap, slot, refs) = (next()?, next()?, next()?);
        let amap = match amap {
            "-" => None,
            a => Some((a.to_string(), slot.parse().ok()?, refs.parse().ok()?)),
        };
        let anons = next()?.parse().ok()?;
        let (object, offset) = (next()?, next()?);
        let object = match object {
            "-" => None,
            o => Some((o.to_string(), u64::from_str_radix(offset, 16).ok()?)),
        };
        let object_pages = next()?.parse().ok()?;
        let resident = next()?.parse().ok()?;
        let flags = match next()? {
            "-" => Vec::new(),
            f => f.split(',').map(String::from).collect(),
        };
        let name = next().unwrap_or("").to_string();
        Some(UvmEntry {
            start,
            end,
            prot,
            max_prot,
            inherit,
            wired,
            advice,
            amap,
            anons,
            object,
            object_pages,
            resident,
            flags,
            name,
        })
    }

    pub fn size(&self) -> u64 {
        self.end - self.start
    }
}

/// `Key: value` lines (`status`, `meminfo`): (key, value trimmed).
pub fn key_values(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// `name value` lines (`vmstat`, `uvmexp`) with a numeric value.
pub fn name_values(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(k, v)| Some((k.to_string(), v.trim().parse().ok()?)))
        .collect()
}

/// The value of `name` in `name value` pairs.
pub fn lookup(pairs: &[(String, u64)], name: &str) -> Option<u64> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

/// A table with a `# col col ...` header: (column names, rows of fields).
/// Rows with another number of fields than the header are skipped.
pub fn header_table(text: &str) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()?
        .strip_prefix('#')?
        .split_whitespace()
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .filter(|r| r.len() == header.len())
        .collect();
    Some((header, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_names() {
        assert_eq!(pid_name("1"), Some(1));
        assert_eq!(pid_name("4321"), Some(4321));
        for bad in ["", "0", "01", "self", "1a", "-1", "99999999999"] {
            assert_eq!(pid_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn stat_lines() {
        let s = Stat::parse("42 (a (weird) name) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 36864 3 18446744073709551615 0\n").unwrap();
        assert_eq!(
            (s.pid, s.comm.as_str(), s.state),
            (42, "a (weird) name", 'S')
        );
        assert_eq!((s.ppid(), s.pgrp()), (1, 42));
        assert_eq!((s.vsize(), s.rss_pages()), (36864, 3));
        assert_eq!(s.field(3), None);
        assert_eq!(Stat::parse("garbage"), None);
        assert_eq!(Stat::parse("1 (x"), None);
    }

    #[test]
    fn cmdlines() {
        assert_eq!(cmdline("ls\0-l\0/tmp\0"), "ls -l /tmp");
        assert_eq!(cmdline("a b\0\0c\0"), "a b  c");
        assert_eq!(cmdline(""), "");
    }

    #[test]
    fn maps_lines() {
        let l = MapsLine::parse(
            "00400000-00452000 r-xp 00001000 00:02 17                         /bin/utests",
        )
        .unwrap();
        assert_eq!(
            (l.start, l.end, l.offset, l.inode),
            (0x40_0000, 0x45_2000, 0x1000, 17)
        );
        assert_eq!(
            (l.perms.as_str(), l.dev.as_str(), l.name.as_str()),
            ("r-xp", "00:02", "/bin/utests")
        );
        let anon = MapsLine::parse("7f00-8000 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!(anon.name, "");
        let spaced = MapsLine::parse("1000-2000 r--p 0 00:01 5      /tmp/a b").unwrap();
        assert_eq!(spaced.name, "/tmp/a b");
        assert_eq!(MapsLine::parse("1000 r--p"), None);
    }

    #[test]
    fn uvm_lines() {
        assert_eq!(UvmEntry::parse("# start end prot"), None);
        let e = UvmEntry::parse(
            "0000000000400000 0000000000401000 r-x rwx copy 0 normal amap#12 0 1 1 - - 0 1 - [heap]",
        )
        .unwrap();
        assert_eq!((e.start, e.size()), (0x40_0000, 0x1000));
        assert_eq!(
            (e.prot.as_str(), e.max_prot.as_str(), e.inherit.as_str()),
            ("r-x", "rwx", "copy")
        );
        assert_eq!(e.amap, Some(("amap#12".to_string(), 0, 1)));
        assert_eq!((e.anons, e.object.clone(), e.resident), (1, None, 1));
        assert!(e.flags.is_empty());
        assert_eq!(e.name, "[heap]");
        let f = UvmEntry::parse(
            "0000000000401000 0000000000402000 r-- rwx copy 1 random - - 0 0 aobj#9 1000 2 2 cow,nc /bin/a b",
        )
        .unwrap();
        assert_eq!((f.wired, f.advice.as_str()), (1, "random"));
        assert_eq!(f.amap, None);
        assert_eq!(f.object, Some(("aobj#9".to_string(), 0x1000)));
        assert_eq!(f.flags, ["cow", "nc"]);
        assert_eq!(f.name, "/bin/a b");
        assert_eq!(UvmEntry::parse("0000000000401000 zz"), None);
    }

    #[test]
    fn lists() {
        let kv = key_values("Name:\tps\nVmRSS:\t     120 kB\nbogus\n");
        assert_eq!(
            kv,
            [
                ("Name".into(), "ps".into()),
                ("VmRSS".into(), "120 kB".into())
            ]
        );
        let nv = name_values("pgfault 12\nnr_free_pages 7\nbad x\n");
        assert_eq!(lookup(&nv, "pgfault"), Some(12));
        assert_eq!(lookup(&nv, "bad"), None);
        let (h, rows) = header_table("# name size\nanonpl 48\nshort\nkmem-16 16\n").unwrap();
        assert_eq!(h, ["name", "size"]);
        assert_eq!(
            rows,
            [
                vec!["anonpl".to_string(), "48".into()],
                vec!["kmem-16".into(), "16".into()]
            ]
        );
        assert!(header_table("name size\n").is_none());
    }
}

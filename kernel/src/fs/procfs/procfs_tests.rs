//! ktests of procfs, on a private instance (its own root, unmounted):
//! the maps, uvm and status of a sleeping process whose mappings are
//! known exactly, the directory of a reaped process (ENOENT) and its
//! open files (ESRCH), the refusals, and a walk reading every file of
//! the tree, which the leak check wraps.

use super::root::parse_pid;
use crate::fs::vnode::{DirEntry, VType, VnodeRef};
use crate::kern::error::KResult;
use crate::kern::proc::ptable;
use crate::kern::sched::{lwp, sched::Stat, sleepq};
use crate::kern::sig::{SigInfo, post};
use crate::kern::syscall::ferrite::{SYS_FERRITE_KTEST, op};
use crate::ktest::ktest;
use crate::ktest::user::{CODE, DATA, EXIT_EDI, STACK_PAGES, SYSCALL, UserProg, code, mov_eax};
use crate::ktest::user::{mov_edi, mov_esi, reap_orphan};
use crate::uvm::vmspace::PAGE;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_abi::Errno;
use ferrite_abi::signal::SIGKILL;

/// The whole text of a file.
fn read_all(v: &VnodeRef) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = v.read(out.len() as u64, &mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn text(v: &VnodeRef) -> Result<String, Errno> {
    Ok(String::from_utf8(read_all(v)?).expect("procfs text is UTF-8"))
}

/// A process sleeping in the kernel (100 s) until killed: (prog, pid, thread).
fn sleeper() -> KResult<(UserProg, u32, lwp::LwpRef)> {
    let p = UserProg::new(&code(&[
        &mov_eax(SYS_FERRITE_KTEST as u32),
        &mov_edi(op::SLEEP_MS as u32),
        &mov_esi(100_000),
        &SYSCALL,
        &mov_edi(7),
        &EXIT_EDI,
    ]))?;
    // A heap of three pages above the program's end.
    let layout = p.vs.map.layout().expect("user layout");
    p.vs.set_brk(layout.data_end + 3 * PAGE)?;
    let (pid, l) = p.start_proc(|_| {})?;
    while lwp::stat_of(&l) != Stat::Sleeping {
        let _ = sleepq::sleep(sleepq::chan(&pid), false, Some(1));
    }
    Ok((p, pid, l))
}

fn kill(pid: u32, l: lwp::LwpRef) {
    let target = ptable::lock().find(pid).expect("the process exists");
    post(&target, SigInfo::user(SIGKILL, 0));
    drop(target);
    assert_eq!(lwp::join(l), SIGKILL);
    reap_orphan(pid);
}

fn pid_dir(root: &VnodeRef, pid: u32) -> Result<VnodeRef, Errno> {
    root.lookup(format!("{pid}").as_bytes())
}

#[ktest]
fn maps_uvm_and_status_of_known_mappings() -> KResult<()> {
    let root = super::new();
    let (prog, pid, l) = sleeper()?;
    let layout = prog.vs.map.layout().expect("user layout");
    let check = || -> Result<(), Errno> {
        let dir = pid_dir(&root, pid)?;
        let maps = text(&dir.lookup(b"maps")?)?;
        let top = layout.stack_top;
        let heap = layout.data_end;
        let named = |prefix: String, name: &str| format!("{prefix:<73}{name}\n");
        let want = format!(
            "{CODE:08x}-{:08x} r-xp 00000000 00:00 0 \n{DATA:08x}-{:08x} rw-p 00000000 00:00 0 \n{}{}",
            CODE + PAGE,
            DATA + PAGE,
            named(
                format!("{heap:08x}-{:08x} rw-p 00000000 00:00 0 ", heap + 3 * PAGE),
                "[heap]"
            ),
            named(
                format!(
                    "{:08x}-{top:08x} rw-p 00000000 00:00 0 ",
                    top - STACK_PAGES * PAGE
                ),
                "[stack]"
            ),
        );
        assert_eq!(maps, want, "maps of the sleeping process");

        let uvm = text(&dir.lookup(b"uvm")?)?;
        let lines: Vec<&str> = uvm.lines().collect();
        assert_eq!(lines.len(), 5, "header and four entries:\n{uvm}");
        assert!(lines[0].starts_with("# start end prot"), "{uvm}");
        // The code page: written by the test (one anon, mapped), then
        // made read/execute; its amap is its own.
        let code: Vec<&str> = lines[1].split(' ').collect();
        assert_eq!(
            (code[0], code[1], code[2], code[3], code[4], code[5]),
            (
                "0000000000400000",
                "0000000000401000",
                "r-x",
                "rwx",
                "copy",
                "0"
            ),
            "{}",
            lines[1]
        );
        assert!(code[7].starts_with("amap#"), "{}", lines[1]);
        // slot, references, anons, object, offset, object pages, resident, flags
        assert_eq!(&code[8..16], ["0", "1", "1", "-", "-", "0", "1", "-"]);
        // The data page was never touched: no amap yet, nothing resident.
        let data: Vec<&str> = lines[2].split(' ').collect();
        assert_eq!(&data[7..16], ["-", "-", "0", "0", "-", "-", "0", "0", "-"]);
        assert!(lines[3].ends_with(" [heap]") && lines[4].ends_with(" [stack]"));

        let status = text(&dir.lookup(b"status")?)?;
        for want in [
            "Name:\tuproc\n",
            "State:\tS (sleeping)\n",
            &format!("Pid:\t{pid}\n"),
            "PPid:\t0\n",
            // 1 + 1 + 3 + 4 pages mapped, the code page resident.
            "VmSize:\t      36 kB\n",
            "VmRSS:\t       4 kB\n",
            "RssAnon:\t       4 kB\n",
            "VmLck:\t       0 kB\n",
            &format!("VmStk:\t{:>8} kB\n", STACK_PAGES * 4),
            "Threads:\t1\n",
        ] {
            assert!(status.contains(want), "{want:?} not in\n{status}");
        }
        let stat = text(&dir.lookup(b"stat")?)?;
        assert!(
            stat.starts_with(&format!("{pid} (uproc) S 0 {pid} {pid} ")),
            "{stat}"
        );
        assert_eq!(stat.trim_end().split(' ').count(), 52, "{stat}");
        assert_eq!(text(&dir.lookup(b"statm")?)?, "9 1 0 0 0 4 0\n");
        // No exec: no command line, no program.
        assert_eq!(read_all(&dir.lookup(b"cmdline")?)?, b"");
        assert_eq!(dir.lookup(b"exe")?.readlink(), Err(Errno::ENOENT));
        Ok(())
    };
    let r = check();
    kill(pid, l);
    if let Err(e) = r {
        panic!("procfs: {}", e.description());
    }
    Ok(())
}

#[ktest]
fn a_reaped_process_vanishes() -> KResult<()> {
    let root = super::new();
    let (_prog, pid, l) = sleeper()?;
    let dir = pid_dir(&root, pid).expect("the sleeper's directory");
    let status = dir.lookup(b"status").expect("its status");
    assert!(text(&status).is_ok());
    let mut listed = false;
    root.readdir(0, &mut |e: &DirEntry<'_>| {
        listed |= e.name == format!("{pid}").as_bytes() && e.vtype == VType::Dir;
        true
    })
    .expect("readdir of the root");
    assert!(listed, "pid {pid} is listed");
    kill(pid, l);
    assert_eq!(pid_dir(&root, pid).err(), Some(Errno::ENOENT));
    assert_eq!(dir.lookup(b"maps").err(), Some(Errno::ENOENT));
    assert_eq!(read_all(&status).err(), Some(Errno::ESRCH));
    let mut listed = false;
    root.readdir(0, &mut |e: &DirEntry<'_>| {
        listed |= e.name == format!("{pid}").as_bytes();
        true
    })
    .expect("readdir of the root");
    assert!(!listed, "pid {pid} is not listed once reaped");
    Ok(())
}

#[ktest]
fn a_directory_in_use_is_found_again() -> KResult<()> {
    use crate::fs::vnode::same;
    let top = crate::fs::ramfs::new(0o755);
    let covered = top.mkdir(b"proc", 0o555).expect("mkdir /proc");
    let root = super::new();
    crate::fs::mount::mount(&covered, &root, "procfs").expect("mount");
    let fs = root
        .ops()
        .as_any()
        .downcast_ref::<super::root::RootDir>()
        .expect("the root")
        .fs()
        .clone();
    let (_prog, pid, l) = sleeper()?;
    let check = || -> Result<(), Errno> {
        let a = pid_dir(&root, pid)?;
        assert!(
            same(&a, &pid_dir(&root, pid)?),
            "one vnode per directory in use"
        );
        assert!(same(&a.lookup(b"..")?, &root));
        let f = root.lookup(b"ferrite")?;
        assert!(same(&f, &root.lookup(b"ferrite")?));
        assert_eq!(fs.cached_dirs(), 2);
        // Files are made anew (each open keeps its own text).
        assert!(!same(&a.lookup(b"maps")?, &a.lookup(b"maps")?));
        // So a directory of /proc has a path (getcwd).
        let path = crate::fs::vfs_getcwd::path_of(&top, &a)?;
        assert_eq!(path, format!("/proc/{pid}").into_bytes());
        assert_eq!(crate::fs::vfs_getcwd::path_of(&top, &f)?, b"/proc/ferrite");
        Ok(())
    };
    let r = check();
    assert_eq!(
        fs.cached_dirs(),
        0,
        "directories no longer in use are forgotten"
    );
    kill(pid, l);
    crate::fs::mount::unmount(&covered).expect("unmount");
    if let Err(e) = r {
        panic!("procfs: {}", e.description());
    }
    Ok(())
}

#[ktest]
fn nothing_can_be_written_created_or_removed() -> Result<(), Errno> {
    let root = super::new();
    let meminfo = root.lookup(b"meminfo")?;
    assert_eq!(meminfo.write(0, b"x"), Err(Errno::EIO));
    assert_eq!(meminfo.truncate(0), Ok(()));
    assert!(!read_all(&meminfo)?.is_empty(), "truncate changed nothing");
    assert_eq!(root.create(b"new", 0o644).err(), Some(Errno::ENOENT));
    assert_eq!(root.mkdir(b"meminfo", 0o755).err(), Some(Errno::EEXIST));
    assert_eq!(root.unlink(b"meminfo"), Err(Errno::EPERM));
    assert_eq!(root.unlink(b"nothing"), Err(Errno::ENOENT));
    assert_eq!(root.rmdir(b"ferrite"), Err(Errno::EPERM));
    assert_eq!(root.rmdir(b"self"), Err(Errno::ENOTDIR));
    assert_eq!(
        root.rename(b"meminfo", &root, b"vmstat", false),
        Err(Errno::EPERM)
    );
    assert_eq!(
        root.rename(b"meminfo", &root, b"other", false),
        Err(Errno::ENOENT)
    );
    // A kernel thread has no process: no /proc/self.
    assert_eq!(root.lookup(b"self")?.readlink(), Err(Errno::ENOENT));
    for (name, pid) in [
        (&b"1"[..], Some(1)),
        (b"4294967295", Some(u32::MAX)),
        (b"01", None),
        (b"+1", None),
        (b"", None),
        (b"4294967296", None),
        (b"1a", None),
    ] {
        assert_eq!(parse_pid(name), pid, "{name:?}");
    }
    Ok(())
}

/// Read every file and link under `dir`; returns how many there were.
fn read_tree(dir: &VnodeRef, depth: usize) -> Result<usize, Errno> {
    let mut names: Vec<(Vec<u8>, VType)> = Vec::new();
    dir.readdir(0, &mut |e: &DirEntry<'_>| {
        if e.name != b"." && e.name != b".." {
            names.push((e.name.to_vec(), e.vtype));
        }
        true
    })?;
    let mut n = 0;
    for (name, vtype) in names {
        let v = match dir.lookup(&name) {
            Ok(v) => v,
            // A process that ended meanwhile.
            Err(Errno::ENOENT) => continue,
            Err(e) => return Err(e),
        };
        assert_eq!(v.vtype(), vtype, "{:?}", String::from_utf8_lossy(&name));
        n += 1;
        match vtype {
            VType::Dir if depth < 2 => n += read_tree(&v, depth + 1)?,
            VType::Reg => match read_all(&v) {
                Ok(_) | Err(Errno::ESRCH) => {}
                Err(e) => return Err(e),
            },
            VType::Lnk => match v.readlink() {
                Ok(_) | Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            },
            _ => {}
        }
    }
    Ok(n)
}

#[ktest]
fn reading_every_file_leaks_nothing() -> KResult<()> {
    let root = super::new();
    let (_prog, pid, l) = sleeper()?;
    let n = read_tree(&root, 0);
    kill(pid, l);
    let n = n.unwrap_or_else(|e| panic!("reading the tree: {}", e.description()));
    // The fixed entries (4 at the top, 3 in /proc/ferrite), the
    // process's directory and its 8 entries.
    assert!(n >= 7 + 1 + 8, "{n} entries read");
    let meminfo = text(&root.lookup(b"meminfo").expect("meminfo")).expect("meminfo");
    let total = crate::uvm::physmem::stats().managed() * 4;
    assert!(
        meminfo.starts_with(&format!("MemTotal:       {total:>8} kB\n")),
        "{meminfo}"
    );
    let ferrite = root.lookup(b"ferrite").expect("/proc/ferrite");
    let pools = text(&ferrite.lookup(b"pools").expect("pools")).expect("pools");
    assert!(
        pools.lines().any(|l| l.starts_with("anonpl ")),
        "the anon pool is listed:\n{pools}"
    );
    Ok(())
}

//! Against the running Linux kernel: a small static C program (built with
//! the host C compiler, `-static -no-pie`) prints its argv/envp/auxv
//! addresses and its /proc/self/maps; it runs with address randomization
//! off. The test checks that
//! - our load plan for that executable is what Linux mapped (every page:
//!   protection, file offset or anonymous);
//! - Linux's initial stack follows the layout rules `build_stack`
//!   implements, and `build_stack` given the same strings puts them at
//!   the same addresses;
//! - the auxv entries we emit come in the order Linux emits them.
//!
//! Spawning with `personality(ADDR_NO_RANDOMIZE)` needs `unsafe`
//! (`pre_exec`).

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

use ferrite_abi::auxv::*;
use ferrite_elfload::*;

const PROGRAM: &str = r#"
#include <stdio.h>
#include <sys/personality.h>
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv, char **envp) {
    printf("personality %d\n", personality(0xffffffff));
    printf("argv %lu\n", (unsigned long)argv);
    for (int i = 0; i < argc; i++) printf("arg %lu %s\n", (unsigned long)argv[i], argv[i]);
    char **e = envp;
    for (; *e; e++) printf("env %lu %s\n", (unsigned long)*e, *e);
    unsigned long *a = (unsigned long *)(e + 1);
    for (; a[0]; a += 2) printf("aux %lu %lu\n", a[0], a[1]);
    printf("aux 0 0\n");
    printf("maps\n");
    fflush(stdout);
    char buf[65536];
    int fd = open("/proc/self/maps", O_RDONLY), n;
    while ((n = read(fd, buf, sizeof buf)) > 0) write(1, buf, n);
    return 0;
}
"#;

struct Report {
    no_randomize: bool,
    argv_array: u64,
    args: Vec<(u64, String)>,
    envs: Vec<(u64, String)>,
    auxv: Vec<(u64, u64)>,
    /// (start, end, perms, offset, path)
    maps: Vec<(u64, u64, String, u64, String)>,
}

fn build_and_run() -> (PathBuf, Report, PathBuf) {
    let dir = std::env::temp_dir().join(format!("ferrite-elfload-host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("dump.c");
    let exe = dir.join("dump");
    std::fs::write(&src, PROGRAM).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-static", "-no-pie", "-O1", "-Wl,-z,norelro", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        out.status.success(),
        "building a static C program failed (is the static C library installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = Command::new(&exe);
    cmd.args(["x", "yy"])
        .env_clear()
        .env("A", "1")
        .env("BB", "22");
    // SAFETY: personality() is async-signal-safe and touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            libc_personality(0x0040000); // ADDR_NO_RANDOMIZE
            Ok(())
        });
    }
    let run = cmd.output().unwrap();
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let mut r = Report {
        no_randomize: false,
        argv_array: 0,
        args: vec![],
        envs: vec![],
        auxv: vec![],
        maps: vec![],
    };
    let mut in_maps = false;
    for line in text.lines() {
        if in_maps {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (s, e) = f[0].split_once('-').unwrap();
            r.maps.push((
                u64::from_str_radix(s, 16).unwrap(),
                u64::from_str_radix(e, 16).unwrap(),
                f[1].to_string(),
                u64::from_str_radix(f[2], 16).unwrap(),
                f.get(5).unwrap_or(&"").to_string(),
            ));
            continue;
        }
        let (k, rest) = line.split_once(' ').unwrap_or((line, ""));
        match k {
            "personality" => r.no_randomize = rest.parse::<i64>().unwrap() & 0x0040000 != 0,
            "argv" => r.argv_array = rest.parse().unwrap(),
            "arg" | "env" => {
                let (a, s) = rest.split_once(' ').unwrap_or((rest, ""));
                let v = (a.parse().unwrap(), s.to_string());
                if k == "arg" {
                    r.args.push(v)
                } else {
                    r.envs.push(v)
                }
            }
            "aux" => {
                let (t, v) = rest.split_once(' ').unwrap();
                r.auxv.push((t.parse().unwrap(), v.parse().unwrap()));
            }
            "maps" => in_maps = true,
            other => panic!("unexpected line {other}"),
        }
    }
    (exe, r, dir)
}

/// personality(2) without the libc crate (not a dependency here).
fn libc_personality(p: u64) {
    unsafe extern "C" {
        fn personality(persona: std::ffi::c_ulong) -> std::ffi::c_int;
    }
    // SAFETY: plain system-call wrapper, no pointers.
    unsafe {
        personality(p as std::ffi::c_ulong);
    }
}

#[test]
fn plan_and_stack_match_linux() {
    let (exe, r, dir) = build_and_run();
    let file = std::fs::read(&exe).unwrap();
    let exe_path = exe.to_str().unwrap().to_string();

    // ---- The load plan against /proc/self/maps. ----
    let plan = LoadPlan::new(&file[..4096], &LoadParams::default()).unwrap();
    assert_eq!(plan.kind, ElfKind::Exec);
    let covering = |page: u64| {
        r.maps
            .iter()
            .find(|m| m.0 <= page && page < m.1)
            .unwrap_or_else(|| panic!("{page:#x} not mapped by Linux"))
    };
    let perms = |p: Prot| {
        format!(
            "{}{}{}",
            if p.contains(Prot::READ) { 'r' } else { '-' },
            if p.contains(Prot::WRITE) { 'w' } else { '-' },
            if p.contains(Prot::EXEC) { 'x' } else { '-' }
        )
    };
    let mut our_file_pages = BTreeMap::new();
    for m in &plan.mappings {
        for page in (m.vaddr()..m.end()).step_by(4096) {
            let (start, _, lperms, loff, lpath) = covering(page);
            assert_eq!(&lperms[..3], perms(m.prot()), "protection of {page:#x}");
            match *m {
                Mapping::FileMap {
                    vaddr, file_offset, ..
                } => {
                    assert_eq!(lpath, &exe_path, "{page:#x} should map the file");
                    assert_eq!(
                        loff + (page - start),
                        file_offset + (page - vaddr),
                        "file offset of {page:#x}"
                    );
                    our_file_pages.insert(page, ());
                }
                Mapping::ZeroFill { .. } => assert_eq!(lpath, "", "{page:#x} should be anonymous"),
            }
        }
    }
    for (s, e, _, _, path) in &r.maps {
        if path == &exe_path {
            for page in (*s..*e).step_by(4096) {
                assert!(
                    our_file_pages.contains_key(&page),
                    "Linux maps the file at {page:#x}, we do not"
                );
            }
        }
    }
    let aux = |t: u64| r.auxv.iter().find(|e| e.0 == t).map(|e| e.1);
    assert_eq!(aux(AT_ENTRY), Some(plan.entry));
    assert_eq!(aux(AT_PHDR), Some(plan.phdr_addr));
    assert_eq!(aux(AT_PHNUM), Some(plan.phnum));
    assert_eq!(aux(AT_PHENT), Some(plan.phent));
    if r.no_randomize {
        let heap = r.maps.iter().find(|m| m.4 == "[heap]");
        if let Some(h) = heap {
            assert_eq!(h.0, plan.brk_start, "the break starts right after the bss");
        }
    }

    // ---- The stack layout rules. ----
    let top = r.maps.iter().find(|m| m.4 == "[stack]").unwrap().1;
    let execfn = aux(AT_EXECFN).unwrap();
    assert_eq!(
        execfn + exe_path.len() as u64 + 1,
        top - 8,
        "AT_EXECFN is the highest string"
    );
    let strings: Vec<&(u64, String)> = r.args.iter().chain(&r.envs).collect();
    for w in strings.windows(2) {
        assert_eq!(
            w[0].0 + w[0].1.len() as u64 + 1,
            w[1].0,
            "strings are contiguous"
        );
    }
    let last = strings.last().unwrap();
    assert_eq!(last.0 + last.1.len() as u64 + 1, execfn);
    let platform = aux(AT_PLATFORM).unwrap();
    let random = aux(AT_RANDOM).unwrap();
    assert_eq!(random + 16, platform, "AT_RANDOM right below AT_PLATFORM");
    let arg_start = r.args[0].0;
    if r.no_randomize {
        assert_eq!(
            platform + 7,
            arg_start & !15,
            "platform right below the 16-aligned strings"
        );
    } else {
        assert!(platform + 7 <= arg_start & !15);
    }
    let items = (r.args.len() + 1 + r.envs.len() + 1 + 1) as u64;
    let sp = (random - 16 * r.auxv.len() as u64 - 8 * items) & !15;
    assert_eq!(
        r.argv_array,
        sp + 8,
        "sp rule: below auxv, pointers and argc, 16-aligned"
    );

    // ---- build_stack with the same strings. ----
    let argv: Vec<&[u8]> = r.args.iter().map(|a| a.1.as_bytes()).collect();
    let envp: Vec<&[u8]> = r.envs.iter().map(|e| e.1.as_bytes()).collect();
    let args = StackArgs {
        argv: &argv,
        envp: &envp,
        execfn: exe_path.as_bytes(),
        platform: b"x86_64",
        random: [0; 16],
        stack_limit: 8 << 20,
    };
    let img = build_stack(top, &args, &AuxvInputs::from_plan(&plan)).unwrap();
    assert_eq!(img.execfn, execfn);
    assert_eq!(img.arg_start, arg_start);
    assert_eq!(img.env_start, r.envs[0].0);
    if r.no_randomize {
        assert_eq!(img.platform, platform);
        assert_eq!(img.random, random);
    }

    // ---- The auxv order: ours is a subsequence of Linux's. ----
    let linux: Vec<u64> = r.auxv.iter().map(|e| e.0).collect();
    let ours = [
        AT_SYSINFO_EHDR,
        AT_MINSIGSTKSZ,
        AT_HWCAP,
        AT_PAGESZ,
        AT_CLKTCK,
        AT_PHDR,
        AT_PHENT,
        AT_PHNUM,
        AT_BASE,
        AT_FLAGS,
        AT_ENTRY,
        AT_UID,
        AT_EUID,
        AT_GID,
        AT_EGID,
        AT_SECURE,
        AT_RANDOM,
        AT_HWCAP2,
        AT_EXECFN,
        AT_PLATFORM,
        AT_NULL,
    ];
    let positions: Vec<usize> = ours
        .iter()
        .filter_map(|t| linux.iter().position(|l| l == t))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "Linux order {linux:?}"
    );
    assert!(
        positions.len() >= 18,
        "Linux emits most of our entries: {linux:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! The initial stack image: read it back like a C runtime does (argc,
//! argv, envp, auxv, the strings they point to) and check every pointer
//! and alignment; the argument limits; random inputs.

use ferrite_abi::auxv::*;
use ferrite_elfload::stack::{ARG_SPACE_MAX, ARG_SPACE_MIN, MAX_ARG_STRLEN, arg_space_limit};
use ferrite_elfload::*;
use proptest::prelude::*;

const TOP: u64 = 0x7fff_ffff_f000;

/// What a C runtime finds on the stack.
#[derive(Debug)]
struct Parsed {
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    auxv: Vec<(u64, u64)>,
}

fn word(img: &StackImage, addr: u64) -> u64 {
    assert!(
        addr >= img.start && addr + 8 <= img.start + img.bytes.len() as u64,
        "{addr:#x} outside the image"
    );
    assert_eq!(addr % 8, 0, "unaligned word at {addr:#x}");
    let o = (addr - img.start) as usize;
    u64::from_le_bytes(img.bytes[o..o + 8].try_into().unwrap())
}

fn string(img: &StackImage, addr: u64) -> Vec<u8> {
    assert!(
        addr >= img.start && addr < img.start + img.bytes.len() as u64,
        "string at {addr:#x} outside"
    );
    let o = (addr - img.start) as usize;
    let n = img.bytes[o..]
        .iter()
        .position(|&b| b == 0)
        .expect("NUL-terminated");
    img.bytes[o..o + n].to_vec()
}

fn parse(img: &StackImage) -> Parsed {
    assert_eq!(img.sp % 16, 0, "sp must be 16-byte aligned");
    assert_eq!(img.start, img.sp);
    let argc = word(img, img.sp);
    assert_eq!(argc, img.argc);
    let mut at = img.sp + 8;
    assert_eq!(at, img.argv);
    let argv: Vec<Vec<u8>> = (0..argc)
        .map(|i| string(img, word(img, at + 8 * i)))
        .collect();
    at += 8 * argc;
    assert_eq!(word(img, at), 0, "argv NULL");
    at += 8;
    assert_eq!(at, img.envp);
    let mut envp = Vec::new();
    while word(img, at) != 0 {
        envp.push(string(img, word(img, at)));
        at += 8;
    }
    at += 8;
    assert_eq!(at, img.auxv);
    let mut auxv = Vec::new();
    loop {
        let (t, v) = (word(img, at), word(img, at + 8));
        auxv.push((t, v));
        at += 16;
        if t == AT_NULL {
            break;
        }
    }
    // Everything between the auxv end and the random bytes is padding.
    assert!(at <= img.random);
    assert!(
        img.bytes[(at - img.start) as usize..(img.random - img.start) as usize]
            .iter()
            .all(|&b| b == 0)
    );
    Parsed { argv, envp, auxv }
}

fn aux(p: &Parsed, t: u64) -> Option<u64> {
    p.auxv.iter().find(|e| e.0 == t).map(|e| e.1)
}

fn inputs() -> AuxvInputs {
    AuxvInputs {
        phdr: 0x400040,
        phent: 56,
        phnum: 7,
        entry: 0x401000,
        base: 0,
        flags: 0,
        uid: 1000,
        euid: 1001,
        gid: 100,
        egid: 101,
        secure: false,
        hwcap: 0x178b_fbff,
        hwcap2: Some(2),
        pagesz: 4096,
        clktck: 100,
        minsigstksz: Some(3376),
        sysinfo_ehdr: Some(0x7fff_f7fc_1000),
    }
}

#[test]
fn image_reads_back() {
    let args = StackArgs {
        argv: &[b"/bin/prog", b"-x", b""],
        envp: &[b"HOME=/root", b"PATH=/bin:/usr/bin", b"A="],
        execfn: b"/bin/prog",
        platform: b"x86_64",
        random: *b"0123456789abcdef",
        stack_limit: 8 << 20,
    };
    let img = build_stack(TOP, &args, &inputs()).unwrap();
    assert_eq!(img.start + img.bytes.len() as u64, TOP);
    let p = parse(&img);
    assert_eq!(
        p.argv,
        [b"/bin/prog".to_vec(), b"-x".to_vec(), b"".to_vec()]
    );
    assert_eq!(
        p.envp,
        [
            b"HOME=/root".to_vec(),
            b"PATH=/bin:/usr/bin".to_vec(),
            b"A=".to_vec()
        ]
    );
    // Linux's order of auxv entries (create_elf_tables, x86_64).
    let types: Vec<u64> = p.auxv.iter().map(|e| e.0).collect();
    assert_eq!(
        types,
        [
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
            AT_NULL
        ]
    );
    let i = inputs();
    for (t, v) in [
        (AT_PHDR, i.phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, 7),
        (AT_ENTRY, i.entry),
        (AT_BASE, 0),
        (AT_UID, 1000),
        (AT_EUID, 1001),
        (AT_GID, 100),
        (AT_EGID, 101),
        (AT_SECURE, 0),
        (AT_HWCAP, i.hwcap),
        (AT_HWCAP2, 2),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_MINSIGSTKSZ, 3376),
        (AT_SYSINFO_EHDR, 0x7fff_f7fc_1000),
    ] {
        assert_eq!(aux(&p, t), Some(v), "auxv type {t}");
    }
    // Pointers into the string area.
    assert_eq!(aux(&p, AT_RANDOM), Some(img.random));
    let r = (img.random - img.start) as usize;
    assert_eq!(&img.bytes[r..r + 16], b"0123456789abcdef");
    assert_eq!(string(&img, aux(&p, AT_EXECFN).unwrap()), b"/bin/prog");
    assert_eq!(string(&img, aux(&p, AT_PLATFORM).unwrap()), b"x86_64");
    // The layout rules (see the module documentation).
    assert_eq!(img.execfn + b"/bin/prog".len() as u64 + 1, TOP - 8);
    assert_eq!(img.env_end, img.execfn);
    assert_eq!(img.arg_end, img.env_start);
    assert_eq!(img.env_end - img.env_start, 11 + 19 + 3);
    assert_eq!(img.arg_end - img.arg_start, 10 + 3 + 1);
    assert_eq!(
        img.platform + 7,
        (img.arg_start & !15).max(img.platform + 7)
    );
    assert_eq!(img.platform, (img.arg_start & !15) - 7);
    assert_eq!(img.random, img.platform - 16);
    assert!(img.bytes[img.bytes.len() - 8..].iter().all(|&b| b == 0));
}

#[test]
fn empty_argv_gets_an_empty_argv0_and_optional_entries_go() {
    let args = StackArgs {
        argv: &[],
        envp: &[],
        execfn: b"x",
        platform: b"",
        random: [1; 16],
        stack_limit: 8 << 20,
    };
    let mut i = inputs();
    i.hwcap2 = None;
    i.minsigstksz = None;
    i.sysinfo_ehdr = None;
    let img = build_stack(TOP, &args, &i).unwrap();
    let p = parse(&img);
    assert_eq!(p.argv, [Vec::<u8>::new()]);
    assert!(p.envp.is_empty());
    for t in [AT_HWCAP2, AT_MINSIGSTKSZ, AT_SYSINFO_EHDR, AT_PLATFORM] {
        assert_eq!(aux(&p, t), None);
    }
    assert_eq!(img.platform, 0);
    assert_eq!(img.random, (img.arg_start & !15) - 16);
}

#[test]
fn limits_are_linuxs() {
    assert_eq!(arg_space_limit(8 << 20), 2 << 20);
    assert_eq!(arg_space_limit(u64::MAX), ARG_SPACE_MAX);
    assert_eq!(arg_space_limit(0), ARG_SPACE_MIN);
    let random = [0; 16];
    // One string of exactly MAX_ARG_STRLEN bytes with its NUL is fine, one
    // more byte is not.
    let ok = vec![b'a'; MAX_ARG_STRLEN - 1];
    let too = vec![b'a'; MAX_ARG_STRLEN];
    let mk = |s: &[u8], lim: u64| {
        let argv = [s];
        let a = StackArgs {
            argv: &argv,
            envp: &[],
            execfn: b"/p",
            platform: b"x86_64",
            random,
            stack_limit: lim,
        };
        build_stack(TOP, &a, &inputs()).map(|_| ())
    };
    assert_eq!(mk(&ok, 8 << 20), Ok(()));
    assert_eq!(mk(&too, 8 << 20), Err(StackError::TooBig));
    assert_eq!(StackError::TooBig.errno(), ferrite_abi::Errno::E2BIG);
    // Total: a 1 MiB stack limit gives 256 KiB of argument space.
    let s = vec![b'e'; 1000];
    let env: Vec<&[u8]> = (0..300).map(|_| &s[..]).collect();
    let mk_env = |n: usize, lim: u64| {
        let a = StackArgs {
            argv: &[b"p"],
            envp: &env[..n],
            execfn: b"/p",
            platform: b"x86_64",
            random,
            stack_limit: lim,
        };
        build_stack(TOP, &a, &inputs()).map(|_| ())
    };
    // strings: 2 + 3 + 1001 n; pointers 8 (1 + n) <= 262144.
    let fits = |n: u64| 5 + 1001 * n + 8 * (1 + n) <= 256 << 10;
    let n_max = (0..300).filter(|&n| fits(n)).max().unwrap() as usize;
    assert_eq!(mk_env(n_max, 1 << 20), Ok(()));
    assert_eq!(mk_env(n_max + 1, 1 << 20), Err(StackError::TooBig));
    // Below 512 KiB of stack limit the 128 KiB floor applies.
    assert_eq!(mk_env(120, 4096), Ok(()));
    assert_eq!(mk_env(140, 4096), Err(StackError::TooBig));
    // A top too low for the image fails instead of wrapping.
    let a = StackArgs {
        argv: &[b"p"],
        envp: &[],
        execfn: b"/p",
        platform: b"x86_64",
        random,
        stack_limit: 8 << 20,
    };
    assert_eq!(build_stack(100, &a, &inputs()), Err(StackError::TooBig));
    assert!(build_stack(0x1000, &a, &inputs()).is_ok());
}

proptest! {
    #[test]
    fn random_arguments_read_back(
        argv in proptest::collection::vec(proptest::collection::vec(1u8..=255, 0..40), 0..12),
        envp in proptest::collection::vec(proptest::collection::vec(1u8..=255, 0..40), 0..12),
        execfn in proptest::collection::vec(1u8..=255, 0..60),
        platform in proptest::collection::vec(1u8..=255, 0..10),
        top_pages in 1u64..1000,
        random in any::<[u8; 16]>(),
    ) {
        let a: Vec<&[u8]> = argv.iter().map(|v| &v[..]).collect();
        let e: Vec<&[u8]> = envp.iter().map(|v| &v[..]).collect();
        let top = TOP - top_pages * 4096;
        let args = StackArgs { argv: &a, envp: &e, execfn: &execfn, platform: &platform, random, stack_limit: 8 << 20 };
        let img = build_stack(top, &args, &inputs()).unwrap();
        let p = parse(&img);
        let want_argv = if argv.is_empty() { vec![vec![]] } else { argv.clone() };
        prop_assert_eq!(&p.argv, &want_argv);
        prop_assert_eq!(&p.envp, &envp);
        prop_assert_eq!(string(&img, aux(&p, AT_EXECFN).unwrap()), execfn.clone());
        if platform.is_empty() {
            prop_assert_eq!(aux(&p, AT_PLATFORM), None);
        } else {
            prop_assert_eq!(string(&img, aux(&p, AT_PLATFORM).unwrap()), platform.clone());
        }
        let r = (aux(&p, AT_RANDOM).unwrap() - img.start) as usize;
        prop_assert_eq!(&img.bytes[r..r + 16], &random[..]);
        prop_assert_eq!(img.start + img.bytes.len() as u64, top);
        // Strings are contiguous: argv, envp, execfn, 8 bytes, top.
        prop_assert_eq!(img.arg_end, img.env_start);
        prop_assert_eq!(img.env_end, img.execfn);
        prop_assert_eq!(img.execfn + execfn.len() as u64 + 1 + 8, top);
    }
}

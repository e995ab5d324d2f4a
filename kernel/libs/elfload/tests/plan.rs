//! Load plans: unit cases (shared pages, bias, AT_PHDR, errors), a
//! model-based property (random valid layouts carried out on a simulated
//! memory must give every segment its bytes) and fuzzing (random bytes and
//! mutated valid headers never panic, and accepted plans are sound).

mod common;

use common::*;
use ferrite_abi::Errno;
use ferrite_elfload::*;
use proptest::prelude::*;

const R: u32 = PF_R;
const RX: u32 = PF_R | PF_X;
const RW: u32 = PF_R | PF_W;

fn plan(f: &[u8]) -> Result<LoadPlan, ElfError> {
    LoadPlan::new(f, &LoadParams::default())
}

#[test]
fn typical_static_exec() {
    // musl-gcc -static layout: R headers, RX text, R rodata, RW data+bss.
    let phs = [
        load(R, 0, 0x400000, 0x1c8, 0x1c8),
        load(RX, 0x1000, 0x401000, 0x2345, 0x2345),
        load(R, 0x4000, 0x404000, 0x800, 0x800),
        load(RW, 0x4e10, 0x405e10, 0x250, 0x1400),
        Ph {
            p_type: PT_GNU_STACK,
            flags: RW,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
            align: 16,
        },
    ];
    let f = elf(2, 0x401020, &phs, 0x5100);
    let p = plan(&f).unwrap();
    assert_eq!(
        (p.kind, p.bias, p.entry, p.phnum, p.phent),
        (ElfKind::Exec, 0, 0x401020, 5, 56)
    );
    assert_eq!(p.phdr_addr, 0x400040);
    assert_eq!(p.gnu_stack, Some(Prot::READ | Prot::WRITE));
    let (r, rx, rw) = (
        Prot::READ,
        Prot::READ | Prot::EXEC,
        Prot::READ | Prot::WRITE,
    );
    assert_eq!(
        p.mappings,
        [
            Mapping::FileMap {
                vaddr: 0x400000,
                len: P,
                file_offset: 0,
                prot: r
            },
            Mapping::FileMap {
                vaddr: 0x401000,
                len: 3 * P,
                file_offset: 0x1000,
                prot: rx
            },
            Mapping::FileMap {
                vaddr: 0x404000,
                len: P,
                file_offset: 0x4000,
                prot: r
            },
            Mapping::FileMap {
                vaddr: 0x405000,
                len: 2 * P,
                file_offset: 0x4000,
                prot: rw
            },
            Mapping::ZeroFill {
                vaddr: 0x407000,
                len: P,
                prot: rw
            },
        ]
    );
    assert_eq!(
        p.fixups,
        [Fixup::ZeroTail {
            vaddr: 0x406060,
            len: 0xfa0
        }]
    );
    assert_eq!(p.brk_start, 0x408000);
    check_against_segments(&p, &f, &phs);
}

#[test]
fn static_pie_is_biased() {
    let phs = [
        Ph {
            p_type: PT_PHDR,
            flags: R,
            offset: 64,
            vaddr: 64,
            filesz: 56 * 3,
            memsz: 56 * 3,
            align: 8,
        },
        load(RX, 0, 0, 0x1800, 0x1800),
        load(RW, 0x1800, 0x2800, 0x100, 0x3000),
    ];
    let f = elf(3, 0x1200, &phs, 0x1900);
    let p = plan(&f).unwrap();
    assert_eq!(p.kind, ElfKind::Dyn);
    assert_eq!(p.bias, DEFAULT_DYN_BASE_FOR_TEST);
    assert_eq!(p.entry, 0x5555_5555_4000 + 0x1200);
    assert_eq!(p.phdr_addr, 0x5555_5555_4000 + 64);
    check_against_segments(&p, &f, &phs);
    // A different base; p_align above a page aligns it.
    let mut phs2 = phs;
    phs2[1].align = 0x20_0000;
    let f2 = elf(3, 0x1200, &phs2, 0x1900);
    let params = LoadParams {
        dyn_base: 0x7f00_1234_5000,
        ..LoadParams::default()
    };
    let p = LoadPlan::new(&f2, &params).unwrap();
    assert_eq!(p.bias, 0x7f00_1220_0000);
    check_against_segments(&p, &f2, &phs2);
}

const DEFAULT_DYN_BASE_FOR_TEST: u64 = ferrite_elfload::plan::DEFAULT_DYN_BASE;

#[test]
fn shared_page_same_file_page() {
    // Text ends in page 0x401000, data starts in it, contiguous in the
    // file: one file mapping, RX|RW union, bss bytes cleared exactly.
    let phs = [
        load(RX, 0, 0x400000, 0x1800, 0x1800),
        load(RW, 0x1800, 0x401800, 0x100, 0x300),
    ];
    let f = elf(2, 0x400100, &phs, 0x2000);
    let p = plan(&f).unwrap();
    let all = Prot::READ | Prot::WRITE | Prot::EXEC;
    assert_eq!(
        p.mappings,
        [
            Mapping::FileMap {
                vaddr: 0x400000,
                len: P,
                file_offset: 0,
                prot: Prot::READ | Prot::EXEC
            },
            Mapping::FileMap {
                vaddr: 0x401000,
                len: P,
                file_offset: 0x1000,
                prot: all
            },
        ]
    );
    assert_eq!(
        p.fixups,
        [Fixup::ZeroTail {
            vaddr: 0x401900,
            len: 0x200
        }]
    );
    check_against_segments(&p, &f, &phs);
}

#[test]
fn shared_page_different_file_pages() {
    // Data starts in text's last page but comes from another file page.
    let phs = [
        load(RX, 0, 0x400000, 0x1800, 0x1800),
        load(RW, 0x3800, 0x401800, 0x1100, 0x2000),
    ];
    let f = elf(2, 0x400100, &phs, 0x5000);
    let p = plan(&f).unwrap();
    let all = Prot::READ | Prot::WRITE | Prot::EXEC;
    let rw = Prot::READ | Prot::WRITE;
    assert_eq!(
        p.mappings,
        [
            Mapping::FileMap {
                vaddr: 0x400000,
                len: P,
                file_offset: 0,
                prot: Prot::READ | Prot::EXEC
            },
            Mapping::ZeroFill {
                vaddr: 0x401000,
                len: P,
                prot: all
            },
            Mapping::FileMap {
                vaddr: 0x402000,
                len: P,
                file_offset: 0x4000,
                prot: rw
            },
            Mapping::ZeroFill {
                vaddr: 0x403000,
                len: P,
                prot: rw
            },
        ]
    );
    assert_eq!(
        p.fixups,
        [
            Fixup::CopyFromFile {
                vaddr: 0x401000,
                len: 0x800,
                file_offset: 0x1000
            },
            Fixup::CopyFromFile {
                vaddr: 0x401800,
                len: 0x800,
                file_offset: 0x3800
            },
            Fixup::ZeroTail {
                vaddr: 0x402900,
                len: 0x700
            },
        ]
    );
    check_against_segments(&p, &f, &phs);
}

#[test]
fn three_segments_in_one_page_and_bss_only() {
    let phs = [
        load(R, 0, 0x400000, 0x100, 0x100),
        load(RW, 0x200, 0x400200, 0x10, 0x80),
        load(RW, 0x400, 0x400400, 0, 0x1000),
    ];
    let f = elf(2, 0x400000, &phs, 0x300);
    let p = plan(&f).unwrap();
    check_against_segments(&p, &f, &phs);
    assert_eq!(p.brk_start, 0x402000);
}

#[test]
fn unaligned_vaddr_and_zero_memsz() {
    let phs = [
        load(RX, 0x123, 0x400123, 0x2000, 0x2000),
        load(RW, 0x3000, 0x600000, 0, 0),
        load(RW, 0x2200, 0x602200, 0x10, 0x5000),
    ];
    let f = elf(2, 0x400200, &phs, 0x3000);
    let p = plan(&f).unwrap();
    check_against_segments(&p, &f, &phs);
    assert_eq!(
        p.mappings[0],
        Mapping::FileMap {
            vaddr: 0x400000,
            len: 3 * P,
            file_offset: 0,
            prot: Prot::READ | Prot::EXEC
        }
    );
}

#[test]
fn phdr_fallbacks() {
    // No PT_PHDR: the table (at offset 64) is in the first PT_LOAD.
    let phs = [load(RX, 0, 0x800000, 0x200, 0x200)];
    assert_eq!(
        plan(&elf(2, 0x800000, &phs, 0x200)).unwrap().phdr_addr,
        0x800040
    );
    // The first PT_LOAD does not start at offset 0: the table is not
    // mapped, AT_PHDR is 0.
    let phs = [load(RX, 0x1000, 0x801000, 0x200, 0x200)];
    assert_eq!(plan(&elf(2, 0x801000, &phs, 0x1200)).unwrap().phdr_addr, 0);
}

#[test]
fn errors() {
    let good = [load(RX, 0, 0x400000, 0x200, 0x200)];
    let f = elf(2, 0x400000, &good, 0x200);
    assert!(plan(&f).is_ok());

    assert_eq!(plan(b"#!/bin/sh\n"), Err(ElfError::NotElf));
    assert_eq!(
        plan(b"\x7fEL"),
        Err(ElfError::NeedMore { offset: 0, len: 64 })
    );
    assert_eq!(plan(&[]), Err(ElfError::NeedMore { offset: 0, len: 64 }));
    let patch = |at: usize, b: &[u8]| {
        let mut g = f.clone();
        g[at..at + b.len()].copy_from_slice(b);
        g
    };
    assert_eq!(
        plan(&patch(4, &[1])),
        Err(ElfError::Unsupported("not ELF64"))
    );
    assert_eq!(
        plan(&patch(5, &[2])),
        Err(ElfError::Unsupported("not little endian"))
    );
    assert_eq!(
        plan(&patch(6, &[0])),
        Err(ElfError::Unsupported("bad ELF version"))
    );
    assert_eq!(
        plan(&patch(20, &[2])),
        Err(ElfError::Unsupported("bad ELF version"))
    );
    assert_eq!(
        plan(&patch(18, &[3])),
        Err(ElfError::Unsupported("not x86_64"))
    );
    assert_eq!(
        plan(&patch(16, &[1])),
        Err(ElfError::Unsupported(
            "not an executable (ET_EXEC or ET_DYN)"
        ))
    );
    assert_eq!(plan(&patch(54, &[32])), Err(ElfError::BadProgramHeaders));
    assert_eq!(plan(&patch(56, &[0, 0])), Err(ElfError::BadProgramHeaders));
    assert_eq!(plan(&patch(56, &[74, 0])), Err(ElfError::BadProgramHeaders));
    // The table beyond the bytes given.
    let far = patch(32, &0x2000u64.to_le_bytes());
    assert_eq!(
        plan(&far),
        Err(ElfError::NeedMore {
            offset: 0x2000,
            len: 56
        })
    );
    let p = LoadPlan::with_phdrs(&far, &f[64..64 + 56], &LoadParams::default()).unwrap();
    assert_eq!(p, plan(&f).unwrap().clone_with_phdr(0));
    assert_eq!(
        LoadPlan::with_phdrs(&far, &f[64..64 + 50], &LoadParams::default()),
        Err(ElfError::NeedMore {
            offset: 0x2000,
            len: 56
        })
    );

    let one = |ph: Ph| plan(&elf(2, 0x400000, &[ph], 0x200));
    let seg = |problem| Err(ElfError::Segment { index: 0, problem });
    assert_eq!(
        one(load(RX, 0, 0x400000, 0x300, 0x200)),
        seg(SegmentProblem::FileszOverMemsz)
    );
    assert_eq!(
        one(load(RX, 0x10, 0x400000, 0x100, 0x200)),
        seg(SegmentProblem::Misaligned)
    );
    assert_eq!(
        one(load(RX, u64::MAX - 0xfff, 0x400000, 0x2000, 0x2000)),
        seg(SegmentProblem::FileRangeOverflow)
    );
    assert_eq!(
        one(load(RX, 0, 0x1000, 0x200, 0x200)),
        seg(SegmentProblem::OutOfRange)
    );
    assert_eq!(
        one(load(RX, 0, 0x7fff_ffff_e000, 0x200, 0x2000)),
        seg(SegmentProblem::OutOfRange)
    );
    assert_eq!(
        one(load(RX, 0, u64::MAX - 0xfff, 0x200, 0x2000)),
        seg(SegmentProblem::OutOfRange)
    );
    let overlap = [
        load(RX, 0, 0x400000, 0x2000, 0x2000),
        load(RW, 0x1000, 0x401000, 0x10, 0x10),
    ];
    assert_eq!(
        plan(&elf(2, 0x400000, &overlap, 0x2000)),
        Err(ElfError::Segment {
            index: 1,
            problem: SegmentProblem::Overlap
        })
    );
    let interp = Ph {
        p_type: PT_INTERP,
        flags: R,
        offset: 0x100,
        vaddr: 0x400100,
        filesz: 10,
        memsz: 10,
        align: 1,
    };
    assert_eq!(
        plan(&elf(2, 0x400000, &[interp, good[0]], 0x200)),
        Err(ElfError::Interpreter)
    );
    assert_eq!(
        plan(&elf(2, 0x400000, &[interp], 0x200)),
        Err(ElfError::Interpreter)
    );
    let stack_only = Ph {
        p_type: PT_GNU_STACK,
        flags: RW,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    };
    assert_eq!(
        plan(&elf(2, 0x400000, &[stack_only], 0x200)),
        Err(ElfError::NoLoadSegment)
    );
    assert_eq!(
        plan(&elf(2, 0x400000, &[load(R, 0, 0x400000, 0, 0)], 0x200)),
        Err(ElfError::NoLoadSegment)
    );
    assert_eq!(
        plan(&elf(2, 0x8000_0000_0000, &good, 0x200)),
        Err(ElfError::BadEntry)
    );

    // errno mapping, as Linux.
    assert_eq!(ElfError::NotElf.errno(), Errno::ENOEXEC);
    assert_eq!(ElfError::Interpreter.errno(), Errno::ENOEXEC);
    assert_eq!(
        ElfError::Segment {
            index: 0,
            problem: SegmentProblem::OutOfRange
        }
        .errno(),
        Errno::EINVAL
    );
    assert_eq!(ElfError::NoMem.errno(), Errno::ENOMEM);
    assert_eq!(
        ElfError::NeedMore { offset: 0, len: 64 }.errno_short_file(),
        Errno::ENOEXEC
    );
}

/// Helper for comparing a plan read with a separate table: only AT_PHDR
/// differs (the table moved in the file).
trait ClonePhdr {
    fn clone_with_phdr(&self, phdr: u64) -> LoadPlan;
}
impl ClonePhdr for LoadPlan {
    fn clone_with_phdr(&self, phdr: u64) -> LoadPlan {
        LoadPlan {
            phdr_addr: phdr,
            ..self.clone()
        }
    }
}

/// A random valid layout: segments in ascending order, each starting at or
/// after the previous one's end (sometimes in the same page), file offsets
/// congruent to the addresses (sometimes continuing the previous segment's
/// file bytes, sometimes elsewhere).
fn layout() -> impl Strategy<Value = Vec<Ph>> {
    proptest::collection::vec(
        (
            0u64..3 * P,
            0u64..3 * P,
            0u64..2 * P,
            any::<bool>(),
            0u32..8,
            0u64..4,
        ),
        1..6,
    )
    .prop_map(|specs| {
        let mut out = Vec::new();
        let mut addr = 0x40_0000u64;
        let mut off = 0u64;
        for (gap, filesz, extra, contiguous, flags, jump) in specs {
            addr += gap;
            let file_off = if contiguous {
                // Same distance in the file as in memory from the page.
                (off & !(P - 1))
                    + (addr % P)
                    + if (off & !(P - 1)) + (addr % P) < off {
                        P
                    } else {
                        0
                    }
            } else {
                (off & !(P - 1)) + jump * P + (addr % P)
            };
            let memsz = filesz + extra;
            out.push(load(flags & 7, file_off, addr, filesz, memsz));
            addr += memsz;
            off = file_off + filesz;
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Carrying out the plan gives every segment byte its value and
    /// protection, maps no page twice and no page outside the segments.
    #[test]
    fn plan_gives_segments_their_bytes(phs in layout(), dyn_ in any::<bool>()) {
        let file_len = phs.iter().map(|p| p.offset + p.filesz).max().unwrap() as usize + 100;
        let f = elf(if dyn_ { 3 } else { 2 }, phs[0].vaddr, &phs, file_len.max(0x400));
        // The table is at offset 64; pass the whole file.
        let p = plan(&f).unwrap();
        check_against_segments(&p, &f, &phs);
        // Fixups only where needed: never a ZeroTail on an anonymous page.
        let mem = simulate(&p, &f);
        prop_assert!(!mem.is_empty());
    }

    /// Random bytes after a valid identification never panic.
    #[test]
    fn random_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut f = b"\x7fELF\x02\x01\x01".to_vec();
        f.extend_from_slice(&tail);
        let _ = plan(&f);
        let _ = plan(&tail);
        let _ = LoadPlan::with_phdrs(&f, &tail, &LoadParams::default());
    }

    /// Mutations of a valid image never panic, and what is accepted is
    /// sound.
    #[test]
    fn mutated_headers_never_panic(
        phs in layout(),
        muts in proptest::collection::vec((0usize..400, any::<u8>()), 1..12),
        user_min in prop_oneof![Just(0u64), Just(0x1_0000u64), any::<u64>()],
        user_end in prop_oneof![Just(ferrite_elfload::plan::DEFAULT_USER_END), any::<u64>()],
    ) {
        let mut f = elf(2, phs[0].vaddr, &phs, 0x3000);
        for (at, b) in muts {
            if at < f.len() { f[at] = b; }
        }
        let params = LoadParams { dyn_base: 0x5555_5555_4000, user_min, user_end };
        if let Ok(p) = LoadPlan::new(&f, &params) {
            // Simulate only plans of a sane size (a mutated p_memsz may
            // ask for terabytes).
            if p.mappings.iter().map(|m| m.len()).sum::<u64>() < 64 << 20 {
                let _ = simulate(&p, &f);
            }
            for w in p.mappings.windows(2) {
                prop_assert!(w[0].end() <= w[1].vaddr());
            }
            for m in &p.mappings {
                prop_assert!(m.vaddr() >= user_min && m.end() <= user_end);
            }
            prop_assert!(p.entry >= user_min && p.entry < user_end);
        }
    }
}

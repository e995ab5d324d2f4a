//! ktests of exec on a hand-made static ELF written into the root file
//! system: the segment layout in the new map, text pages shared by two
//! processes running one program, writable data copied on first write,
//! the bss tail zeroed, and the initial stack with its auxiliary vector.
//!
//! The program (two PT_LOADs) saves its initial stack pointer in its data
//! segment, then sleeps in the kernel (`ferrite_ktest(SLEEP_MS)`) so that
//! the test can look at its address space; SIGKILL ends it.

use super::ptable;
use crate::kern::error::KResult;
use crate::kern::sched::{lwp, sched::Stat, sleepq};
use crate::kern::sig::{SigInfo, post};
use crate::kern::syscall::ferrite::{SYS_FERRITE_KTEST, op};
use crate::ktest::ktest;
use crate::ktest::user::{
    CODE, EXIT_EDI, MOV_EDI_EAX, SYSCALL, UserProg, code, mov_eax, mov_edi, mov_esi,
};
use crate::uvm::map::EntryFlags;
use crate::uvm::vmspace::{PAGE, Vmspace, default_layout};
use crate::uvm::{VmProt, copy, object};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use ferrite_abi::signal::SIGKILL;

/// Where the program's file goes (the root file system of the test boot).
const NAME: &[u8] = b"ktest-exec-prog";
const PATH: &[u8] = b"/ktest-exec-prog";

/// The image: text at 0x400000 (file offset 0: headers and code), data at
/// an address and file offset that are not page aligned (0x402010, 0x1010),
/// 0x20 bytes from the file and bss up to 0x403810 (a second page).
const TEXT_VA: u64 = 0x40_0000;
const DATA_VA: u64 = 0x40_2010;
const DATA_OFF: u64 = 0x1010;
const DATA_FILESZ: u64 = 0x20;
const DATA_MEMSZ: u64 = 0x1800;
const ENTRY: u64 = TEXT_VA + 64 + 2 * 56;
/// The data's first word, as the file has it.
const INITIAL: u64 = 0x1122_3344_5566_7788;
/// Where the program stores its initial rsp.
const SP_SLOT: u64 = DATA_VA + 8;

fn phdr(out: &mut Vec<u8>, flags: u32, off: u64, va: u64, filesz: u64, memsz: u64) {
    out.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    out.extend_from_slice(&flags.to_le_bytes());
    for v in [off, va, va, filesz, memsz, PAGE] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// The program file's bytes.
fn program() -> Vec<u8> {
    let text = code(&[
        // mov [SP_SLOT], rsp (a write: the data page is copied on write)
        &[0x48, 0x89, 0x24, 0x25],
        &(SP_SLOT as u32).to_le_bytes(),
        &mov_eax(SYS_FERRITE_KTEST as u32),
        &mov_edi(op::SLEEP_MS as u32),
        &mov_esi(100_000),
        &SYSCALL,
        &mov_edi(0),
        &EXIT_EDI,
    ]);
    let text_end = ENTRY - TEXT_VA + text.len() as u64;
    let mut f = Vec::new();
    // ELF header: ELF64, little endian, version 1, ET_EXEC, x86_64.
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&62u16.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&ENTRY.to_le_bytes());
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for v in [64u16, 56, 2, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    phdr(&mut f, 4 | 1, 0, TEXT_VA, text_end, text_end); // R X
    phdr(&mut f, 4 | 2, DATA_OFF, DATA_VA, DATA_FILESZ, DATA_MEMSZ); // R W
    f.extend_from_slice(&text);
    f.resize(DATA_OFF as usize, 0);
    f.extend_from_slice(&INITIAL.to_le_bytes());
    f.resize((DATA_OFF + DATA_FILESZ) as usize, 0x55);
    // Bytes past p_filesz in the same page: the bss must not show them.
    f.resize(0x1100, 0xaa);
    f
}

/// A ring-3 stub that execs PATH with argv {PATH, "second"} and envp
/// {"K=v"} (strings and arrays in its own code page), exiting with the
/// error if exec fails.
fn exec_stub() -> Vec<u8> {
    const STR: u64 = 0x200;
    let path = CODE + STR;
    let second = path + PATH.len() as u64 + 1;
    let env = second + 7;
    let argv = CODE + 0x300;
    let envp = argv + 24;
    let mov64 = |reg: u8, v: u64| {
        let mut b = vec![0x48, reg];
        b.extend_from_slice(&v.to_le_bytes());
        b
    };
    let mut c = code(&[
        &mov64(0xbf, path), // mov rdi, path
        &mov64(0xbe, argv), // mov rsi, argv
        &mov64(0xba, envp), // mov rdx, envp
        &mov_eax(59),       // execve
        &SYSCALL,
        &MOV_EDI_EAX,
        &EXIT_EDI,
    ]);
    c.resize(STR as usize, 0xcc);
    c.extend_from_slice(PATH);
    c.push(0);
    c.extend_from_slice(b"second\0K=v\0");
    c.resize(0x300, 0);
    for p in [path, second, 0, env, 0] {
        c.extend_from_slice(&p.to_le_bytes());
    }
    c
}

/// A process running the program, asleep in it.
struct Running {
    pid: u32,
    thread: lwp::LwpRef,
    vs: Arc<Vmspace>,
}

impl Running {
    fn start(stub: &UserProg) -> KResult<Running> {
        let (pid, thread) = stub.start_proc(|_| {})?;
        // Until it sleeps in the program (the stub would exit at once if
        // exec failed).
        for _ in 0..2000 {
            match lwp::stat_of(&thread) {
                Stat::Sleeping => break,
                Stat::Zombie => panic!("exec failed: status {:#x}", lwp::join(thread)),
                _ => {
                    let _ = sleepq::sleep(sleepq::chan(&pid), false, Some(1));
                }
            }
        }
        assert_eq!(lwp::stat_of(&thread), Stat::Sleeping, "the program runs");
        let vs = thread.vmspace().expect("a process has an address space");
        assert!(
            !Arc::ptr_eq(&vs, &stub.vs),
            "exec replaced the address space"
        );
        Ok(Running { pid, thread, vs })
    }

    fn read(&self, va: u64, buf: &mut [u8]) {
        self.vs.activate();
        let r = copy::copyin(buf, va);
        Vmspace::deactivate();
        r.expect("readable");
    }

    fn u64_at(&self, va: u64) -> u64 {
        let mut b = [0u8; 8];
        self.read(va, &mut b);
        u64::from_le_bytes(b)
    }

    fn cstr_at(&self, va: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        for i in 0..256 {
            self.read(va + i, &mut b);
            if b[0] == 0 {
                break;
            }
            out.push(b[0]);
        }
        out
    }

    fn kill(self) {
        let target = ptable::lock().find(self.pid).expect("the process exists");
        post(&target, SigInfo::user(SIGKILL, 0));
        drop(target);
        let status = lwp::join(self.thread);
        crate::ktest::user::reap_orphan(self.pid);
        assert_eq!(status, SIGKILL, "killed by SIGKILL");
    }
}

/// Write the program, run `body` on two processes running it, clean up.
fn with_two(body: impl FnOnce(&Running, &Running, object::ObjRef)) -> KResult<()> {
    let root = crate::fs::root();
    let _ = root.unlink(NAME);
    let f = root.create(NAME, 0o755).expect("create the program file");
    let bytes = program();
    assert_eq!(f.write(0, &bytes).expect("write"), bytes.len());
    let obj = f.object().expect("a regular file has an object");
    let stub = UserProg::new(&exec_stub())?;
    let a = Running::start(&stub)?;
    let b = Running::start(&stub)?;
    body(&a, &b, obj);
    a.kill();
    b.kill();
    drop(f);
    root.unlink(NAME).expect("unlink the program file");
    Ok(())
}

#[ktest]
fn exec_maps_text_shared_and_data_copy_on_write() -> KResult<()> {
    with_two(|a, b, obj| {
        // Text: the file's own page, the same physical page in both.
        let file_text = object::lookup_page(obj, 0).expect("text page resident");
        assert_eq!(a.vs.pmap.extract(TEXT_VA), Some(file_text));
        assert_eq!(b.vs.pmap.extract(TEXT_VA), Some(file_text));
        // Data: each wrote its page, so each has its own anon copy; the
        // file's page keeps the original bytes.
        let pa = a.vs.pmap.extract(DATA_VA).expect("data mapped");
        let pb = b.vs.pmap.extract(DATA_VA).expect("data mapped");
        assert_ne!(pa, pb, "private data is not shared");
        assert_ne!(Some(pa), object::lookup_page(obj, DATA_OFF & !(PAGE - 1)));
        let mut word = [0u8; 8];
        object::read(obj, DATA_OFF + 8, &mut word);
        let filler = u64::from_le_bytes([0x55; 8]);
        assert_eq!(u64::from_le_bytes(word), filler, "the file is unchanged");
        assert_eq!(a.u64_at(DATA_VA), INITIAL, "the rest of the page is copied");
        for p in [a, b] {
            let sp = p.u64_at(SP_SLOT);
            assert!(
                sp != filler && sp != 0,
                "the program wrote its rsp ({sp:#x})"
            );
        }
    })
}

#[ktest]
fn exec_lays_out_segments_bss_and_stack_as_the_elf_says() -> KResult<()> {
    with_two(|a, _, obj| {
        let rx = VmProt::READ | VmProt::EXECUTE;
        let rw = VmProt::READ | VmProt::WRITE;
        let text = a.vs.map.lookup(TEXT_VA).expect("text entry");
        assert_eq!(
            (text.start, text.end, text.prot),
            (TEXT_VA, TEXT_VA + PAGE, rx)
        );
        let o = text.backing.object.expect("text maps the file");
        assert_eq!((o.object, o.offset), (obj, 0));
        assert!(text.flags.contains(EntryFlags::COPY_ON_WRITE));
        // Data: the page holding 0x402010 maps file page 0x1000, private.
        let data = a.vs.map.lookup(DATA_VA).expect("data entry");
        assert_eq!(
            (data.start, data.end, data.prot),
            (0x40_2000, 0x40_3000, rw)
        );
        let o = data.backing.object.expect("data maps the file");
        assert_eq!((o.object, o.offset), (obj, 0x1000));
        assert!(data.flags.contains(EntryFlags::COPY_ON_WRITE));
        // Bss: zero fill past the file's page, up to DATA_VA + DATA_MEMSZ.
        let bss = a.vs.map.lookup(0x40_3000).expect("bss entry");
        assert_eq!((bss.start, bss.end, bss.prot), (0x40_3000, 0x40_4000, rw));
        assert!(bss.backing.object.is_none(), "bss is anonymous");
        // No mapping between the text and the data page.
        assert!(a.vs.map.lookup(TEXT_VA + PAGE).is_none());
        // The file's bytes past p_filesz read as zero (the bss tail).
        let mut tail = vec![0xffu8; (0x40_3000 - (DATA_VA + DATA_FILESZ)) as usize];
        a.read(DATA_VA + DATA_FILESZ, &mut tail);
        assert!(tail.iter().all(|&b| b == 0), "bss tail zeroed");
        let mut head = [0u8; DATA_FILESZ as usize - 16];
        a.read(DATA_VA + 16, &mut head);
        assert!(head.iter().all(|&b| b == 0x55), "data bytes from the file");
        // The stack reservation ends at the layout's stack top.
        let top = default_layout().stack_top;
        let stack = a.vs.map.lookup(top - PAGE).expect("stack entry");
        assert_eq!((stack.end, stack.prot), (top, rw));
        assert!(stack.backing.object.is_none());
    })
}

#[ktest]
fn exec_builds_the_initial_stack_and_auxiliary_vector() -> KResult<()> {
    use ferrite_abi::auxv::*;
    let mut randoms = Vec::new();
    with_two(|a, b, _| {
        for p in [a, b] {
            let top = default_layout().stack_top;
            let sp = p.u64_at(SP_SLOT);
            assert_eq!(sp % 16, 0, "rsp {sp:#x} is 16-byte aligned at entry");
            assert!(sp < top && top - sp < 8 * PAGE, "rsp {sp:#x} near the top");
            let word = |i: u64| p.u64_at(sp + 8 * i);
            assert_eq!(word(0), 2, "argc");
            assert_eq!(p.cstr_at(word(1)), PATH);
            assert_eq!(p.cstr_at(word(2)), b"second");
            assert_eq!(word(3), 0, "argv ends");
            assert_eq!(p.cstr_at(word(4)), b"K=v");
            assert_eq!(word(5), 0, "envp ends");
            let mut aux = Vec::new();
            let mut i = 6;
            loop {
                let (k, v) = (word(i), word(i + 1));
                aux.push((k, v));
                i += 2;
                if k == AT_NULL || i > 200 {
                    break;
                }
            }
            assert_eq!(aux.last(), Some(&(AT_NULL, 0)), "AT_NULL ends the vector");
            let get = |k: u64| {
                let all: Vec<u64> = aux.iter().filter(|e| e.0 == k).map(|e| e.1).collect();
                assert_eq!(all.len(), 1, "exactly one entry {k}");
                all[0]
            };
            assert_eq!(get(AT_PHDR), TEXT_VA + 64, "AT_PHDR: the headers in memory");
            assert_eq!(get(AT_PHENT), 56);
            assert_eq!(get(AT_PHNUM), 2);
            assert_eq!(get(AT_PAGESZ), PAGE);
            assert_eq!(get(AT_ENTRY), ENTRY);
            assert_eq!(get(AT_BASE), 0, "no interpreter");
            assert_eq!(p.cstr_at(get(AT_EXECFN)), PATH);
            assert_eq!(p.cstr_at(get(AT_PLATFORM)), b"x86_64");
            let r = get(AT_RANDOM);
            assert!(r > sp && r + 16 <= top, "AT_RANDOM {r:#x} on the stack");
            let mut bytes = [0u8; 16];
            p.read(r, &mut bytes);
            randoms.push(bytes);
        }
    })?;
    assert_ne!(
        randoms[0], randoms[1],
        "each exec gets its own AT_RANDOM bytes"
    );
    Ok(())
}

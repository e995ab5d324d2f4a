//! QEMU's firmware configuration device (fw_cfg, I/O ports 0x510/0x511): the
//! carrier of the kernel command line. The host runner passes it as the file
//! `opt/ferrite/cmdline`; without it the command line is empty.

use alloc::string::String;
use x86_64::instructions::port::Port;

const SELECTOR_PORT: u16 = 0x510;
const DATA_PORT: u16 = 0x511;
const SELECT_SIGNATURE: u16 = 0x0000;
const SELECT_FILE_DIR: u16 = 0x0019;
const CMDLINE_FILE: &[u8] = b"opt/ferrite/cmdline";
const MAX_CMDLINE: usize = 4096;

fn select(key: u16) {
    let mut port = Port::<u16>::new(SELECTOR_PORT);
    // SAFETY: 0x510 is the fw_cfg selector port on QEMU's PC machine; writing
    // a key only chooses which item the data port returns.
    unsafe { port.write(key) };
}

fn read_bytes(buf: &mut [u8]) {
    let mut port = Port::<u8>::new(DATA_PORT);
    for b in buf {
        // SAFETY: 0x511 is the fw_cfg data port; reading returns the next
        // byte of the selected item and has no other effect.
        *b = unsafe { port.read() };
    }
}

fn read_be_u32() -> u32 {
    let mut b = [0u8; 4];
    read_bytes(&mut b);
    u32::from_be_bytes(b)
}

/// True if a fw_cfg device answers with its "QEMU" signature.
pub fn present() -> bool {
    select(SELECT_SIGNATURE);
    let mut sig = [0u8; 4];
    read_bytes(&mut sig);
    &sig == b"QEMU"
}

/// Find a named fw_cfg file: (selector key, size).
fn find_file(name: &[u8]) -> Option<(u16, u32)> {
    select(SELECT_FILE_DIR);
    let count = read_be_u32();
    for _ in 0..count {
        let size = read_be_u32();
        let mut key = [0u8; 2];
        read_bytes(&mut key);
        let mut reserved = [0u8; 2];
        read_bytes(&mut reserved);
        let mut fname = [0u8; 56];
        read_bytes(&mut fname);
        let len = fname.iter().position(|&c| c == 0).unwrap_or(fname.len());
        if &fname[..len] == name {
            return Some((u16::from_be_bytes(key), size));
        }
    }
    None
}

/// The kernel command line passed by the runner (empty if none). Needs the heap.
pub fn read_cmdline() -> String {
    if !present() {
        return String::new();
    }
    let Some((key, size)) = find_file(CMDLINE_FILE) else {
        return String::new();
    };
    let mut buf = alloc::vec![0u8; (size as usize).min(MAX_CMDLINE)];
    select(key);
    read_bytes(&mut buf);
    while buf.last() == Some(&0) {
        buf.pop();
    }
    String::from_utf8_lossy(&buf).trim().into()
}

//! fork: copy-on-write. The parent fills a page and forks; while the
//! child waits, `/proc/self/uvm` shows the page's amap shared by both and
//! marked copy-on-write; then the child writes one byte, which faults and
//! copies exactly one page (the child measures the counters around that
//! write alone), and the parent's page still holds what it wrote.

use crate::PAGE;
use crate::evidence::Probe;
use crate::sys::{self, fail};

pub fn run(p: &mut Probe) -> Result<(), String> {
    let page = sys::map_isolated()?;
    // SAFETY: our fresh read-write page.
    unsafe { std::ptr::write_bytes(page as *mut u8, 0x11, PAGE) };
    let mut fds = [0; 2];
    // SAFETY: a valid array of two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(fail("pipe"));
    }
    let [go_rd, go_wr] = fds;
    let child = sys::spawn(|| {
        // SAFETY: our copy of the write end; the read waits for the go.
        unsafe { libc::close(go_wr) };
        p.vm(); // warm-up: the probe's pages become the child's own
        let mut byte = 0u8;
        // SAFETY: one byte into a local.
        unsafe { libc::read(go_rd, (&mut byte as *mut u8).cast(), 1) };
        let before = p.vm();
        // SAFETY: the page is mapped read-write in the child too.
        unsafe { std::ptr::write_volatile(page as *mut u8, 0x22) };
        let after = p.vm();
        // SAFETY: as above.
        let seen = unsafe { std::ptr::read_volatile(page as *const u8) };
        // SAFETY: getpid has no preconditions.
        let me = unsafe { libc::getpid() };
        println!(
            "  child {me} writes 0x22 into the page and reads {seen:#x} [{}]",
            before.delta(&after, &["uvm_faults", "uvm_cow_copies"])
        );
        0
    })?;
    // SAFETY: our copies of the pipe's ends (the child has its own).
    unsafe { libc::close(go_rd) };
    println!("  parent fills page {page:#x} with 0x11 and forks child {child}");
    if let Some(e) = p.uvm("self", page) {
        println!(
            "  [/proc/self/uvm: {} anon, amap references {}, flags {}]",
            e.anons, e.amap_refs, e.flags
        );
    }
    // SAFETY: one byte from a literal; then our end is closed.
    unsafe {
        libc::write(go_wr, b"g".as_ptr().cast(), 1);
        libc::close(go_wr);
    }
    sys::reap(child)?;
    // SAFETY: our page.
    let mine = unsafe { std::ptr::read_volatile(page as *const u8) };
    // SAFETY: our page, mapped and readable for PAGE bytes.
    let bytes = unsafe { std::slice::from_raw_parts(page as *const u8, PAGE) };
    let whole = bytes.iter().all(|b| *b == 0x11);
    println!(
        "  parent still reads {mine:#x}{}: the copy was the child's alone",
        if whole {
            " in every byte"
        } else {
            " (but not in every byte!)"
        }
    );
    sys::unmap(page - PAGE, 3 * PAGE)
}

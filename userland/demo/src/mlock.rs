//! mlock: the pages of a range become resident (faulted in at once) and
//! wired; the kernel counts them (`uvm_user_wired_pages`, `VmLck`, the entry's wired
//! count in `/proc/self/uvm`); munlock unwires them and they stay.

use crate::PAGE;
use crate::evidence::{Probe, resident};
use crate::sys::{self, fail};

pub fn run(p: &mut Probe) -> Result<(), String> {
    const N: usize = 8;
    let a = sys::map_anon(N)?;
    let len = N * PAGE;
    println!(
        "  mmap of {N} pages at {a:#x}: {} resident (mincore)",
        resident(a, len)
    );
    let before = p.vm();
    // SAFETY: our own mapping.
    if unsafe { libc::mlock(a as *const libc::c_void, len) } != 0 {
        return Err(fail("mlock"));
    }
    let locked = p.vm();
    let uvm = p
        .uvm("self", a)
        .map(|e| format!(", /proc/self/uvm: wired {} flags {}", e.wired, e.flags))
        .unwrap_or_default();
    println!(
        "  mlock: {}/{N} resident (mincore) [{}, VmLck {}{uvm}]",
        resident(a, len),
        before.delta(&locked, &["uvm_user_wired_pages", "uvm_zero_fills"]),
        p.status("VmLck").unwrap_or_default()
    );
    let locked = p.vm();
    // SAFETY: as above.
    if unsafe { libc::munlock(a as *const libc::c_void, len) } != 0 {
        return Err(fail("munlock"));
    }
    let unlocked = p.vm();
    println!(
        "  munlock: [{}, VmLck {}]; the pages stay: {}/{N} resident",
        locked.delta(&unlocked, &["uvm_user_wired_pages"]),
        p.status("VmLck").unwrap_or_default(),
        resident(a, len)
    );
    sys::unmap(a, len)
}

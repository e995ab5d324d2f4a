//! What the bootloader hands over besides memory: the initial RAM disk.

use bootloader_api::BootInfo;

/// The ramdisk the bootloader loaded (mapped in the kernel half for good),
/// if any.
pub fn ramdisk(boot_info: &BootInfo) -> Option<&'static [u8]> {
    let addr = boot_info.ramdisk_addr.into_option()?;
    let len = boot_info.ramdisk_len as usize;
    if len == 0 {
        return None;
    }
    // SAFETY: the bootloader mapped [addr, addr + len) for the kernel and
    // keeps it mapped (its pages are accounted as `PageUse::Ramdisk` and
    // never handed out); nothing writes it.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
}

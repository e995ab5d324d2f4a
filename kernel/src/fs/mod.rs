//! File systems: the vnode layer and the file systems behind it.
//!
//! - `vnode`: vnodes and the operations every file system implements;
//! - `uio`: where the bytes of a read or write go (kernel or user memory);
//! - `namei`: path lookup; `mount`: the mount table;
//! - `ramfs`: the RAM file system at `/` (the unpacked initramfs, `/tmp`);
//! - `devfs`: `/dev` (console, tty, null, zero, full, random, urandom);
//! - `procfs`: `/proc` (processes, their maps, memory counters);
//! - `initramfs`: unpacking the boot archive into `/`;
//! - `vfs_vnops`: open files on vnodes (read, write, seek, stat);
//! - `vfs_syscalls`, `vfs_stat`, `vfs_getcwd`: the file-system calls;
//! - `clock`: the times stamped on files.
//!
//! `init` builds the tree once at boot, before the first process:
//! the RAM file system at `/` with the initramfs unpacked into it, devfs
//! at `/dev`, and `/tmp` (mode 01777) and `/proc` made if the archive
//! lacks them, procfs mounted on `/proc`.
//!
//! Nothing under `fs/` needs unchecked code: the compiler enforces it.

#![deny(unsafe_code)]

pub mod clock;
pub mod devfs;
pub mod initramfs;
pub mod mount;
pub mod namei;
mod namei_tests;
pub mod procfs;
pub mod ramfs;
pub mod uio;
pub mod vfs_getcwd;
pub mod vfs_stat;
pub mod vfs_syscalls;
mod vfs_tests;
pub mod vfs_vnops;
pub mod vnode;

pub use vnode::VnodeRef;

use ferrite_abi::Errno;
use spin::Once;

static ROOT: Once<VnodeRef> = Once::new();

/// Build the tree (see the module comment). Called once by the boot code;
/// a second call changes nothing (and says so).
pub fn init(ramdisk: Option<&'static [u8]>) {
    let mut built = false;
    ROOT.call_once(|| {
        built = true;
        build(ramdisk)
    });
    if !built {
        log::warn!("fs::init: the tree exists already; the ramdisk is not unpacked");
    }
}

/// The root directory. (If `init` was not called, an empty tree is built
/// on first use.)
pub fn root() -> VnodeRef {
    ROOT.call_once(|| build(None)).clone()
}

/// `path` under `root` as a directory of permissions `perm`, made if
/// missing.
fn ensure_dir(root: &VnodeRef, name: &[u8], perm: u32) -> Result<VnodeRef, Errno> {
    match root.lookup(name) {
        Ok(v) if v.is_dir() => Ok(v),
        Ok(_) => Err(Errno::ENOTDIR),
        Err(_) => root.mkdir(name, perm),
    }
}

fn build(ramdisk: Option<&'static [u8]>) -> VnodeRef {
    let root = ramfs::new(0o755);
    if let Err(e) = mount::mount_root(&root, "ramfs") {
        log::error!("fs: cannot record the root mount: {}", e.description());
    }
    populate(&root, ramdisk);
    match root.lookup(b"proc") {
        Ok(proc) => {
            if let Err(e) = mount::mount(&proc, &procfs::new(), "procfs") {
                log::error!("fs: cannot mount procfs on /proc: {}", e.description());
            }
        }
        Err(e) => log::error!("fs: no /proc: {}", e.description()),
    }
    root
}

/// Fill a new root: the archive unpacked, devfs on `/dev`, `/tmp` and
/// `/proc` made if missing.
fn populate(root: &VnodeRef, ramdisk: Option<&[u8]>) {
    if let Some(ramdisk) = ramdisk {
        // The boot tool gzips the archive: inflate it into a wired kernel
        // buffer sized from the gzip trailer, freed once unpacked (the
        // files' bytes are copied into ramfs pages).
        let inflated;
        let archive = if ferrite_gzip::is_gzip(ramdisk) {
            match inflate(ramdisk) {
                Ok(buf) => {
                    inflated = buf;
                    inflated.as_slice()
                }
                Err(why) => {
                    log::error!("initramfs: {why}: the tree has no initramfs");
                    &[]
                }
            }
        } else {
            ramdisk
        };
        let s = initramfs::unpack(root, archive);
        log::info!(
            "initramfs: {} bytes: {} directories, {} files ({} bytes), {} symlinks, {} hard links, {} skipped{}",
            archive.len(),
            s.dirs,
            s.files,
            s.bytes,
            s.symlinks,
            s.links,
            s.skipped,
            if s.malformed {
                " (malformed archive)"
            } else {
                ""
            }
        );
    }
    match ensure_dir(root, b"dev", 0o755) {
        Ok(dev) => {
            if let Err(e) = mount::mount(&dev, &devfs::new(), "devfs") {
                log::error!("fs: cannot mount devfs on /dev: {}", e.description());
            }
        }
        Err(e) => log::error!("fs: no /dev: {}", e.description()),
    }
    for (name, perm) in [(&b"tmp"[..], 0o1777), (b"proc", 0o555)] {
        if let Err(e) = ensure_dir(root, name, perm) {
            log::error!(
                "fs: cannot make /{}: {}",
                core::str::from_utf8(name).unwrap_or("?"),
                e.description()
            );
        }
    }
}

/// Inflate a gzipped ramdisk.
fn inflate(gz: &[u8]) -> Result<crate::uvm::km::KmBuf, alloc::string::String> {
    use alloc::format;
    let len =
        ferrite_gzip::uncompressed_len(gz).map_err(|e| format!("ramdisk: {}", e.description()))?;
    let mut buf = crate::uvm::km::KmBuf::new(len)
        .map_err(|e| format!("no memory for the {len}-byte inflated ramdisk ({e:?})"))?;
    let t0 = crate::arch::x86_64::tsc::read();
    let n = ferrite_gzip::inflate(gz, buf.as_mut_slice())
        .map_err(|e| format!("ramdisk: {}", e.description()))?;
    log::info!(
        "initramfs: inflated {} bytes to {} in {} cycles",
        gz.len(),
        n,
        crate::arch::x86_64::tsc::read() - t0
    );
    Ok(buf)
}

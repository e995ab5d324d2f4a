//! File systems: the vnode layer (vnodes, path lookup, the mount table)
//! and the file systems behind it: the RAM file system holding the
//! initramfs (mounted at `/`, also `/tmp`), and devfs (`/dev`).
//!
//! (Skeleton: the vnode layer is being written; `root` gives the root
//! directory's vnode.)

pub mod namei;
pub mod vnode;

pub use vnode::VnodeRef;

/// Mount the file systems and unpack the initramfs (skeleton).
pub fn init(_ramdisk: Option<&'static [u8]>) {
    let _ = root();
}

/// The root directory.
pub fn root() -> VnodeRef {
    vnode::root()
}

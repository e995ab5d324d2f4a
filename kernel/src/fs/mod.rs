//! File systems: the vnode layer (vnodes, path lookup, the mount table)
//! and the file systems behind it: the RAM file system holding the
//! initramfs (mounted at `/`, also `/tmp`), and devfs (`/dev`).
//!
//! (Skeleton: the vnode layer is being written; `root` gives the root
//! directory's vnode.)

pub mod vnode;

pub use vnode::VnodeRef;

/// The root directory.
pub fn root() -> VnodeRef {
    vnode::root()
}

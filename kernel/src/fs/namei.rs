//! Path lookup (skeleton: replaced by the vnode layer).

use super::VnodeRef;
use ferrite_abi::Errno;

/// Look `path` up from the current directory.
pub fn lookup(_path: &[u8], _follow: bool) -> Result<VnodeRef, Errno> {
    Err(Errno::ENOENT)
}

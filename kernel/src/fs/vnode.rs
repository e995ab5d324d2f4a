//! Vnodes (skeleton: replaced by the vnode layer).

use alloc::sync::Arc;
use spin::Once;

/// A vnode.
pub struct Vnode {}

/// A counted reference to a vnode.
pub type VnodeRef = Arc<Vnode>;

static ROOT: Once<VnodeRef> = Once::new();

/// The root directory's vnode.
pub fn root() -> VnodeRef {
    ROOT.call_once(|| Arc::new(Vnode {})).clone()
}

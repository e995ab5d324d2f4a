//! Vnodes (skeleton: replaced by the vnode layer).

use crate::uvm::object::ObjRef;
use alloc::sync::Arc;
use ferrite_abi::{Errno, Stat};
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

impl Vnode {
    pub fn is_regular(&self) -> bool {
        false
    }
    pub fn access(&self, _mode: i32) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }
    pub fn getattr(&self) -> Stat {
        Stat::default()
    }
    pub fn object(&self) -> Option<ObjRef> {
        None
    }
    pub fn read(&self, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EIO)
    }
}

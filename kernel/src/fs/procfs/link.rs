//! procfs's symbolic links, whose targets depend on who asks and when:
//! `/proc/self` (the calling process's PID, so `/proc/self/maps` is the
//! caller's own) and `/proc/<pid>/exe` (the path the process's program
//! was started by). A kernel thread has no `self` and a zombie no `exe`:
//! ENOENT, as on Linux.

use super::file::attrs;
use crate::fs::vnode::VnodeOps;
use crate::kern::proc::procinfo::{self, ProcId};
use alloc::vec::Vec;
use core::any::Any;
use ferrite_abi::{Errno, Stat, mode};

/// What a link points at.
pub enum LinkKind {
    /// The caller's PID.
    SelfPid,
    /// The program of process `ProcId`.
    Exe(ProcId),
}

pub struct ProcLink {
    pub kind: LinkKind,
}

impl ProcLink {
    fn target(&self) -> Result<Vec<u8>, Errno> {
        match self.kind {
            LinkKind::SelfPid => {
                let pid = crate::kern::proc::curproc_opt().ok_or(Errno::ENOENT)?.pid();
                Ok(alloc::format!("{pid}").into_bytes())
            }
            LinkKind::Exe(id) => {
                let v = procinfo::view_of(id).map_err(|_| Errno::ENOENT)?;
                if v.vmspace.is_none() {
                    return Err(Errno::ENOENT);
                }
                let image = v.image.ok_or(Errno::ENOENT)?;
                let mut p = Vec::new();
                p.try_reserve_exact(image.path.len())
                    .map_err(|_| Errno::ENOMEM)?;
                p.extend_from_slice(&image.path);
                Ok(p)
            }
        }
    }
}

impl VnodeOps for ProcLink {
    fn getattr(&self) -> Stat {
        attrs(mode::S_IFLNK, 0o777, 1)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.target()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

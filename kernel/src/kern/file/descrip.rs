//! A process's descriptor table (skeleton: replaced by the file layer).

use crate::kern::error::KResult;

/// The descriptor table of a process.
pub struct FdTable {}

impl FdTable {
    /// An empty table.
    pub fn new() -> FdTable {
        FdTable {}
    }

    /// A copy for a forked child: the same open files, flags kept.
    pub fn fork(&self) -> KResult<FdTable> {
        Ok(FdTable {})
    }

    /// Close the descriptors marked close-on-exec (execve).
    pub fn close_on_exec(&mut self) {}

    /// Close every descriptor (exit).
    pub fn close_all(&mut self) {}

    /// Open the console as descriptors 0, 1 and 2 (the first process).
    pub fn install_console_stdio(&mut self) {}
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

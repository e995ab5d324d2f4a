//! Shared test fixture: a `Vec`-backed page-header store whose link
//! accessors count every call, so tests can measure the cost of an
//! operation in store touches.

#![allow(dead_code)]

use core::cell::Cell;
use ferrite_ilist::ListStore;

#[derive(Clone, Debug, Default)]
pub struct Hdr {
    pub next: Option<usize>,
    pub prev: Option<usize>,
}

#[derive(Default)]
pub struct Store {
    pub nodes: Vec<Hdr>,
    /// Calls of next/prev/set_next/set_prev.
    pub calls: Cell<u64>,
}

impl Store {
    pub fn new(n: usize) -> Self {
        Store {
            nodes: vec![Hdr::default(); n],
            calls: Cell::new(0),
        }
    }
    pub fn add(&mut self) -> usize {
        self.nodes.push(Hdr::default());
        self.nodes.len() - 1
    }
    pub fn links(&self, h: usize) -> (Option<usize>, Option<usize>) {
        (self.nodes[h].prev, self.nodes[h].next)
    }
    fn tick(&self) {
        self.calls.set(self.calls.get() + 1);
    }
}

impl ListStore for Store {
    type Handle = usize;
    fn next(&self, h: usize) -> Option<usize> {
        self.tick();
        self.nodes[h].next
    }
    fn prev(&self, h: usize) -> Option<usize> {
        self.tick();
        self.nodes[h].prev
    }
    fn set_next(&mut self, h: usize, v: Option<usize>) {
        self.tick();
        self.nodes[h].next = v;
    }
    fn set_prev(&mut self, h: usize, v: Option<usize>) {
        self.tick();
        self.nodes[h].prev = v;
    }
}

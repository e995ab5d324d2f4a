//! The userland check harness (placeholder).

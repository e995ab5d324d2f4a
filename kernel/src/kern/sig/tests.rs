//! ktests of signals.

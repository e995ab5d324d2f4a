//! Signal names for reports ("killed by signal 11 (SIGSEGV)").

/// The symbolic name of a signal number (`"SIGSEGV"`), or `"SIG?"`.
pub fn signame(sig: i32) -> &'static str {
    const NAMES: [&str; 32] = [
        "SIG0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(sig)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or("SIG?")
}

#[cfg(test)]
mod tests {
    use super::signame;

    #[test]
    fn names_match_libc_numbers() {
        assert_eq!(signame(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signame(libc::SIGKILL), "SIGKILL");
        assert_eq!(signame(libc::SIGCHLD), "SIGCHLD");
        assert_eq!(signame(libc::SIGSYS), "SIGSYS");
        assert_eq!(signame(64), "SIG?");
        assert_eq!(signame(-1), "SIG?");
    }
}

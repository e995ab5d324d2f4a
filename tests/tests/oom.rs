//! Running out of memory is an error path, never a panic: a program forks
//! idle children (`/bin/bench/fork_exit 0 4096`, each blocked in read on
//! a pipe) in a 64 MiB guest until the memory is gone. Its fork must fail
//! with ENOMEM, or, when even its own next page cannot be had, the kernel
//! kills it with SIGKILL (as Linux's out-of-memory killer would); then init
//! kills and reaps the thousand-odd orphans (kill(-1) must work with no
//! memory left), exits, and the kernel powers off.

use ferrite_tests::{env_path, ferrite_boot, text};

#[test]
#[ignore = "boots QEMU; run by scripts/test.sh"]
fn forking_until_memory_runs_out_fails_cleanly() {
    let kernel = env_path("FERRITE_KERNEL").display().to_string();
    let userland = env_path("FERRITE_USERLAND").display().to_string();
    let o = ferrite_boot(&[
        "run",
        "--memory",
        "64",
        "--kernel",
        &kernel,
        "--userland",
        &userland,
        "--timeout",
        "300",
        "--",
        "/bin/bench/fork_exit",
        "0",
        "4096",
    ]);
    let out = text(&o);
    assert!(!out.contains("panicked"), "the kernel panicked:\n{out}");
    let enomem = out.contains("bench: error: fork: Out of memory (os error 12)")
        && out.contains("init: /bin/bench/fork_exit exited with status 1");
    let killed = out.contains("init: /bin/bench/fork_exit killed by signal 9 (SIGKILL)");
    assert!(
        enomem || killed,
        "fork must fail with ENOMEM or the program be killed for memory:\n{out}"
    );
    let code = if enomem { 1 } else { 137 };
    assert!(
        out.contains(&format!("ferrite: init exited with status {code}")),
        "init must reap everything, exit and power off:\n{out}"
    );
    assert_eq!(o.status.code(), Some(code), "run returns init's status");
}

//! Host-side integration tests of Ferrite that boot QEMU (see `tests/`).
//! They need the host tool and a kernel image; `scripts/test.sh` builds both
//! and passes their paths in `FERRITE_BOOT`, `FERRITE_KERNEL` (the normal
//! kernel) and `FERRITE_SELFTEST_KERNEL` (the one with failing tests).

use std::path::PathBuf;
use std::process::{Command, Output};

/// Path from an environment variable set by scripts/test.sh.
pub fn env_path(var: &str) -> PathBuf {
    let value = std::env::var_os(var)
        .unwrap_or_else(|| panic!("{var} is not set: run these tests through scripts/test.sh"));
    let path = PathBuf::from(value);
    assert!(path.exists(), "{var}={} does not exist", path.display());
    path
}

/// Run the host tool with `args`; returns its output (stdout + stderr).
pub fn ferrite_boot(args: &[&str]) -> Output {
    Command::new(env_path("FERRITE_BOOT"))
        .args(args)
        .output()
        .expect("cannot start ferrite-boot")
}

/// stdout and stderr as one string.
pub fn text(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    s
}

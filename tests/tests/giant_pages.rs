//! The pmap suite on a CPU with 1 GiB pages (`+pdpe1gb`): the default CPU
//! model lacks them, so this is the run that covers the kernel pmap's 1 GiB
//! direct map and its splitting and merging for memory attributes.

use ferrite_tests::{env_path, ferrite_boot, text};

#[test]
#[ignore = "boots QEMU; run by scripts/test.sh"]
fn the_pmap_suite_passes_with_a_1gib_direct_map() {
    // The normal kernel (the self-test build is full of failing tests).
    let kernel = env_path("FERRITE_KERNEL").display().to_string();
    let out = ferrite_boot(&[
        "test",
        "--kernel",
        &kernel,
        "--cpu-flags",
        "+pdpe1gb",
        "--filter",
        "pmap::",
    ]);
    let s = text(&out);
    assert!(
        s.contains("direct map in 1 GiB pages"),
        "the kernel must use 1 GiB pages:\n{s}"
    );
    assert!(
        out.status.success(),
        "pmap suite failed with 1 GiB pages:\n{s}"
    );
    assert!(s.lines().any(|l| l.ends_with(" passed, 0 failed")), "{s}");
}

//! The ring-3 demo (`/bin/demo`, what `scripts/run.sh` shows): booted as
//! `run.sh` boots it (`ferrite-boot run` with the userland, no program:
//! init runs the demo), it must end with status 0 and its narration must
//! carry the kernel's evidence: a copy-on-write copy counted for the
//! child's write, the parent's page unchanged, zero-fill faults counted,
//! the SIGSEGV of the munmap hole at the exact address, the ptrace patch
//! seen by the traced child only, and ktrace's trace. The same binary run
//! natively on this Linux host must end well too (the reference).

use std::process::Command;

use ferrite_tests::{env_path, ferrite_boot, text};

/// The number after `name +` in `line` (a counter delta of the demo).
fn delta(line: &str, name: &str) -> Option<i64> {
    let rest = &line[line.find(&format!("{name} +"))? + name.len() + 2..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The one line of `out` containing every one of `parts`.
fn line<'a>(out: &'a str, parts: &[&str]) -> &'a str {
    out.lines()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no line with {parts:?} in:\n{out}"))
}

/// `0x...` after `key` in `line`, as a number.
fn hex_after(line: &str, key: &str) -> u64 {
    let rest = &line[line
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        + key.len()..];
    let rest = rest.trim_start().trim_start_matches("0x");
    let digits: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
    u64::from_str_radix(&digits, 16).unwrap_or_else(|_| panic!("no address after {key} in {line}"))
}

/// What every run of the demo must show, on either kernel.
fn check_narration(out: &str) {
    line(out, &["writes 0x22 into the page and reads 0x22"]);
    assert!(line(out, &["parent still reads 0x11 in every byte"]).starts_with("  parent"));
    let hole = line(out, &["in the hole: SIGSEGV caught"]);
    assert_eq!(
        hex_after(hole, "write to"),
        hex_after(hole, "si_addr"),
        "si_addr must be the address written: {hole}"
    );
    assert!(hole.ends_with("SEGV_MAPERR"), "{hole}");
    assert!(line(out, &["mprotect(PROT_READ)", "si_addr"]).ends_with("SEGV_ACCERR"));
    line(out, &["parent reads \"hello from child"]);
    line(out, &["read(2) of the file returns \"FERRITE maps files\""]);
    line(out, &["mlock: 8/8 resident", "VmLck 32 kB"]);
    let rip = line(out, &["SIGTRAP, GETREGS rip"]);
    assert!(rip.ends_with("= breakpoint + 1"), "{rip}");
    line(out, &["child ", ": secret = 1234"]);
    line(out, &["(forked before the patch): secret = 42"]);
    line(out, &["parent: secret = 42"]);
    line(out, &["hello from a traced child"]);
    line(out, &["+++ exited with 0 +++"]);
    let done = line(out, &["demo: done"]);
    assert!(!done.contains("FAILED"), "{done}");
}

/// A delta of one of Ferrite's counters: `want`, or a little more (they
/// are system-wide, and the kernel's own faults on its map count too).
fn about(line: &str, name: &str, want: i64) {
    let got = delta(line, name).unwrap_or_else(|| panic!("no {name} delta in {line}"));
    assert!(
        (want..=want + 2).contains(&got),
        "{name} +{want} expected: {line}"
    );
}

#[test]
#[ignore = "boots QEMU; run by scripts/test.sh"]
fn the_demo_narrates_with_the_kernels_counters_and_powers_off() {
    let kernel = env_path("FERRITE_KERNEL").display().to_string();
    let userland = env_path("FERRITE_USERLAND").display().to_string();
    let o = ferrite_boot(&[
        "run",
        "--kernel",
        &kernel,
        "--userland",
        &userland,
        "--timeout",
        "240",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "run must return 0:\n{out}");
    line(&out, &["ferrite: init exited with status 0"]);
    line(&out, &["demo: Ferrite ", "virtual memory seen from ring 3"]);
    check_narration(&out);
    // Ferrite's own evidence: the copy-on-write copy, the zero fills, the
    // wired pages and the private copies ptrace made.
    let child = line(&out, &["writes 0x22 into the page and reads 0x22"]);
    assert!(
        delta(child, "uvm_cow_copies").is_some_and(|n| n >= 1),
        "the child's write is a copy-on-write copy: {child}"
    );
    let shared = line(&out, &["[/proc/self/uvm:", "amap references"]);
    assert!(
        shared.contains("amap references 2, flags cow,nc"),
        "{shared}"
    );
    let zero = line(&out, &["one byte written in each: 16 resident"]);
    about(zero, "uvm_zero_fills", 16);
    assert!(zero.ends_with("[/proc/self/uvm: 16 resident]"), "{zero}");
    let file = line(&out, &["mapped MAP_SHARED", "reads \"ferrite maps files\""]);
    about(file, "uvm_fault_object", 1);
    let mlock = line(&out, &["mlock: 8/8 resident"]);
    about(mlock, "uvm_user_wired_pages", 8);
    assert!(mlock.contains("wired 1 flags mlock"), "{mlock}");
    line(&out, &["munlock: [uvm_user_wired_pages -8, VmLck 0 kB]"]);
    let poke = line(&out, &["POKEDATA secret = 1234"]);
    about(poke, "uvm_cow_copies", 1);
    let text_poke = line(&out, &["POKETEXT int3"]);
    assert!(text_poke.contains("[maps: r-xp]"), "{text_poke}");
    about(text_poke, "uvm_fault_promote", 1);
}

#[test]
#[ignore = "needs the userland build; run by scripts/test.sh"]
fn the_demo_runs_natively_on_linux() {
    let demo = env_path("FERRITE_USERLAND").join("demo");
    let o = Command::new(&demo)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("cannot run the demo");
    let out = text(&o);
    assert!(o.status.success(), "the demo failed on Linux:\n{out}");
    check_narration(&out);
    // The child's one write is its one minor fault.
    let child = line(&out, &["writes 0x22 into the page and reads 0x22"]);
    assert_eq!(delta(child, "minor faults"), Some(1), "{child}");
}

//! The ktest runner self-test: boot a kernel built with the `ktest-selftest`
//! feature, whose tests fail on purpose in every way a test can fail (panic,
//! assertion, leak, hang, error result, should_panic that does not), and
//! check that each is reported FAILED and that the run goes on after it.

use ferrite_tests::{env_path, ferrite_boot, text};

fn selftest_kernel() -> String {
    env_path("FERRITE_SELFTEST_KERNEL").display().to_string()
}

fn result_line<'a>(out: &'a str, name: &str) -> &'a str {
    let prefix = format!("test ktest::selftest::{name} ... ");
    out.lines()
        .find(|l| l.starts_with(&prefix) && l.len() > prefix.len())
        .unwrap_or_else(|| panic!("no result line for {name} in:\n{out}"))
}

#[test]
#[ignore = "boots QEMU several times; run by scripts/test.sh"]
fn every_kind_of_failure_is_reported_and_the_run_goes_on() {
    let summary =
        std::env::temp_dir().join(format!("ferrite-selftest-{}.summary", std::process::id()));
    let kernel = selftest_kernel();
    let out = ferrite_boot(&[
        "test",
        "--kernel",
        &kernel,
        "--filter",
        "ktest::selftest",
        "--test-timeout",
        "20",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    let s = text(&out);
    assert!(
        !out.status.success(),
        "failures must give a non-zero exit:\n{s}"
    );

    assert!(result_line(&s, "a_passes_before").contains("... ok"));
    for failing in [
        "b_panics",
        "c_fails_an_assertion",
        "d_leaks_a_page",
        "e_hangs",
        "e_hangs_with_interrupts_off",
        "f_returns_an_error",
        "g_should_panic_but_does_not",
    ] {
        assert!(
            result_line(&s, failing).contains("FAILED"),
            "{failing} not FAILED:\n{s}"
        );
    }
    assert!(
        result_line(&s, "h_passes_after").contains("... ok"),
        "the run must go on to the end"
    );

    // The reasons are shown: panic message, leak report, watchdog, error.
    assert!(s.contains("selftest: deliberate panic"));
    assert!(s.contains("selftest: deliberate assertion failure"));
    assert!(s.contains("leak check: pages"));
    assert!(
        s.contains("test timed out after 500 ms (ktest watchdog)"),
        "kernel watchdog:\n{s}"
    );
    assert!(s.contains("killed by runner"), "host timeout:\n{s}");
    assert!(s.contains("selftest: deliberate error"));
    assert!(s.contains("did not panic"));
    // Panics are symbolised: function names and file:line in the backtrace.
    assert!(
        s.contains("ferrite::ktest::selftest::b_panics at kernel/src/ktest/selftest.rs:"),
        "{s}"
    );

    let summary_text = std::fs::read_to_string(&summary).expect("summary file");
    let _ = std::fs::remove_file(&summary);
    assert!(summary_text.contains("passed=2"), "{summary_text}");
    assert!(summary_text.contains("failed=7"), "{summary_text}");
    assert!(s.lines().any(|l| l.trim() == "2 passed, 7 failed"), "{s}");
}

#[test]
#[ignore = "boots QEMU; run by scripts/test.sh"]
fn a_filter_matching_nothing_is_an_error() {
    let kernel = selftest_kernel();
    let out = ferrite_boot(&[
        "test",
        "--kernel",
        &kernel,
        "--filter",
        "no_such_test_anywhere",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no test matches"), "{}", text(&out));
}

#[test]
#[ignore = "needs the host tool; run by scripts/test.sh"]
fn bad_command_lines_are_rejected_with_a_message() {
    let out = ferrite_boot(&["test", "--kernel", "/nonexistent/kernel"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("/nonexistent/kernel"), "{}", text(&out));

    let out = ferrite_boot(&["test", "--no-such-option"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--no-such-option"), "{}", text(&out));

    let out = ferrite_boot(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

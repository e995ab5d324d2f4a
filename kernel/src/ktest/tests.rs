//! Tests of the test framework itself: the leak check, expected panics, the
//! watchdog, registration and filtering.

use super::{ktest, leak, selected};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;

#[ktest]
fn leak_check_catches_a_leaked_page() {
    let (pa, result) = leak::measure(|| physmem::alloc_page(PageUse::Kernel).unwrap());
    let leak = result.expect_err("leaking a page must be detected");
    assert_eq!(leak.after.available_pages + 1, leak.before.available_pages);
    physmem::free_page(pa);
}

#[ktest]
fn leak_check_catches_a_leaked_heap_block() {
    let (b, result) = leak::measure(|| core::hint::black_box(alloc::boxed::Box::new([7u8; 100])));
    let leak = result.expect_err("leaking heap memory must be detected");
    assert_eq!(leak.after.heap_bytes, leak.before.heap_bytes + 100);
    assert_eq!(
        leak.after.heap_allocations,
        leak.before.heap_allocations + 1
    );
    drop(b);
}

#[ktest]
fn leak_check_passes_balanced_work() {
    let ((), result) = leak::measure(|| {
        let pa = physmem::alloc_page(PageUse::Kernel).unwrap();
        let v: alloc::vec::Vec<u32> = (0..1000).collect();
        assert_eq!(v.len(), 1000);
        physmem::free_page(pa);
    });
    assert!(result.is_ok(), "{:?}", result);
}

#[ktest(should_panic)]
fn should_panic_test_passes_by_panicking() {
    panic!("deliberate panic: the runner must resume after this test");
}

#[ktest(should_panic, timeout_ms = 300)]
fn watchdog_stops_a_hung_test() {
    let t = crate::arch::x86_64::apic::ticks();
    // Spin with interrupts on; the watchdog fires on a timer tick.
    while crate::arch::x86_64::apic::ticks() >= t {
        core::hint::spin_loop();
    }
    unreachable!("ticks went backwards");
}

#[ktest]
fn registry_is_sorted_and_filterable() {
    let all = selected(None);
    assert!(
        all.len() >= 25,
        "expected at least 25 tests, found {}",
        all.len()
    );
    assert!(
        all.windows(2).all(|w| w[0].path() <= w[1].path()),
        "tests not sorted"
    );
    let mine = selected(Some("ktest::tests::registry_is_sorted"));
    assert_eq!(mine.len(), 1);
    assert!(selected(Some("no such test, surely")).is_empty());
}

#[ktest]
fn err_result_is_reported() {
    use super::IntoTestResult;
    let r: Result<(), &str> = Err("boom");
    assert_eq!(
        r.into_test_result(),
        Err(alloc::string::String::from("\"boom\""))
    );
    assert_eq!(().into_test_result(), Ok(()));
}

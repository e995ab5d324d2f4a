//! Ferrite: a freestanding x86_64 kernel whose heart is a virtual-memory system
//! in the style of NetBSD's UVM.
//!
//! This file owns only the boot sequence: it brings up each layer in order
//! (console, CPU, physical memory, heap, command line, logging, timer) and then
//! hands control to the demo or to the in-kernel test suite.

#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod bench;
mod demo;
mod dev;
mod fs;
mod kern;
mod ktest;
mod pmap;
mod uvm;

use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::{BootInfo, entry_point};

/// Where the bootloader maps all of physical memory (the direct map):
/// the start of the kernel half, PML4 slot 256.
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;

/// Where the bootloader may place the kernel image, boot stack and boot info:
/// the top 16 TiB (PML4 slots 480-511; the bootloader gives each mapping its
/// own slot), so the lower half stays free for user
/// address spaces and the kernel half can be shared by every page table.
pub const KERNEL_DYNAMIC_BASE: u64 = 0xffff_f000_0000_0000;

/// Size of the boot CPU's kernel stack (the bootloader puts a guard page below it).
pub const BOOT_STACK_SIZE: u64 = 256 * 1024;

static BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::FixedAddress(DIRECT_MAP_BASE));
    config.mappings.dynamic_range_start = Some(KERNEL_DYNAMIC_BASE);
    config.kernel_stack_size = BOOT_STACK_SIZE;
    config
};

entry_point!(kernel_main, config = &BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    arch::x86_64::tsc::mark_boot();
    dev::console::init();
    kprintln!("ferrite: image offset {:#x}", boot_info.kernel_image_offset);
    kern::panic::set_image_offset(boot_info.kernel_image_offset);

    let direct_map = boot_info
        .physical_memory_offset
        .into_option()
        .expect("bootloader did not map physical memory");
    assert_eq!(
        direct_map, DIRECT_MAP_BASE,
        "direct map at the wrong address"
    );

    arch::x86_64::init_cpu(boot_info.kernel_stack_bottom, boot_info.kernel_stack_len);
    uvm::physmem::init(boot_info);
    let pmap_report = pmap::kernel::bootstrap(boot_info);
    uvm::init();
    kern::sched::init();
    kern::proc::init();
    let ramdisk = arch::x86_64::boot::ramdisk(boot_info);

    let raw_cmdline = arch::x86_64::fw_cfg::read_cmdline();
    let opts = match ferrite_cmdline::parse(&raw_cmdline) {
        Ok(opts) => opts,
        Err(e) => {
            kprintln!("ferrite: bad kernel command line `{}`: {}", raw_cmdline, e);
            arch::x86_64::qemu::exit(arch::x86_64::qemu::ExitCode::Failure);
        }
    };
    kern::log::init(&opts);
    log::info!("command line: `{}`", raw_cmdline);
    arch::x86_64::report_cpu();
    log::info!(
        "pmap: boot identity map removed ({} tables freed), {} kernel PDPTs added, direct map in {} pages",
        pmap_report.identity_tables_freed,
        pmap_report.kernel_pdpts_added,
        if pmap_report.giant_pages {
            "1 GiB"
        } else {
            "2 MiB"
        }
    );
    kern::prof::init(opts.prof_period, opts.prof_comm.as_deref());
    arch::x86_64::init_timer(opts.timer_hz);
    kern::time::init();
    uvm::physmem::report();

    fs::init(ramdisk);
    kern::sig::init();

    match opts.mode {
        // Without a ring-3 demo (/init running /bin/demo) the in-kernel
        // demo runs.
        ferrite_cmdline::Mode::Demo if fs::namei::lookup(b"/bin/demo", true).is_err() => {
            demo::run(&opts)
        }
        ferrite_cmdline::Mode::Test => ktest::run(&opts),
        ferrite_cmdline::Mode::Bench => bench::run(),
        ferrite_cmdline::Mode::Demo | ferrite_cmdline::Mode::User => {
            kern::proc::init::start(&opts.init_args, opts.vmstat);
            // The boot thread has nothing left to do: init runs, and the
            // kernel powers off when it exits.
            loop {
                let _ = kern::sched::sleepq::sleep(
                    kern::sched::sleepq::chan(&BOOTLOADER_CONFIG),
                    false,
                    None,
                );
            }
        }
    }
}

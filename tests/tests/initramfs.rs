//! The initramfs as the host tool packs it: the image cache follows the
//! archive's content (not its files' mtimes), the archive reaches the
//! kernel, gzipped, as the bootloader's ramdisk, and `run -- PROG` refuses
//! a program that is not packed.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ferrite_tests::{env_path, ferrite_boot, text};

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ferrite-it-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn kernel() -> String {
    env_path("FERRITE_SELFTEST_KERNEL").display().to_string()
}

/// `ferrite-boot image --verbose ... --add FILE:/bin/payload`: (BIOS image
/// path, whether it was built).
fn build_image(out: &Path, payload: &Path) -> (PathBuf, bool) {
    let add = format!("{}:/bin/payload", payload.display());
    let o = ferrite_boot(&[
        "image",
        "--kernel",
        &kernel(),
        "--out",
        out.to_str().unwrap(),
        "--verbose",
        "--add",
        &add,
    ]);
    let s = text(&o);
    assert!(o.status.success(), "image failed:\n{s}");
    let bios = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.ends_with(".bios.img"))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no BIOS image path in:\n{s}"));
    let line = s
        .lines()
        .find(|l| l.contains("ferrite-boot: image ") && l.ends_with(bios.to_str().unwrap()))
        .unwrap_or_else(|| panic!("no build report for {} in:\n{s}", bios.display()));
    (bios, line.contains("image built"))
}

#[test]
#[ignore = "needs the host tool and a kernel; run by scripts/test.sh"]
fn image_cache_follows_the_archive_content() {
    let dir = Scratch::new("cache");
    let payload = dir.0.join("payload");
    fs::write(&payload, b"first version").unwrap();

    let (first, built) = build_image(&dir.0, &payload);
    assert!(built, "a new archive needs a new image");
    assert!(
        first.to_str().unwrap().contains(".initrd-"),
        "{}",
        first.display()
    );

    let (again, built) = build_image(&dir.0, &payload);
    assert_eq!(again, first);
    assert!(!built, "same archive: the cached image is reused");

    // Only the mtime changes: still the same archive.
    let later = SystemTime::now() + Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&payload)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (touched, built) = build_image(&dir.0, &payload);
    assert_eq!(touched, first);
    assert!(!built, "touching a packed file must not rebuild the image");

    // New content: new image, and the old one is cleaned up.
    fs::write(&payload, b"second version").unwrap();
    let (second, built) = build_image(&dir.0, &payload);
    assert!(built);
    assert_ne!(second, first);
    assert!(second.exists());
    assert!(
        !first.exists(),
        "the stale image {} is left",
        first.display()
    );
}

/// `len` bytes that do not compress (xorshift64).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
#[ignore = "boots QEMU; run by scripts/test.sh"]
fn the_archive_reaches_the_kernel_as_its_gzipped_ramdisk() {
    let dir = Scratch::new("ramdisk");
    // 100 KiB that gzip cannot shrink (at least 25 pages of ramdisk) and
    // 1 MiB that it shrinks to almost nothing (256 more pages if the
    // ramdisk were not compressed).
    let noise_file = dir.0.join("noise");
    fs::write(&noise_file, noise(100 * 1024)).unwrap();
    let zeros = dir.0.join("zeros");
    fs::write(&zeros, vec![0; 1024 * 1024]).unwrap();
    let add_noise = format!("{}:/bin/noise", noise_file.display());
    let add_zeros = format!("{}:/bin/zeros", zeros.display());
    let o = ferrite_boot(&[
        "run",
        "--kernel",
        &kernel(),
        "--out",
        dir.0.to_str().unwrap(),
        "--add",
        &add_noise,
        "--add",
        &add_zeros,
    ]);
    let s = text(&o);
    assert!(o.status.success(), "run failed:\n{s}");
    // The kernel accounts the ramdisk's pages at boot
    // (`uvmexp:            ramdisk:      N pages`).
    let pages: u64 = s
        .lines()
        .find_map(|l| {
            let rest = l.split("ramdisk:").nth(1)?;
            rest.trim().strip_suffix("pages")?.trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("no ramdisk page count in:\n{s}"));
    assert!(
        (25..=30).contains(&pages),
        "expected 25..=30 ramdisk pages for 100 KiB of noise and 1 MiB of zeros, \
         gzipped, got {pages}:\n{s}"
    );
}

#[test]
#[ignore = "needs the host tool, a kernel and QEMU; run by scripts/test.sh"]
fn run_refuses_a_program_that_is_not_packed() {
    let dir = Scratch::new("prog");
    let payload = dir.0.join("payload");
    fs::write(&payload, b"x").unwrap();
    let add = format!("{}:/bin/payload", payload.display());
    let o = ferrite_boot(&[
        "run",
        "--kernel",
        &kernel(),
        "--out",
        dir.0.to_str().unwrap(),
        "--add",
        &add,
        "--",
        "/bin/not-there",
        "arg",
    ]);
    let s = text(&o);
    assert_eq!(o.status.code(), Some(2), "usage error expected:\n{s}");
    assert!(
        s.contains("/bin/not-there is not in the initramfs") && s.contains("/bin/payload"),
        "{s}"
    );
}

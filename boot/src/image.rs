//! Disk images: BIOS (MBR) and UEFI (GPT) images built with the
//! `bootloader` crate from the kernel ELF and, optionally, an initramfs
//! (the bootloader's ramdisk), cached next to the ELF (or in `--out DIR`)
//! and rebuilt only when the ELF (or this tool) is newer.
//!
//! The bootloader's own logging is part of the image (boot.json), so
//! `--verbose` images are cached under a different name:
//! `<elf>.bios.img` / `<elf>.uefi.img`, or `<elf>.verbose.bios.img` /
//! `<elf>.verbose.uefi.img`. An image with a ramdisk carries the
//! archive's content hash in its name (`<elf>.initrd-<16 hex>.bios.img`),
//! so a changed archive gets a new image while an unchanged one (even if
//! its files were touched) reuses the cached image; building one removes
//! the images of the same kernel with other ramdisks.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bootloader::{BiosBoot, BootConfig, UefiBoot};
use bootloader_boot_config::LevelFilter;

use crate::error::{Error, Result};
use crate::initramfs::Initramfs;

/// Firmware flavour of a disk image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Bios,
    Uefi,
}

impl Flavor {
    fn suffix(self) -> &'static str {
        match self {
            Flavor::Bios => "bios.img",
            Flavor::Uefi => "uefi.img",
        }
    }
}

fn kernel_name(kernel: &Path) -> String {
    kernel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kernel".into())
}

/// `<elf>.` or `<elf>.verbose.`: the start of every image name of a kernel.
fn name_stem(kernel: &Path, verbose: bool) -> String {
    let name = kernel_name(kernel);
    if verbose {
        format!("{name}.verbose.")
    } else {
        format!("{name}.")
    }
}

/// Path of the image for `kernel` with a ramdisk of content hash
/// `ramdisk` (pure).
pub fn image_path(
    kernel: &Path,
    out_dir: Option<&Path>,
    flavor: Flavor,
    verbose: bool,
    ramdisk: Option<u64>,
) -> PathBuf {
    let stem = name_stem(kernel, verbose);
    let file = match ramdisk {
        Some(hash) => format!("{stem}initrd-{hash:016x}.{}", flavor.suffix()),
        None => format!("{stem}{}", flavor.suffix()),
    };
    match out_dir {
        Some(dir) => dir.join(file),
        None => kernel.with_file_name(file),
    }
}

/// Whether `file` (a name in the image directory) is an image of the same
/// kernel, flavour and verbosity with another ramdisk than `keep` (pure).
pub fn is_stale_ramdisk_image(
    file: &str,
    kernel: &Path,
    flavor: Flavor,
    verbose: bool,
    keep: &Path,
) -> bool {
    let stem = format!("{}initrd-", name_stem(kernel, verbose));
    let hex = file
        .strip_prefix(&stem)
        .and_then(|rest| rest.strip_suffix(flavor.suffix()))
        .and_then(|rest| rest.strip_suffix('.'));
    let is_ours = hex.is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    is_ours && keep.file_name().is_none_or(|k| k != file)
}

/// Removes the images [`is_stale_ramdisk_image`] selects (best effort: an
/// image in use by a running QEMU stays readable by it).
fn remove_stale_ramdisk_images(kernel: &Path, image: &Path, flavor: Flavor, verbose: bool) {
    let dir = match image.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if let Some(name) = name.to_str()
            && is_stale_ramdisk_image(name, kernel, flavor, verbose, image)
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The bootloader configuration: silent unless `verbose`.
pub fn boot_config(verbose: bool) -> BootConfig {
    let mut cfg = BootConfig::default();
    cfg.frame_buffer_logging = false;
    cfg.serial_logging = verbose;
    cfg.log_level = if verbose {
        LevelFilter::Info
    } else {
        LevelFilter::Off
    };
    cfg
}

/// Checks that the kernel ELF exists and is a file.
pub fn check_kernel(kernel: &Path) -> Result<()> {
    match fs::metadata(kernel) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(Error::usage(format!(
            "kernel {} is not a file; pass the kernel ELF with --kernel",
            kernel.display()
        ))),
        Err(_) => Err(Error::usage(format!(
            "kernel ELF {} not found; build it first (cargo kbuild) or fix --kernel",
            kernel.display()
        ))),
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Whether the image must be (re)built: missing, or older than one of
/// its inputs (pure given the timestamps).
pub fn needs_rebuild(image: Option<SystemTime>, inputs: &[Option<SystemTime>]) -> bool {
    match image {
        None => true,
        Some(img) => inputs.iter().flatten().any(|input| *input > img),
    }
}

/// Builds (if needed) the image, with `ramdisk` as the bootloader's
/// ramdisk, and returns its path. `rebuilt` tells whether it was written.
pub fn ensure_image(
    kernel: &Path,
    out_dir: Option<&Path>,
    flavor: Flavor,
    verbose: bool,
    ramdisk: Option<&Initramfs>,
) -> Result<(PathBuf, bool)> {
    check_kernel(kernel)?;
    let image = image_path(kernel, out_dir, flavor, verbose, ramdisk.map(|r| r.hash));
    // The bootloader stages are embedded in this tool: a new tool build
    // may mean a new bootloader, so it counts as an input too.
    let tool = std::env::current_exe().ok().and_then(|p| mtime(&p));
    if !needs_rebuild(mtime(&image), &[mtime(kernel), tool]) {
        return Ok((image, false));
    }
    if let Some(dir) = image.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating image directory {}", dir.display()), e))?;
    }
    // Write to a temporary name and rename, so an interrupted build never
    // leaves a truncated image that looks up to date.
    let tmp = image.with_extension(format!("img.tmp{}", std::process::id()));
    // The image carries the kernel without its debug info: the bootloader
    // reads the whole file at every boot, and debug info makes it several
    // times larger (seconds per boot under TCG). Symbolisation uses the
    // full ELF on the host.
    let stripped = image.with_extension(format!("elf.tmp{}", std::process::id()));
    strip_debug_info(kernel, &stripped)?;
    // The bootloader takes the ramdisk as a file: the archive, gzipped
    // (compressed only here, when an image is built).
    let cpio = image.with_extension(format!("cpio.gz.tmp{}", std::process::id()));
    if let Some(r) = ramdisk {
        fs::write(&cpio, r.ramdisk()).map_err(|e| {
            let _ = fs::remove_file(&stripped);
            Error::io(format!("writing the initramfs {}", cpio.display()), e)
        })?;
    }
    let cfg = boot_config(verbose);
    let built = match flavor {
        Flavor::Bios => {
            let mut boot = BiosBoot::new(&stripped);
            boot.set_boot_config(&cfg);
            if ramdisk.is_some() {
                boot.set_ramdisk(&cpio);
            }
            boot.create_disk_image(&tmp)
        }
        Flavor::Uefi => {
            let mut boot = UefiBoot::new(&stripped);
            boot.set_boot_config(&cfg);
            if ramdisk.is_some() {
                boot.set_ramdisk(&cpio);
            }
            boot.create_disk_image(&tmp)
        }
    };
    let _ = fs::remove_file(&stripped);
    let _ = fs::remove_file(&cpio);
    if let Err(e) = built {
        let _ = fs::remove_file(&tmp);
        return Err(Error::usage(format!(
            "building the {flavor:?} image {} from {} failed: {e:#}; is the kernel a valid x86_64 ELF?",
            image.display(),
            kernel.display()
        )));
    }
    fs::rename(&tmp, &image).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(format!("moving the new image to {}", image.display()), e)
    })?;
    if ramdisk.is_some() {
        remove_stale_ramdisk_images(kernel, &image, flavor, verbose);
    }
    Ok((image, true))
}

/// Write a copy of the ELF `input` without its `.debug_*` sections.
pub fn strip_debug_info(input: &Path, output: &Path) -> Result<()> {
    let data = fs::read(input).map_err(|e| Error::io(format!("reading {}", input.display()), e))?;
    let stripped = strip_debug_sections(&data).map_err(|e| {
        Error::usage(format!(
            "{} is not an ELF file the tool can read ({e}); pass the kernel ELF with --kernel",
            input.display()
        ))
    })?;
    fs::write(output, stripped).map_err(|e| Error::io(format!("writing {}", output.display()), e))
}

/// The ELF image `data` without its `.debug_*` sections (pure).
pub fn strip_debug_sections(data: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut builder = object::build::elf::Builder::read(data).map_err(|e| e.to_string())?;
    for section in builder.sections.iter_mut() {
        if section.name.as_slice().starts_with(b".debug_") {
            section.delete = true;
        }
    }
    let mut out = Vec::new();
    builder.write(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn image_paths() {
        let k = Path::new("/t/release/ferrite");
        assert_eq!(
            image_path(k, None, Flavor::Bios, false, None),
            PathBuf::from("/t/release/ferrite.bios.img")
        );
        assert_eq!(
            image_path(k, Some(Path::new("/o")), Flavor::Uefi, false, None),
            PathBuf::from("/o/ferrite.uefi.img")
        );
        assert_eq!(
            image_path(k, None, Flavor::Bios, true, None),
            PathBuf::from("/t/release/ferrite.verbose.bios.img")
        );
        assert_eq!(
            image_path(k, None, Flavor::Bios, false, Some(0xabc)),
            PathBuf::from("/t/release/ferrite.initrd-0000000000000abc.bios.img")
        );
        assert_eq!(
            image_path(k, None, Flavor::Uefi, true, Some(u64::MAX)),
            PathBuf::from("/t/release/ferrite.verbose.initrd-ffffffffffffffff.uefi.img")
        );
    }

    #[test]
    fn stale_ramdisk_images() {
        let k = Path::new("/t/ferrite");
        let keep = image_path(k, None, Flavor::Bios, false, Some(1));
        let stale = |f| is_stale_ramdisk_image(f, k, Flavor::Bios, false, &keep);
        assert!(stale("ferrite.initrd-0000000000000002.bios.img"));
        assert!(
            !stale("ferrite.initrd-0000000000000001.bios.img"),
            "the new one"
        );
        assert!(!stale("ferrite.bios.img"), "no ramdisk");
        assert!(
            !stale("ferrite.initrd-0000000000000002.uefi.img"),
            "other flavour"
        );
        assert!(!stale("ferrite.verbose.initrd-0000000000000002.bios.img"));
        assert!(
            !stale("other.initrd-0000000000000002.bios.img"),
            "other kernel"
        );
        assert!(!stale("ferrite.initrd-2.bios.img"));
        assert!(!stale("ferrite.initrd-000000000000000g.bios.img"));
        assert!(!stale("ferrite.initrd-0000000000000002.bios.img.tmp123"));
    }

    #[test]
    fn rebuild_decision() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let t1 = t0 + Duration::from_secs(1);
        assert!(needs_rebuild(None, &[Some(t0)]));
        assert!(needs_rebuild(Some(t0), &[Some(t1)]));
        assert!(!needs_rebuild(Some(t1), &[Some(t0), None]));
        assert!(!needs_rebuild(Some(t1), &[Some(t1)]));
    }

    #[test]
    fn boot_config_quiet_unless_verbose() {
        let quiet = boot_config(false);
        assert!(!quiet.serial_logging && !quiet.frame_buffer_logging);
        assert_eq!(quiet.log_level, LevelFilter::Off);
        let loud = boot_config(true);
        assert!(loud.serial_logging && !loud.frame_buffer_logging);
        assert_eq!(loud.log_level, LevelFilter::Info);
    }

    #[test]
    fn stripping_removes_debug_sections_and_keeps_code() {
        use object::{Object, ObjectSection};
        // The test binary itself is an ELF with debug info.
        let me = fs::read(std::env::current_exe().unwrap()).unwrap();
        let before = object::File::parse(&*me).unwrap();
        let has_debug = before
            .sections()
            .any(|s| s.name().unwrap_or("").starts_with(".debug_"));
        let stripped = strip_debug_sections(&me).unwrap();
        let after = object::File::parse(&*stripped).unwrap();
        assert!(
            !after
                .sections()
                .any(|s| s.name().unwrap_or("").starts_with(".debug_"))
        );
        assert_eq!(before.entry(), after.entry());
        let text = |f: &object::File| f.section_by_name(".text").unwrap().data().unwrap().to_vec();
        assert_eq!(text(&before), text(&after));
        if has_debug {
            assert!(stripped.len() < me.len());
        }
        assert!(strip_debug_sections(b"not an elf").is_err());
    }

    #[test]
    fn missing_kernel_is_usage_error() {
        let err = ensure_image(
            Path::new("/nonexistent/ferrite"),
            None,
            Flavor::Bios,
            false,
            None,
        )
        .expect_err("missing kernel");
        assert_eq!(err.exit_code, 2);
        assert!(err.message.contains("not found"));
    }
}

//! The reference kernel: a stock Debian Linux kernel, fetched with the
//! ordinary Debian tools and booted under the same QEMU settings as
//! Ferrite, with the same userland.
//!
//! - **Which package**: the one the meta-package [`META_PACKAGE`]
//!   (`linux-image-cloud-amd64`) depends on, as `apt-cache depends` says
//!   ([`select_package`], pure).
//! - **Fetching** ([`fetch`]): `apt-get download` of that package into a
//!   cache directory, `dpkg-deb -x` into a scratch directory there, and the
//!   `boot/vmlinuz-*` it holds kept as `<package>.vmlinuz`; nothing is
//!   installed into the host system. A cached kernel is used without asking
//!   apt anything but the package name; if apt knows no such package, `apt-get
//!   update` is run once (as root) and the question asked again. The tools
//!   are behind the [`Apt`] trait so the logic is tested with a fake.
//! - **Booting** ([`qemu_args`], pure): Ferrite's QEMU arguments with the
//!   disk image and the fw_cfg command line replaced by `-kernel`,
//!   `-initrd` and `-append`, so that machine, CPU, memory and the
//!   `-icount` settings are the same by construction.
//! - **The initramfs** ([`initrd`]): Ferrite's archive as it is (the same
//!   `/init` and binaries) followed by a second archive holding a
//!   `/dev/console` node, which Linux opens as init's standard descriptors
//!   (Linux unpacks concatenated archives; Ferrite's devfs provides the
//!   console itself and never sees this one).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::compress;
use crate::error::{Error, Result};

/// The meta-package whose dependency is the kernel to boot.
pub const META_PACKAGE: &str = "linux-image-cloud-amd64";

/// Linux kernel parameters of every benchmark boot. `norandmaps` and
/// `nokaslr` make the address-space layout (and so the figures) repeat;
/// `transparent_hugepage=never` matches Ferrite's 4 KiB anonymous pages;
/// `quiet` keeps the kernel's own messages off the console the bench lines
/// share; `panic=-1` turns a panic into a reset, which ends QEMU under
/// `-no-reboot`.
pub const KERNEL_PARAMS: &str =
    "norandmaps nokaslr transparent_hugepage=never console=ttyS0 quiet panic=-1";

/// The package to download: the first real (not `<virtual>`)
/// `linux-image-*` package that `apt-cache depends META_PACKAGE` lists
/// under `Depends:` (pure).
pub fn select_package(depends_output: &str) -> Option<String> {
    depends_output.lines().find_map(|line| {
        let dep = line
            .trim()
            .trim_start_matches('|')
            .strip_prefix("Depends:")?;
        let name = dep.trim();
        (name.starts_with("linux-image-") && !name.starts_with('<') && !name.contains(' '))
            .then(|| name.to_string())
    })
}

/// The Debian tools [`fetch`] uses (a fake in the tests).
pub trait Apt {
    /// `apt-cache depends PACKAGE`: its standard output (`Err` if it
    /// failed or printed nothing useful is left to [`select_package`]).
    fn depends(&mut self, package: &str) -> Result<String>;
    /// `apt-get update`.
    fn update(&mut self) -> Result<()>;
    /// `apt-get download PACKAGE` into `dir`.
    fn download(&mut self, package: &str, dir: &Path) -> Result<()>;
    /// `dpkg-deb -x DEB DIR`.
    fn extract(&mut self, deb: &Path, dir: &Path) -> Result<()>;
}

/// The real tools.
pub struct HostApt {
    /// Whether to say what is run (on standard error).
    pub verbose: bool,
}

impl HostApt {
    fn run(&self, program: &str, args: &[&str], dir: Option<&Path>) -> Result<String> {
        let mut cmd = Command::new(program);
        cmd.args(args).stdin(Stdio::null()).stderr(Stdio::piped());
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        if self.verbose {
            eprintln!("ferrite-boot: running {program} {}", args.join(" "));
        }
        let out = cmd.output().map_err(|e| {
            Error::usage(format!(
                "cannot run {program}: {e} (a Debian host is needed)"
            ))
        })?;
        if !out.status.success() {
            return Err(Error::usage(format!(
                "`{program} {}` failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Whether the tool runs as root (apt-get update needs it; apt's download
/// sandbox user cannot write into root's cache directory): `/proc/self`
/// belongs to the process's effective user.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Apt for HostApt {
    fn depends(&mut self, package: &str) -> Result<String> {
        self.run("apt-cache", &["depends", package], None)
    }

    fn update(&mut self) -> Result<()> {
        if !is_root() {
            return Err(Error::usage(
                "apt-get update needs root; run it once by hand (apt knows no kernel package yet)",
            ));
        }
        self.run("apt-get", &["-q", "update"], None).map(drop)
    }

    fn download(&mut self, package: &str, dir: &Path) -> Result<()> {
        let mut args = vec!["-q", "download", package];
        if is_root() {
            // apt drops to its `_apt` user for downloads, who cannot write
            // into root's home: download as root instead of warning.
            args.splice(0..0, ["-o", "APT::Sandbox::User=root"]);
        }
        self.run("apt-get", &args, Some(dir)).map(drop)
    }

    fn extract(&mut self, deb: &Path, dir: &Path) -> Result<()> {
        let (deb, dir) = (deb.to_string_lossy(), dir.to_string_lossy());
        self.run("dpkg-deb", &["-x", &deb, &dir], None).map(drop)
    }
}

/// The default cache directory: `$XDG_CACHE_HOME/ferrite/linux`, else
/// `$HOME/.cache/ferrite/linux`, else `target/linux`.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        });
    match base {
        Some(b) => b.join("ferrite").join("linux"),
        None => PathBuf::from("target").join("linux"),
    }
}

/// A fetched kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxKernel {
    /// The Debian package it came from (`linux-image-6.1.0-56-cloud-amd64`).
    pub package: String,
    /// The package file it came from (`..._6.1.192-2_amd64.deb`): names
    /// the exact version in the report.
    pub deb: String,
    /// The kernel image.
    pub vmlinuz: PathBuf,
}

/// Finds (in `cache`) or fetches the kernel of [`META_PACKAGE`]; see the
/// module documentation. Says what it does through `progress`.
pub fn fetch(
    apt: &mut dyn Apt,
    cache: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<LinuxKernel> {
    let package = match select_package(&apt.depends(META_PACKAGE).unwrap_or_default()) {
        Some(p) => p,
        None => {
            progress(&format!(
                "apt knows no package that {META_PACKAGE} depends on; running apt-get update"
            ));
            apt.update()?;
            select_package(&apt.depends(META_PACKAGE)?).ok_or_else(|| {
                Error::usage(format!(
                    "`apt-cache depends {META_PACKAGE}` names no linux-image package, even \
                     after apt-get update (is this a Debian host with the main archive?)"
                ))
            })?
        }
    };
    std::fs::create_dir_all(cache)
        .map_err(|e| Error::io(format!("creating the cache {}", cache.display()), e))?;
    let vmlinuz = cache.join(format!("{package}.vmlinuz"));
    let deb = match find_deb(cache, &package)? {
        Some(d) => d,
        None => {
            progress(&format!("downloading {package} into {}", cache.display()));
            apt.download(&package, cache)?;
            let _ = std::fs::remove_file(&vmlinuz); // from an older .deb, if any
            find_deb(cache, &package)?.ok_or_else(|| {
                Error::usage(format!(
                    "apt-get download {package} left no {package}_*.deb in {}",
                    cache.display()
                ))
            })?
        }
    };
    let deb_name = deb
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if !vmlinuz.is_file() {
        progress(&format!("extracting the kernel image from {deb_name}"));
        let scratch = cache.join(format!("{package}.extract"));
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch)
            .map_err(|e| Error::io(format!("creating {}", scratch.display()), e))?;
        let found = apt
            .extract(&deb, &scratch)
            .and_then(|()| find_vmlinuz(&scratch.join("boot")));
        let moved = found.and_then(|image| {
            std::fs::rename(&image, &vmlinuz)
                .map_err(|e| Error::io(format!("moving {} to the cache", image.display()), e))
        });
        let _ = std::fs::remove_dir_all(&scratch);
        moved?;
    }
    Ok(LinuxKernel {
        package,
        deb: deb_name,
        vmlinuz,
    })
}

/// `<package>_*.deb` in `dir` (the newest name if several).
fn find_deb(dir: &Path, package: &str) -> Result<Option<PathBuf>> {
    let prefix = format!("{package}_");
    let mut debs: Vec<PathBuf> = read_names(dir)?
        .into_iter()
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
        .map(|n| dir.join(n))
        .collect();
    debs.sort();
    Ok(debs.pop())
}

/// The one `vmlinuz-*` in the package's `boot/` directory.
fn find_vmlinuz(boot: &Path) -> Result<PathBuf> {
    read_names(boot)?
        .into_iter()
        .find(|n| n.starts_with("vmlinuz-"))
        .map(|n| boot.join(n))
        .ok_or_else(|| Error::usage(format!("the package has no {}/vmlinuz-*", boot.display())))
}

fn read_names(dir: &Path) -> Result<Vec<String>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    Ok(entries
        .filter_map(std::result::Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect())
}

/// The Linux boot's QEMU arguments from Ferrite's (`ferrite`, as
/// [`crate::qemu::qemu_args`] made them): the `-drive` (disk image) and
/// `-fw_cfg` (Ferrite's command line) pairs are left out and the kernel,
/// initrd and command line added (pure).
pub fn qemu_args(
    ferrite: &[OsString],
    vmlinuz: &Path,
    initrd: &Path,
    append: &str,
) -> Vec<OsString> {
    let mut out = Vec::with_capacity(ferrite.len() + 6);
    let mut args = ferrite.iter();
    while let Some(a) = args.next() {
        if a == "-drive" || a == "-fw_cfg" {
            args.next();
            continue;
        }
        out.push(a.clone());
    }
    out.extend([
        OsString::from("-kernel"),
        vmlinuz.as_os_str().to_owned(),
        OsString::from("-initrd"),
        initrd.as_os_str().to_owned(),
        OsString::from("-append"),
        OsString::from(append),
    ]);
    out
}

/// The kernel command line of a Linux boot whose init runs `init_args`.
pub fn cmdline(init_args: &[String]) -> String {
    let mut words = vec![KERNEL_PARAMS.to_string()];
    if !init_args.is_empty() {
        words.push("--".into());
        words.extend(init_args.iter().cloned());
    }
    words.join(" ")
}

/// The archive Linux gets after Ferrite's: `/dev` and the console node
/// (character device 5:1, as Linux's own default initramfs has it).
pub fn console_archive() -> Vec<u8> {
    let mut w = ferrite_cpio::Writer::new();
    w.dir("dev", 0o755).expect("a fresh archive has no dev");
    w.char_device("dev/console", 0o600, 5, 1)
        .expect("dev was just added");
    w.finish()
}

/// The gzipped initrd for Linux: Ferrite's archive, then [`console_archive`].
pub fn initrd(ferrite_archive: &[u8]) -> Vec<u8> {
    let mut both = ferrite_archive.to_vec();
    both.extend_from_slice(&console_archive());
    compress::gzip(&both)
}

/// Whether a Linux console line says the kernel panicked.
pub fn is_panic_line(line: &str) -> bool {
    line.contains("Kernel panic - not syncing")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_cpio::{FileType, entries};
    use std::fs;

    /// `apt-cache depends linux-image-cloud-amd64` on Debian 12.
    const BOOKWORM: &str = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";

    #[test]
    fn selects_the_dependency() {
        assert_eq!(
            select_package(BOOKWORM).as_deref(),
            Some("linux-image-6.1.0-56-cloud-amd64")
        );
        // Alternatives, virtual packages and other relations.
        let messy = "linux-image-cloud-amd64\n  Recommends: firmware-linux-free\n \
                     |Depends: <linux-image-virtual>\n  Depends: linux-image-6.12.9-cloud-amd64\n  \
                     Depends: linux-image-6.1.0-1-cloud-amd64\n";
        assert_eq!(
            select_package(messy).as_deref(),
            Some("linux-image-6.12.9-cloud-amd64")
        );
        for none in [
            "",
            "linux-image-cloud-amd64\n",
            "  Depends: libc6\n",
            "  Breaks: linux-image-x\n",
        ] {
            assert_eq!(select_package(none), None, "{none:?}");
        }
    }

    /// A fake apt: a package list (the `apt-cache depends` answer before
    /// and after an update) and a .deb that "extracts" to a boot/ tree.
    struct FakeApt {
        before_update: String,
        after_update: String,
        updated: bool,
        calls: Vec<String>,
        deb_name: String,
        deb_has_kernel: bool,
    }

    impl FakeApt {
        fn new(before: &str, after: &str) -> Self {
            FakeApt {
                before_update: before.into(),
                after_update: after.into(),
                updated: false,
                calls: Vec::new(),
                deb_name: "linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb".into(),
                deb_has_kernel: true,
            }
        }
    }

    impl Apt for FakeApt {
        fn depends(&mut self, package: &str) -> Result<String> {
            self.calls.push(format!("depends {package}"));
            Ok(if self.updated {
                self.after_update.clone()
            } else {
                self.before_update.clone()
            })
        }
        fn update(&mut self) -> Result<()> {
            self.calls.push("update".into());
            self.updated = true;
            Ok(())
        }
        fn download(&mut self, package: &str, dir: &Path) -> Result<()> {
            self.calls.push(format!("download {package}"));
            fs::write(dir.join(&self.deb_name), b"a deb").unwrap();
            Ok(())
        }
        fn extract(&mut self, deb: &Path, dir: &Path) -> Result<()> {
            self.calls.push(format!(
                "extract {}",
                deb.file_name().unwrap().to_string_lossy()
            ));
            let boot = dir.join("boot");
            fs::create_dir_all(&boot).unwrap();
            fs::write(boot.join("config-6.1.0-56-cloud-amd64"), b"CONFIG").unwrap();
            if self.deb_has_kernel {
                fs::write(boot.join("vmlinuz-6.1.0-56-cloud-amd64"), b"bzImage").unwrap();
            }
            fs::create_dir_all(dir.join("lib/modules")).unwrap();
            Ok(())
        }
    }

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let d =
                std::env::temp_dir().join(format!("ferrite-linux-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&d);
            Scratch(d)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn quiet() -> impl FnMut(&str) {
        |_: &str| {}
    }

    #[test]
    fn fetches_once_then_uses_the_cache() {
        let s = Scratch::new("cache");
        let mut apt = FakeApt::new(BOOKWORM, BOOKWORM);
        let k = fetch(&mut apt, &s.0, &mut quiet()).unwrap();
        assert_eq!(k.package, "linux-image-6.1.0-56-cloud-amd64");
        assert_eq!(
            k.deb,
            "linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb"
        );
        assert_eq!(
            k.vmlinuz,
            s.0.join("linux-image-6.1.0-56-cloud-amd64.vmlinuz")
        );
        assert_eq!(fs::read(&k.vmlinuz).unwrap(), b"bzImage");
        assert_eq!(
            apt.calls,
            [
                "depends linux-image-cloud-amd64",
                "download linux-image-6.1.0-56-cloud-amd64",
                "extract linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb"
            ]
        );
        // The scratch tree is gone; the .deb and the image stay.
        let mut names = read_names(&s.0).unwrap();
        names.sort();
        assert_eq!(
            names,
            [
                "linux-image-6.1.0-56-cloud-amd64.vmlinuz",
                "linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb"
            ]
        );
        // Second time: only the package name is asked for.
        let mut again = FakeApt::new(BOOKWORM, BOOKWORM);
        let k2 = fetch(&mut again, &s.0, &mut quiet()).unwrap();
        assert_eq!(k2, k);
        assert_eq!(again.calls, ["depends linux-image-cloud-amd64"]);
        // A cached .deb without the image is extracted, not downloaded.
        fs::remove_file(&k.vmlinuz).unwrap();
        let mut third = FakeApt::new(BOOKWORM, BOOKWORM);
        fetch(&mut third, &s.0, &mut quiet()).unwrap();
        assert_eq!(
            third.calls,
            [
                "depends linux-image-cloud-amd64",
                "extract linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb"
            ]
        );
    }

    #[test]
    fn updates_the_package_lists_once_when_apt_knows_nothing() {
        let s = Scratch::new("update");
        let mut apt = FakeApt::new("", BOOKWORM);
        let mut said = Vec::new();
        let k = fetch(&mut apt, &s.0, &mut |m: &str| said.push(m.to_string())).unwrap();
        assert_eq!(k.package, "linux-image-6.1.0-56-cloud-amd64");
        assert_eq!(
            &apt.calls[..3],
            [
                "depends linux-image-cloud-amd64",
                "update",
                "depends linux-image-cloud-amd64"
            ]
        );
        assert!(said[0].contains("running apt-get update"), "{said:?}");
        // Still nothing after the update: a clear error, no download.
        let mut none = FakeApt::new("", "linux-image-cloud-amd64\n");
        let e = fetch(&mut none, &s.0, &mut quiet()).unwrap_err();
        assert!(
            e.message.contains("names no linux-image package"),
            "{}",
            e.message
        );
        assert!(!none.calls.iter().any(|c| c.starts_with("download")));
    }

    #[test]
    fn a_package_without_a_kernel_is_an_error() {
        let s = Scratch::new("nokernel");
        let mut apt = FakeApt::new(BOOKWORM, BOOKWORM);
        apt.deb_has_kernel = false;
        let e = fetch(&mut apt, &s.0, &mut quiet()).unwrap_err();
        assert!(e.message.contains("vmlinuz-*"), "{}", e.message);
        assert!(
            !s.0.join("linux-image-6.1.0-56-cloud-amd64.extract")
                .exists()
        );
    }

    #[test]
    fn same_machine_as_ferrite() {
        let ferrite: Vec<OsString> = [
            "-machine",
            "pc",
            "-cpu",
            "qemu64,+smep,+smap",
            "-m",
            "256M",
            "-drive",
            "format=raw,file=img,if=ide,snapshot=on",
            "-fw_cfg",
            "name=opt/ferrite/cmdline,string=x",
            "-icount",
            "shift=0,sleep=off",
        ]
        .map(OsString::from)
        .to_vec();
        let args = qemu_args(
            &ferrite,
            Path::new("/c/vmlinuz"),
            Path::new("/c/initrd.gz"),
            "quiet",
        );
        let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "-machine",
                "pc",
                "-cpu",
                "qemu64,+smep,+smap",
                "-m",
                "256M",
                "-icount",
                "shift=0,sleep=off",
                "-kernel",
                "/c/vmlinuz",
                "-initrd",
                "/c/initrd.gz",
                "-append",
                "quiet"
            ]
        );
    }

    #[test]
    fn command_line() {
        assert_eq!(
            cmdline(&["/bin/benchrun".into(), "fork_exit".into()]),
            "norandmaps nokaslr transparent_hugepage=never console=ttyS0 quiet panic=-1 \
             -- /bin/benchrun fork_exit"
        );
        assert_eq!(cmdline(&[]), KERNEL_PARAMS);
    }

    #[test]
    fn initrd_is_ferrite_archive_then_console() {
        let mut w = ferrite_cpio::Writer::new();
        w.file("init", 0o755, b"\x7fELF").unwrap();
        let ferrite = w.finish();
        let gz = initrd(&ferrite);
        let mut raw = Vec::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(
            &raw[..ferrite.len()],
            &ferrite[..],
            "Ferrite's archive unchanged"
        );
        let second: Vec<(String, FileType)> = entries(&raw[ferrite.len()..])
            .map(|e| e.unwrap())
            .map(|e| (e.name_str().unwrap().to_string(), e.file_type()))
            .collect();
        assert_eq!(
            second,
            [
                ("dev".to_string(), FileType::Directory),
                ("dev/console".to_string(), FileType::CharDevice)
            ]
        );
    }

    #[test]
    fn panic_lines() {
        assert!(is_panic_line(
            "[    1.2] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000"
        ));
        assert!(!is_panic_line("init: exit status 0"));
    }
}

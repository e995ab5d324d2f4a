//! The initramfs: which host files go into the newc archive the
//! bootloader loads as the ramdisk, under which guest paths, and the
//! archive itself (written with `ferrite-cpio`) and its content hash.
//!
//! Layout (see [`userland_guest_path`] and [`crate::multicall`]):
//! ```text
//! /init                 DIR/init
//! /bin/<name>           every other executable regular file directly in DIR
//! /bin/tests/<prog>     -> /bin/utests, for every program `utests --multicall-list` prints
//! /bin/bench/<name>     -> /bin/ubench, for every program `ubench --multicall-list` prints
//! /bin/<tool>           -> /bin/ftools, for every program `ftools --multicall-list` prints
//! /bin/tests/<prog>     DIR/utest-<prog>    (a single-program binary)
//! /bin/bench/<name>     DIR/ubench-<name>   (such as ubench-exit0)
//! /tmp (01777), /dev, /proc, /etc    empty directories
//! <GUEST>               --add HOST[:GUEST] (default /bin/<file name>)
//! /bin/busybox          --busybox HOST, with /bin/<applet> -> /bin/busybox
//!                       for every applet whose path is still free, and
//!                       /etc/profile (aliases to the programs that won)
//! ```
//! The links are symbolic links with absolute targets. Two userland files
//! (or a file and a link) for one guest path are an error; an `--add`
//! replaces whatever the userland put at its path.
//!
//! Members are written in path order with every member's owner, group and
//! modification time 0, so the same files give the same archive bytes and
//! the same hash: touching a file does not change the image, editing it
//! does. The hash is of this uncompressed archive; the ramdisk handed to
//! the bootloader is its gzip stream ([`crate::compress`]), a pure
//! function of it, made only when an image is built.
//!
//! This module reads the host files; it never builds disk images (see
//! [`crate::image`]).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ferrite_cpio::Writer;

use crate::compress;
use crate::error::{Error, Result};
use crate::multicall;

/// Empty directories every initramfs has, with their permissions.
pub const SKELETON_DIRS: [(&str, u32); 4] = [
    ("tmp", 0o1777),
    ("dev", 0o755),
    ("proc", 0o755),
    ("etc", 0o755),
];

/// `--add HOST[:GUEST]`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSpec {
    pub host: PathBuf,
    /// Absolute guest path, normalised (`/bin/x`).
    pub guest: String,
}

/// Parses `HOST[:GUEST]`. The split is at the last `:` followed by `/`, so
/// host paths may contain colons; without a guest path the file goes to
/// `/bin/<file name>`.
pub fn parse_add(value: &str) -> Result<AddSpec> {
    let usage = |why: String| Error::usage(format!("--add {value}: {why}"));
    let (host, guest) = match value.rfind(":/") {
        Some(i) => (&value[..i], Some(&value[i + 1..])),
        None => (value, None),
    };
    if host.is_empty() {
        return Err(usage("missing the host file before `:`".into()));
    }
    let host = PathBuf::from(host);
    let guest = match guest {
        Some(g) => normalise_guest(g).map_err(usage)?,
        None => {
            let name = host
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| usage("the host path has no file name; give GUEST".into()))?;
            format!("/bin/{name}")
        }
    };
    Ok(AddSpec { host, guest })
}

/// An absolute guest path without empty, `.` or `..` components, and not
/// the root: `/bin//x/` becomes `/bin/x`.
fn normalise_guest(path: &str) -> std::result::Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("guest path `{path}` must be absolute"));
    }
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if parts.iter().any(|c| *c == "." || *c == "..") {
        return Err(format!("guest path `{path}` must not contain `.` or `..`"));
    }
    if parts.is_empty() {
        return Err("the guest path cannot be `/`".into());
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Where a file directly in the userland output directory goes, by its
/// name; `None` for names that are not packed (hidden files and cargo's
/// `*.d` dependency files; the caller also skips directories and
/// non-executable files such as `lib*.rlib`). A multi-call binary goes to
/// `/bin/<name>` like any other; its links are [`multicall`]'s.
pub fn userland_guest_path(name: &str) -> Option<String> {
    if name.is_empty() || name.starts_with('.') || name.ends_with(".d") {
        return None;
    }
    if name == "init" {
        return Some("/init".into());
    }
    if let Some(prog) = name.strip_prefix("utest-").filter(|p| !p.is_empty()) {
        return Some(format!("/bin/tests/{prog}"));
    }
    if let Some(bench) = name.strip_prefix("ubench-").filter(|b| !b.is_empty()) {
        return Some(format!("/bin/bench/{bench}"));
    }
    Some(format!("/bin/{name}"))
}

/// One member to pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A host file.
    File {
        host: PathBuf,
        /// Permission bits (`& 0o7777`) of the host file.
        perm: u32,
    },
    /// A file the host tool writes itself (such as BusyBox's shell
    /// profile, [`crate::busybox`]).
    Generated {
        bytes: Vec<u8>,
        perm: u32,
        /// What made it (for messages).
        what: String,
    },
    /// A symbolic link to a program of a multi-call binary.
    Link {
        /// The absolute guest path of the binary (`/bin/utests`).
        target: String,
        /// The host binary that listed the program (for messages).
        binary: PathBuf,
    },
}

impl Member {
    /// What the member is, for error messages.
    fn describe(&self) -> String {
        match self {
            Member::File { host, .. } => host.display().to_string(),
            Member::Generated { what, .. } => what.clone(),
            Member::Link { target, binary } => {
                format!("the link to {target} for a program of {}", binary.display())
            }
        }
    }
}

/// The guest path → member plan: the userland directory's files and
/// links, then the `--add` files (which replace a userland member of the
/// same path).
pub fn plan(userland: Option<&Path>, adds: &[AddSpec]) -> Result<BTreeMap<String, Member>> {
    let mut members: BTreeMap<String, Member> = BTreeMap::new();
    if let Some(dir) = userland {
        for (guest, member) in scan_userland(dir)? {
            if let Some(first) = members.get(&guest) {
                return Err(Error::usage(format!(
                    "--userland {}: {} and {} both go to {guest}; remove the one that is \
                     left over from an older build",
                    dir.display(),
                    first.describe(),
                    member.describe()
                )));
            }
            members.insert(guest, member);
        }
    }
    let mut added = BTreeMap::new();
    for add in adds {
        if let Some(first) = added.insert(add.guest.clone(), &add.host) {
            return Err(Error::usage(format!(
                "--add: {} and {} both go to {}; give one of them another GUEST path",
                first.display(),
                add.host.display(),
                add.guest
            )));
        }
        let meta = fs::metadata(&add.host).map_err(|e| {
            Error::usage(format!(
                "--add: cannot read host file {}: {e}",
                add.host.display()
            ))
        })?;
        if !meta.is_file() {
            return Err(Error::usage(format!(
                "--add: {} is not a regular file",
                add.host.display()
            )));
        }
        members.insert(
            add.guest.clone(),
            Member::File {
                host: add.host.clone(),
                perm: meta.permissions().mode() & 0o7777,
            },
        );
    }
    Ok(members)
}

/// The packable files directly in `dir` (see [`userland_guest_path`]) and
/// the links to the programs of its multi-call binaries, sorted by guest
/// path (a path may come twice: [`plan`] refuses that).
fn scan_userland(dir: &Path) -> Result<Vec<(String, Member)>> {
    let entries = fs::read_dir(dir).map_err(|e| {
        Error::usage(format!(
            "--userland {}: {e}; build the userland first (scripts/run.sh does, or \
             `cargo build --profile userland --target x86_64-unknown-linux-musl`)",
            dir.display()
        ))
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| Error::io(format!("listing --userland {}", dir.display()), e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue; // cargo never names a binary with non-UTF-8 bytes
        };
        let Some(guest) = userland_guest_path(&name) else {
            continue;
        };
        // Follows symlinks: a link to a binary is packed as the binary.
        let Ok(meta) = fs::metadata(entry.path()) else {
            continue; // dangling symlink
        };
        let perm = meta.permissions().mode() & 0o7777;
        if !(meta.is_file() && perm & 0o111 != 0) {
            continue;
        }
        if let Some(link_dir) = multicall::link_dir(&name) {
            for program in multicall::programs(&entry.path())? {
                out.push((
                    format!("{link_dir}/{program}"),
                    Member::Link {
                        target: guest.clone(),
                        binary: entry.path(),
                    },
                ));
            }
        }
        out.push((
            guest,
            Member::File {
                host: entry.path(),
                perm,
            },
        ));
    }
    // Directory order is the file system's: sort, so that which of two
    // clashing members is named first does not depend on it.
    out.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.describe().cmp(&b.1.describe()))
    });
    Ok(out)
}

/// A packed archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initramfs {
    /// The newc archive, uncompressed.
    pub archive: Vec<u8>,
    /// [`content_hash`] of `archive`.
    pub hash: u64,
    /// Guest paths of the packed files and links, sorted.
    pub files: Vec<String>,
}

impl Initramfs {
    /// Whether a file or link is packed at `guest` (an absolute path).
    pub fn contains(&self, guest: &str) -> bool {
        self.files
            .binary_search_by(|f| f.as_str().cmp(guest))
            .is_ok()
    }

    /// The bootloader's ramdisk: the archive, gzipped.
    pub fn ramdisk(&self) -> Vec<u8> {
        compress::gzip(&self.archive)
    }
}

/// Builds the archive for `--userland DIR`, the `--add` files and
/// `--busybox HOST` (see [`crate::busybox`]), or `None` if none was given.
pub fn build(
    userland: Option<&Path>,
    adds: &[AddSpec],
    busybox: Option<&Path>,
) -> Result<Option<Initramfs>> {
    if userland.is_none() && adds.is_empty() && busybox.is_none() {
        return Ok(None);
    }
    let mut members = plan(userland, adds)?;
    if let Some(binary) = busybox {
        let applets = crate::busybox::applets(binary)?;
        crate::busybox::add_members(&mut members, binary, &applets)?;
    }
    let mut data = Vec::with_capacity(members.len());
    for (guest, member) in &members {
        let content = match member {
            Member::File { host, perm } => Content::File {
                perm: *perm,
                bytes: fs::read(host)
                    .map_err(|e| Error::io(format!("reading {}", host.display()), e))?,
            },
            Member::Generated { bytes, perm, .. } => Content::File {
                perm: *perm,
                bytes: bytes.clone(),
            },
            Member::Link { target, .. } => Content::Symlink {
                target: target.clone(),
            },
        };
        data.push((guest.as_str(), content));
    }
    let archive = pack(&data)?;
    Ok(Some(Initramfs {
        hash: content_hash(&archive),
        archive,
        files: members.into_keys().collect(),
    }))
}

/// What [`pack`] writes at a guest path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A regular file: permission bits and contents.
    File { perm: u32, bytes: Vec<u8> },
    /// A symbolic link to `target`.
    Symlink { target: String },
}

/// The archive of the skeleton directories and `members` (guest path,
/// content), parents added as 0755 directories (pure).
pub fn pack(members: &[(&str, Content)]) -> Result<Vec<u8>> {
    let conflict =
        |e: ferrite_cpio::WriteError| Error::usage(format!("cannot pack the initramfs: {e}"));
    let mut w = Writer::new();
    for (dir, perm) in SKELETON_DIRS {
        w.dir(dir, perm).map_err(conflict)?;
    }
    let mut sorted: Vec<&(&str, Content)> = members.iter().collect();
    sorted.sort_by_key(|m| m.0);
    w.add_parents(sorted.iter().map(|m| m.0), 0o755)
        .map_err(conflict)?;
    for (guest, content) in sorted {
        match content {
            Content::File { perm, bytes } => w.file(guest, *perm, bytes),
            Content::Symlink { target } => w.symlink(guest, target),
        }
        .map_err(conflict)?;
    }
    Ok(w.finish())
}

/// 64-bit FNV-1a of `bytes`: a stable content hash for the image cache
/// (not cryptographic; it only has to tell different archives apart).
pub fn content_hash(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET_BASIS, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_cpio::{FileType, entries};

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("ferrite-initramfs-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn file(&self, name: &str, data: &[u8], perm: u32) -> PathBuf {
            let p = self.0.join(name);
            fs::write(&p, data).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(perm)).unwrap();
            p
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn userland_names() {
        let g = |n| userland_guest_path(n);
        assert_eq!(g("init").as_deref(), Some("/init"));
        assert_eq!(g("utest-fork").as_deref(), Some("/bin/tests/fork"));
        assert_eq!(
            g("ubench-fork_exit").as_deref(),
            Some("/bin/bench/fork_exit")
        );
        assert_eq!(g("testrun").as_deref(), Some("/bin/testrun"));
        assert_eq!(g("utest-").as_deref(), Some("/bin/utest-"));
        assert_eq!(g("init.d"), None);
        assert_eq!(g("testrun.d"), None);
        assert_eq!(g(".fingerprint"), None);
        assert_eq!(g(".cargo-lock"), None);
    }

    #[test]
    fn add_specs() {
        let a = parse_add("target/x:/sbin/x").unwrap();
        assert_eq!(a.host, PathBuf::from("target/x"));
        assert_eq!(a.guest, "/sbin/x");
        let a = parse_add("/tmp/some dir/prog").unwrap();
        assert_eq!(a.guest, "/bin/prog");
        // A colon in the host path (not followed by `/`) stays in it.
        let a = parse_add("a:b/c:/x//y/").unwrap();
        assert_eq!((a.host, a.guest.as_str()), (PathBuf::from("a:b/c"), "/x/y"));
        let a = parse_add("weird:name").unwrap();
        assert_eq!(
            (a.host, a.guest.as_str()),
            (PathBuf::from("weird:name"), "/bin/weird:name")
        );
        for (bad, why) in [
            (":/x", "missing the host file"),
            ("f:/", "cannot be `/`"),
            ("f:/a/../b", "must not contain"),
            ("/", "has no file name"),
        ] {
            let e = parse_add(bad).unwrap_err();
            assert_eq!(e.exit_code, 2);
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }

    /// (guest, permissions, host file name) of a planned file.
    fn file_summary<'a>(guest: &'a str, m: &Member) -> (&'a str, u32, String) {
        match m {
            Member::File { host, perm } => {
                let host = host.file_name().unwrap().to_string_lossy().into_owned();
                (guest, *perm, host)
            }
            _ => panic!("{guest}: a link where a file was expected"),
        }
    }

    #[test]
    fn plan_from_a_cargo_like_directory() {
        let s = Scratch::new("plan");
        s.file("init", b"init", 0o755);
        s.file("testrun", b"testrun", 0o755);
        s.file("utest-fork", b"fork", 0o750);
        s.file("ubench-fork_exit", b"bench", 0o755);
        s.file("init.d", b"deps", 0o644);
        s.file("libftest.rlib", b"rlib", 0o644);
        s.file(".cargo-lock", b"", 0o755);
        fs::create_dir(s.0.join("deps")).unwrap();
        std::os::unix::fs::symlink("missing", s.0.join("dangling")).unwrap();
        let elsewhere = Scratch::new("plan-extra");
        let extra = elsewhere.file("extra", b"extra", 0o700);
        let adds = vec![
            parse_add(&format!("{}:/etc/extra", extra.display())).unwrap(),
            // Replaces the userland testrun.
            parse_add(&format!("{}:/bin/testrun", extra.display())).unwrap(),
        ];
        let p = plan(Some(&s.0), &adds).unwrap();
        let summary: Vec<(&str, u32, String)> = p.iter().map(|(g, m)| file_summary(g, m)).collect();
        assert_eq!(
            summary,
            [
                ("/bin/bench/fork_exit", 0o755, "ubench-fork_exit".into()),
                ("/bin/testrun", 0o700, "extra".into()),
                ("/bin/tests/fork", 0o750, "utest-fork".into()),
                ("/etc/extra", 0o700, "extra".into()),
                ("/init", 0o755, "init".into()),
            ]
        );
    }

    #[test]
    fn plan_errors_name_the_file() {
        let s = Scratch::new("errors");
        let missing = s.0.join("nope");
        let e = plan(None, &[parse_add(missing.to_str().unwrap()).unwrap()]).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(e.message.contains("nope"), "{}", e.message);
        let e = plan(None, &[parse_add(s.0.to_str().unwrap()).unwrap()]).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{}", e.message);
        let f = s.file("f", b"", 0o644);
        let twice = vec![
            parse_add(&format!("{}:/x", f.display())).unwrap(),
            parse_add(&format!("{}:/x", f.display())).unwrap(),
        ];
        assert!(
            plan(None, &twice)
                .unwrap_err()
                .message
                .contains("both go to /x")
        );
        let e = plan(Some(&s.0.join("no-such-dir")), &[]).unwrap_err();
        assert!(
            e.message.contains("build the userland first"),
            "{}",
            e.message
        );
    }

    /// A stand-in multi-call binary: a script that answers exactly
    /// `--multicall-list` with `names`, one per line.
    fn fake_multicall(s: &Scratch, binary: &str, names: &[&str]) -> PathBuf {
        let body = format!(
            "#!/bin/sh\n[ \"$#\" = 1 ] && [ \"$1\" = --multicall-list ] || exit 9\nprintf '{}'\n",
            names.iter().map(|n| format!("{n}\\n")).collect::<String>()
        );
        s.file(binary, body.as_bytes(), 0o755)
    }

    #[test]
    fn plan_links_the_programs_of_multicall_binaries() {
        let s = Scratch::new("multicall");
        s.file("init", b"init", 0o755);
        fake_multicall(&s, "utests", &["fork", "exec"]);
        fake_multicall(&s, "ubench", &["fork_exit"]);
        fake_multicall(&s, "ftools", &["ps", "vmstat"]);
        s.file("ubench-exit0", b"exit0", 0o755);
        let p = plan(Some(&s.0), &[]).unwrap();
        let summary: Vec<(&str, String)> = p
            .iter()
            .map(|(g, m)| {
                let what = match m {
                    Member::File { host, .. } => host.file_name().unwrap().display().to_string(),
                    Member::Link { target, binary } => {
                        assert_eq!(binary.parent(), Some(s.0.as_path()));
                        format!("-> {target}")
                    }
                    Member::Generated { what, .. } => what.clone(),
                };
                (g.as_str(), what)
            })
            .collect();
        let e = |g, w: &str| (g, w.to_string());
        assert_eq!(
            summary,
            [
                e("/bin/bench/exit0", "ubench-exit0"),
                e("/bin/bench/fork_exit", "-> /bin/ubench"),
                e("/bin/ftools", "ftools"),
                e("/bin/ps", "-> /bin/ftools"),
                e("/bin/tests/exec", "-> /bin/utests"),
                e("/bin/tests/fork", "-> /bin/utests"),
                e("/bin/ubench", "ubench"),
                e("/bin/utests", "utests"),
                e("/bin/vmstat", "-> /bin/ftools"),
                e("/init", "init"),
            ]
        );
        // An --add replaces a link like any userland member.
        let elsewhere = Scratch::new("multicall-add");
        let fork = elsewhere.file("fork", b"fork", 0o755);
        let add = parse_add(&format!("{}:/bin/tests/fork", fork.display())).unwrap();
        let p = plan(Some(&s.0), &[add]).unwrap();
        assert_eq!(
            p["/bin/tests/fork"],
            Member::File {
                host: fork,
                perm: 0o755
            }
        );
        // The archive holds the links as symbolic links.
        let i = build(Some(&s.0), &[], None).unwrap().unwrap();
        assert!(i.contains("/bin/tests/fork") && i.contains("/bin/utests"));
        let link = entries(&i.archive)
            .map(|e| e.unwrap())
            .find(|e| e.name_str() == Some("bin/tests/exec"))
            .unwrap();
        assert_eq!(
            (link.file_type(), link.data),
            (FileType::Symlink, &b"/bin/utests"[..])
        );
    }

    #[test]
    fn a_single_binary_and_a_link_for_one_path_are_refused() {
        let s = Scratch::new("clash");
        fake_multicall(&s, "utests", &["fork", "exec"]);
        // An old single-program binary for a program utests now lists.
        let old = s.file("utest-fork", b"old fork", 0o755);
        let e = plan(Some(&s.0), &[]).unwrap_err();
        assert_eq!(e.exit_code, 2);
        assert!(
            e.message.contains(&old.display().to_string())
                && e.message.contains("the link to /bin/utests")
                && e.message.contains("both go to /bin/tests/fork"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_multicall_binary_that_fails_is_named() {
        let s = Scratch::new("badmulti");
        let b = s.file("ubench", b"#!/bin/sh\nexit 4\n", 0o755);
        let e = plan(Some(&s.0), &[]).unwrap_err();
        assert!(
            e.message.contains(&b.display().to_string()) && e.message.contains("exit status: 4"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_ramdisk_is_the_archive_gzipped() {
        let s = Scratch::new("gzip");
        s.file("init", &[7u8; 50_000], 0o755);
        let i = build(Some(&s.0), &[], None).unwrap().unwrap();
        let z = i.ramdisk();
        assert_eq!(z[..2], [0x1f, 0x8b], "the gzip magic");
        assert!(
            z.len() < i.archive.len() / 10,
            "{} of {}",
            z.len(),
            i.archive.len()
        );
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut back).unwrap();
        assert_eq!(back, i.archive);
        // The cache key is the uncompressed archive's hash.
        assert_eq!(i.hash, content_hash(&i.archive));
    }

    #[test]
    fn archive_layout() {
        let file = |perm, bytes: &[u8]| Content::File {
            perm,
            bytes: bytes.to_vec(),
        };
        let a = pack(&[
            ("/init", file(0o755, b"I")),
            ("/bin/tests/fork", file(0o750, b"F")),
            ("/bin/testrun", file(0o755, b"T")),
            (
                "/bin/tests/exec",
                Content::Symlink {
                    target: "/bin/utests".into(),
                },
            ),
        ])
        .unwrap();
        let got: Vec<(String, FileType, u32, Vec<u8>)> = entries(&a)
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.name_str().unwrap().to_string(),
                    e.file_type(),
                    e.permissions(),
                    e.data.to_vec(),
                )
            })
            .collect();
        let d = |n: &str, p| (n.to_string(), FileType::Directory, p, vec![]);
        let f = |n: &str, p, c: &[u8]| (n.to_string(), FileType::Regular, p, c.to_vec());
        let l = |n: &str, t: &[u8]| (n.to_string(), FileType::Symlink, 0o777, t.to_vec());
        assert_eq!(
            got,
            [
                d("tmp", 0o1777),
                d("dev", 0o755),
                d("proc", 0o755),
                d("etc", 0o755),
                d("bin", 0o755),
                d("bin/tests", 0o755),
                f("bin/testrun", 0o755, b"T"),
                l("bin/tests/exec", b"/bin/utests"),
                f("bin/tests/fork", 0o750, b"F"),
                f("init", 0o755, b"I"),
            ]
        );
        // A file where a skeleton directory is: refused, with the reason.
        let e = pack(&[("/tmp", file(0o644, b""))]).unwrap_err();
        assert!(
            e.message.contains("`tmp` is already in the archive"),
            "{}",
            e.message
        );
    }

    #[test]
    fn same_content_same_hash_whatever_the_mtime() {
        let s = Scratch::new("hash");
        let f = s.file("init", b"one", 0o755);
        let build_hash = || build(Some(&s.0), &[], None).unwrap().unwrap().hash;
        let h1 = build_hash();
        // Touch: a new mtime, same content.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(build_hash(), h1);
        fs::write(&f, b"two").unwrap();
        assert_ne!(build_hash(), h1);
        fs::set_permissions(&f, fs::Permissions::from_mode(0o700)).unwrap();
        let h3 = build_hash();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
        assert_ne!(build_hash(), h3, "permissions are content too");
        let i = build(Some(&s.0), &[], None).unwrap().unwrap();
        assert!(i.contains("/init") && !i.contains("/bin/init"));
        assert_eq!(build(None, &[], None).unwrap(), None);
    }

    #[test]
    fn fnv1a_reference_values() {
        assert_eq!(content_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(content_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(content_hash(b"foobar"), 0x8594_4171_f739_67e8);
    }
}

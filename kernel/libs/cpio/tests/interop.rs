//! Interoperability with a real archiver (`cpio` or `bsdcpio`, whichever
//! is installed): it must unpack what our writer packs, and our reader
//! must read what it packs with `-H newc`. Skipped, with a message, when
//! neither is installed.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ferrite_cpio::{FileType, Writer, entries};

/// The archiver to use, if any.
fn archiver() -> Option<&'static str> {
    ["cpio", "bsdcpio"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

/// A fresh empty directory under the system temp dir.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrite-cpio-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &str, args: &[&str], dir: &Path, stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn real_archiver_unpacks_our_archives() {
    let Some(cpio) = archiver() else {
        eprintln!("SKIPPED: neither `cpio` nor `bsdcpio` is installed; interop not checked");
        return;
    };
    let mut w = Writer::new();
    w.add_parents(["bin/tests/fork"], 0o755).unwrap();
    w.file("bin/tests/fork", 0o750, b"fork binary").unwrap();
    w.file("init", 0o755, &[0u8, 1, 2, 3, 255]).unwrap();
    w.dir("tmp", 0o1777).unwrap();
    w.file("tmp/empty", 0o600, b"").unwrap();
    w.symlink("sh", "bin/tests/fork").unwrap();
    let archive = w.finish();

    let dir = scratch("unpack");
    run(cpio, &["-i", "-d", "--quiet"], &dir, &archive);
    let mode = |p: &str| {
        fs::symlink_metadata(dir.join(p))
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(
        fs::read(dir.join("bin/tests/fork")).unwrap(),
        b"fork binary"
    );
    assert_eq!(mode("bin/tests/fork") & 0o7777, 0o750);
    assert_eq!(fs::read(dir.join("init")).unwrap(), [0u8, 1, 2, 3, 255]);
    assert_eq!(mode("init") & 0o7777, 0o755);
    assert_eq!(mode("tmp") & 0o7777, 0o1777);
    assert_eq!(fs::read(dir.join("tmp/empty")).unwrap(), b"");
    assert_eq!(
        fs::read_link(dir.join("sh")).unwrap(),
        Path::new("bin/tests/fork")
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn we_read_real_archivers_newc_output() {
    let Some(cpio) = archiver() else {
        eprintln!("SKIPPED: neither `cpio` nor `bsdcpio` is installed; interop not checked");
        return;
    };
    let dir = scratch("pack");
    fs::create_dir(dir.join("etc")).unwrap();
    fs::write(dir.join("etc/motd"), b"hello from cpio\n").unwrap();
    fs::set_permissions(dir.join("etc/motd"), fs::Permissions::from_mode(0o640)).unwrap();
    fs::write(dir.join("odd"), b"123").unwrap(); // 3 bytes: needs padding
    symlink("etc/motd", dir.join("link")).unwrap();
    let list = b".\netc\netc/motd\nodd\nlink\n";
    let archive = run(cpio, &["-o", "-H", "newc", "--quiet"], &dir, list);
    fs::remove_dir_all(&dir).unwrap();

    let got: Vec<_> = entries(&archive)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("reading {cpio}'s archive: {e}"));
    let find = |name: &[u8]| {
        got.iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{} missing", String::from_utf8_lossy(name)))
    };
    assert_eq!(find(b"").file_type(), FileType::Directory);
    assert_eq!(find(b"etc").file_type(), FileType::Directory);
    let motd = find(b"etc/motd");
    assert_eq!(motd.data, b"hello from cpio\n");
    assert_eq!(motd.permissions(), 0o640);
    assert_eq!(find(b"odd").data, b"123");
    let link = find(b"link");
    assert_eq!(link.file_type(), FileType::Symlink);
    assert_eq!(link.data, b"etc/motd");
}

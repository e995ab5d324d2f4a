//! The writer: [`Writer`] builds a newc archive in a `Vec<u8>`, one member
//! at a time, and ends it with `TRAILER!!!` in [`Writer::finish`].
//!
//! Guarantees of the archives it writes:
//! - every member's parent directory comes before it (the writer refuses a
//!   member whose parent is missing; [`Writer::add_parents`] adds missing
//!   ancestors of a list of paths), so an unpacker can create entries in
//!   archive order;
//! - no path appears twice;
//! - inode numbers increase from 1 in archive order, `nlink` is 2 for
//!   directories and 1 otherwise, owner and group are 0, and every member
//!   has the same modification time (0 unless [`Writer::with_mtime`]), so
//!   the same members always give the same bytes;
//! - names are stored without a leading `/` (as Linux's `gen_init_cpio`
//!   does), NUL-terminated and padded, data padded, to multiples of 4.
//!
//! The writer never reads files: callers pass the data.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::WriteError;
use crate::newc::{self, MAGIC, PERM_MASK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, TRAILER};

/// Builds an archive; see the module documentation.
///
/// ```
/// use ferrite_cpio::{Writer, entries, FileType};
///
/// let mut w = Writer::new();
/// w.add_parents(["bin/tests/fork", "dev/console"], 0o755).unwrap();
/// w.file("bin/tests/fork", 0o755, b"\x7fELF...").unwrap();
/// w.char_device("dev/console", 0o600, 5, 1).unwrap();
/// w.dir("tmp", 0o1777).unwrap();
/// let archive = w.finish();
///
/// let types: Vec<(String, FileType)> = entries(&archive)
///     .map(|e| e.unwrap())
///     .map(|e| (e.name_str().unwrap().to_string(), e.file_type()))
///     .collect();
/// assert_eq!(types[0], ("bin".to_string(), FileType::Directory));
/// assert_eq!(types[3], ("bin/tests/fork".to_string(), FileType::Regular));
/// ```
#[derive(Clone, Debug)]
pub struct Writer {
    out: Vec<u8>,
    next_ino: u32,
    mtime: u32,
    /// Every path written so far, and whether it is a directory.
    paths: BTreeMap<String, bool>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

/// A member about to be written (everything but its name).
struct Member<'d> {
    mode: u32,
    nlink: u32,
    rdev: (u32, u32),
    data: &'d [u8],
}

impl Writer {
    /// An empty archive whose members get modification time 0.
    pub fn new() -> Self {
        Self::with_mtime(0)
    }

    /// An empty archive whose members get modification time `mtime`.
    pub fn with_mtime(mtime: u32) -> Self {
        Writer {
            out: Vec::new(),
            next_ino: 1,
            mtime,
            paths: BTreeMap::new(),
        }
    }

    /// Whether `path` (normalised as for the adding methods) is in the archive.
    pub fn contains(&self, path: &str) -> bool {
        normalise(path).is_ok_and(|p| self.paths.contains_key(p))
    }

    /// Size of the archive so far (without the trailer).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been added yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Adds a directory with permission bits `perm` (e.g. `0o1777`).
    pub fn dir(&mut self, path: &str, perm: u32) -> Result<(), WriteError> {
        self.add(
            path,
            perm,
            Member {
                mode: S_IFDIR,
                nlink: 2,
                rdev: (0, 0),
                data: &[],
            },
        )
    }

    /// Adds a regular file with permission bits `perm` and contents `data`.
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> Result<(), WriteError> {
        self.add(
            path,
            perm,
            Member {
                mode: S_IFREG,
                nlink: 1,
                rdev: (0, 0),
                data,
            },
        )
    }

    /// Adds a symbolic link to `target` (stored as the member's data;
    /// permissions `0777`, as Linux gives every symlink).
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<(), WriteError> {
        self.add(
            path,
            0o777,
            Member {
                mode: S_IFLNK,
                nlink: 1,
                rdev: (0, 0),
                data: target.as_bytes(),
            },
        )
    }

    /// Adds a character device node `major:minor`.
    pub fn char_device(
        &mut self,
        path: &str,
        perm: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), WriteError> {
        self.add(
            path,
            perm,
            Member {
                mode: S_IFCHR,
                nlink: 1,
                rdev: (major, minor),
                data: &[],
            },
        )
    }

    /// Adds, as directories with permission bits `perm`, every ancestor of
    /// every path in `paths` that is not in the archive yet, parents
    /// first. The paths themselves are not added. An ancestor that is in
    /// the archive but is not a directory is an error.
    pub fn add_parents<I, S>(&mut self, paths: I, perm: u32) -> Result<(), WriteError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for path in paths {
            let path = normalise(path.as_ref())?;
            // Each `/` ends an ancestor: "a/b/c" has "a" and "a/b".
            for (i, _) in path.match_indices('/') {
                let ancestor = &path[..i];
                match self.paths.get(ancestor) {
                    Some(true) => {}
                    Some(false) => {
                        return Err(WriteError::ParentNotDirectory {
                            path: path.to_string(),
                            parent: ancestor.to_string(),
                        });
                    }
                    None => {
                        let ancestor = ancestor.to_string();
                        self.dir(&ancestor, perm)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the archive with the trailer and returns it.
    pub fn finish(mut self) -> Vec<u8> {
        // The trailer: inode 0, mode 0, one link, no data.
        self.emit(TRAILER, 0, 0, 1, (0, 0), &[]);
        self.out
    }

    fn add(&mut self, path: &str, perm: u32, m: Member<'_>) -> Result<(), WriteError> {
        let path = normalise(path)?;
        if perm & !PERM_MASK != 0 {
            return Err(WriteError::BadPermissions {
                path: path.to_string(),
                perm,
            });
        }
        if self.paths.contains_key(path) {
            return Err(WriteError::Duplicate {
                path: path.to_string(),
            });
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            match self.paths.get(parent) {
                Some(true) => {}
                Some(false) => {
                    return Err(WriteError::ParentNotDirectory {
                        path: path.to_string(),
                        parent: parent.to_string(),
                    });
                }
                None => {
                    return Err(WriteError::ParentMissing {
                        path: path.to_string(),
                        parent: parent.to_string(),
                    });
                }
            }
        }
        // Both sizes go into 32-bit fields (the name with its NUL).
        let too_large = |size: usize| WriteError::TooLarge {
            path: path.to_string(),
            size,
        };
        u32::try_from(m.data.len()).map_err(|_| too_large(m.data.len()))?;
        u32::try_from(path.len() + 1).map_err(|_| too_large(path.len()))?;
        let ino = self.next_ino;
        self.next_ino = self.next_ino.wrapping_add(1).max(1);
        self.emit(path.as_bytes(), ino, m.mode | perm, m.nlink, m.rdev, m.data);
        self.paths.insert(path.to_string(), m.mode == S_IFDIR);
        Ok(())
    }

    /// Appends one header, name and data with their padding. Sizes were
    /// checked by the caller (the trailer's are constant).
    fn emit(
        &mut self,
        name: &[u8],
        ino: u32,
        mode: u32,
        nlink: u32,
        rdev: (u32, u32),
        data: &[u8],
    ) {
        let out = &mut self.out;
        out.extend_from_slice(MAGIC);
        let fields = [
            ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            self.mtime,
            data.len() as u32,
            0, // device holding the file
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0, // c_chksum: always 0 in newc
        ];
        for value in fields {
            newc::push_hex8(out, value);
        }
        out.extend_from_slice(name);
        out.push(0);
        pad4(out);
        out.extend_from_slice(data);
        pad4(out);
    }
}

fn pad4(out: &mut Vec<u8>) {
    out.resize(newc::align4(out.len()).unwrap_or(out.len()), 0);
}

/// `path` without leading `/` and `./`; refuses empty, `.` and `..`
/// components and NUL bytes (a trailing `/` is an empty component).
fn normalise(path: &str) -> Result<&str, WriteError> {
    let mut p = path;
    loop {
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else {
            break;
        }
    }
    if p.is_empty() || p == "." {
        return Err(WriteError::EmptyPath);
    }
    let bad = p.contains('\0') || p.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(WriteError::BadPath {
            path: path.to_string(),
        });
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries;

    #[test]
    fn exact_bytes_of_a_small_archive() {
        // Written out field by field from the layout in `newc`.
        let mut w = Writer::new();
        w.file("a", 0o644, b"xyz").unwrap();
        let a = w.finish();
        let expected = [
            // magic, ino, mode (0o100644), uid, gid, nlink, mtime, filesize
            "070701",
            "00000001",
            "000081A4",
            "00000000",
            "00000000",
            "00000001",
            "00000000",
            "00000003",
            // maj, min, rmaj, rmin, namesize ("a" + NUL), check
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000002",
            "00000000",
            // 110 + 2 = 112: aligned; data 3 bytes + 1 byte of padding
            "a\0",
            "xyz\0",
            // the trailer: ino 0, mode 0, nlink 1, namesize 11
            "070701",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000001",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "0000000B",
            "00000000",
            // at offset 116: 116 + 110 + 11 = 237, padded to 240
            "TRAILER!!!\0",
            "\0\0\0",
        ]
        .concat();
        assert_eq!(String::from_utf8_lossy(&a), expected);
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn inode_numbers_increase_and_nlink() {
        let mut w = Writer::new();
        w.dir("d", 0o755).unwrap();
        w.file("d/f", 0o600, b"").unwrap();
        w.symlink("l", "d/f").unwrap();
        let a = w.finish();
        let got: Vec<_> = entries(&a).map(Result::unwrap).collect();
        let inos: Vec<u32> = got.iter().map(|e| e.ino).collect();
        assert_eq!(inos, [1, 2, 3]);
        assert_eq!(got[0].nlink, 2);
        assert_eq!(got[1].nlink, 1);
        assert_eq!(got[1].mode, 0o100_600);
    }

    #[test]
    fn with_mtime_sets_every_member() {
        let mut w = Writer::with_mtime(1_700_000_000);
        w.dir("d", 0o755).unwrap();
        w.file("d/f", 0o644, b"1").unwrap();
        let a = w.finish();
        assert!(entries(&a).all(|e| e.unwrap().mtime == 1_700_000_000));
    }

    #[test]
    fn normalises_paths() {
        assert_eq!(normalise("/bin/x"), Ok("bin/x"));
        assert_eq!(normalise("./bin"), Ok("bin"));
        assert_eq!(normalise("//./x"), Ok("x"));
        assert_eq!(normalise("/"), Err(WriteError::EmptyPath));
        assert_eq!(normalise(""), Err(WriteError::EmptyPath));
        assert_eq!(normalise("."), Err(WriteError::EmptyPath));
        for bad in ["a//b", "a/./b", "a/../b", "..", "a/", "a\0b"] {
            assert!(
                matches!(normalise(bad), Err(WriteError::BadPath { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_bad_members() {
        let mut w = Writer::new();
        w.dir("d", 0o755).unwrap();
        w.file("f", 0o644, b"").unwrap();
        assert_eq!(
            w.file("/d", 0o644, b""),
            Err(WriteError::Duplicate { path: "d".into() })
        );
        assert_eq!(
            w.file("x/y", 0o644, b""),
            Err(WriteError::ParentMissing {
                path: "x/y".into(),
                parent: "x".into()
            })
        );
        assert_eq!(
            w.file("f/y", 0o644, b""),
            Err(WriteError::ParentNotDirectory {
                path: "f/y".into(),
                parent: "f".into()
            })
        );
        assert_eq!(
            w.dir("e", 0o10000),
            Err(WriteError::BadPermissions {
                path: "e".into(),
                perm: 0o10000
            })
        );
        assert_eq!(
            w.add_parents(["f/z/w"], 0o755),
            Err(WriteError::ParentNotDirectory {
                path: "f/z/w".into(),
                parent: "f".into()
            })
        );
        assert_eq!(w.dir("", 0o755), Err(WriteError::EmptyPath));
        // Refused members leave the archive unchanged.
        let before = w.len();
        let _ = w.file("x/y", 0o644, b"data");
        assert_eq!(w.len(), before);
        assert_eq!(
            WriteError::ParentMissing {
                path: "x/y".into(),
                parent: "x".into()
            }
            .to_string(),
            "`x/y`: parent directory `x` must be added first (see Writer::add_parents)"
        );
    }

    #[test]
    fn add_parents_adds_each_missing_ancestor_once_parents_first() {
        let mut w = Writer::new();
        w.dir("bin", 0o700).unwrap();
        w.add_parents(["/bin/tests/a", "bin/tests/b", "usr/lib/x/y", "top"], 0o755)
            .unwrap();
        assert!(w.contains("bin/tests") && w.contains("/usr/lib/x"));
        assert!(!w.contains("top") && !w.contains("bin/tests/a"));
        let a = w.finish();
        let names: Vec<(&[u8], u32)> = entries(&a)
            .map(Result::unwrap)
            .map(|e| (e.name, e.mode))
            .collect();
        assert_eq!(
            names,
            [
                (b"bin".as_slice(), 0o040_700),
                (b"bin/tests", 0o040_755),
                (b"usr", 0o040_755),
                (b"usr/lib", 0o040_755),
                (b"usr/lib/x", 0o040_755),
            ]
        );
    }

    #[test]
    fn empty_archive_is_just_the_trailer() {
        let a = Writer::new().finish();
        assert_eq!(a.len(), 124);
        assert_eq!(entries(&a).count(), 0);
    }
}

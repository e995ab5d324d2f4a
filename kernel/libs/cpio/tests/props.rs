//! Property tests: whatever the writer writes reads back member for member
//! (paths, types, permissions, device numbers, data, inode order); the
//! reader never panics on arbitrary or damaged input, and never accepts an
//! archive cut short before its trailer.

use std::collections::BTreeMap;

use ferrite_cpio::{FileType, ReadErrorKind, WriteError, Writer, entries};
use proptest::prelude::*;

/// What a generated member is.
#[derive(Clone, Debug)]
enum Kind {
    Dir(u32),
    File(u32, Vec<u8>),
    Symlink(String),
    CharDev(u32, u32, u32),
}

/// A member as the reader must return it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    name: String,
    mode: u32,
    nlink: u32,
    rdev: (u32, u32),
    data: Vec<u8>,
}

fn kind() -> impl Strategy<Value = Kind> {
    let perm = 0u32..=0o7777;
    prop_oneof![
        perm.clone().prop_map(Kind::Dir),
        (perm.clone(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(p, d)| Kind::File(p, d)),
        "[a-z/.]{1,12}".prop_map(Kind::Symlink),
        (perm, any::<u32>(), any::<u32>()).prop_map(|(p, a, b)| Kind::CharDev(p, a, b)),
    ]
}

/// Paths over a small vocabulary so that members share directories.
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "bin", "x.y", "é"]),
        1..4,
    )
    .prop_map(|c| c.join("/"))
}

/// Builds an archive of `members` (sorted, so parents come first) with
/// missing parents added as 0755 directories; returns it with the list of
/// members it must contain.
fn build(members: &BTreeMap<String, Kind>) -> (Vec<u8>, Vec<Expected>) {
    let mut w = Writer::new();
    let mut expected = Vec::new();
    for (path, kind) in members {
        // Parents first, mirroring add_parents in the model.
        let mut missing = Vec::new();
        let mut blocked = false;
        for (i, _) in path.match_indices('/') {
            let ancestor = &path[..i];
            match members.get(ancestor) {
                Some(Kind::Dir(_)) | None => {
                    if !w.contains(ancestor) {
                        missing.push(ancestor.to_string());
                    }
                }
                Some(_) => blocked = true,
            }
        }
        let r = w.add_parents([path], 0o755);
        if blocked {
            assert!(
                matches!(r, Err(WriteError::ParentNotDirectory { .. })),
                "{path}: {r:?}"
            );
            continue;
        }
        r.unwrap();
        for m in missing {
            expected.push(Expected {
                name: m,
                mode: 0o040_755,
                nlink: 2,
                rdev: (0, 0),
                data: Vec::new(),
            });
        }
        let (mode, nlink, rdev, data) = match kind {
            Kind::Dir(p) => {
                w.dir(path, *p).unwrap();
                (0o040_000 | p, 2, (0, 0), Vec::new())
            }
            Kind::File(p, d) => {
                w.file(path, *p, d).unwrap();
                (0o100_000 | p, 1, (0, 0), d.clone())
            }
            Kind::Symlink(t) => {
                w.symlink(path, t).unwrap();
                (0o120_777, 1, (0, 0), t.as_bytes().to_vec())
            }
            Kind::CharDev(p, a, b) => {
                w.char_device(path, *p, *a, *b).unwrap();
                (0o020_000 | p, 1, (*a, *b), Vec::new())
            }
        };
        expected.push(Expected {
            name: path.clone(),
            mode,
            nlink,
            rdev,
            data,
        });
    }
    (w.finish(), expected)
}

/// Offset just past the trailer's name: any shorter prefix lacks it.
fn trailer_name_end(archive: &[u8]) -> usize {
    let pos = archive
        .windows(10)
        .rposition(|w| w == b"TRAILER!!!")
        .expect("trailer");
    pos + 11
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(members in prop::collection::btree_map(path(), kind(), 0..12)) {
        let (archive, expected) = build(&members);
        prop_assert_eq!(archive.len() % 4, 0);
        let got: Vec<_> = entries(&archive).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got.len(), expected.len());
        for (i, (e, x)) in got.iter().zip(&expected).enumerate() {
            prop_assert_eq!(e.name_str(), Some(x.name.as_str()));
            prop_assert_eq!(e.mode, x.mode);
            prop_assert_eq!(e.nlink, x.nlink);
            prop_assert_eq!((e.rdev_major, e.rdev_minor), x.rdev);
            prop_assert_eq!(e.data, x.data.as_slice());
            prop_assert_eq!(e.ino as usize, i + 1);
            prop_assert_eq!((e.uid, e.gid, e.mtime), (0, 0, 0));
            prop_assert_eq!(e.offset % 4, 0);
            let want = match x.mode & 0o170_000 {
                0o040_000 => FileType::Directory,
                0o100_000 => FileType::Regular,
                0o120_000 => FileType::Symlink,
                _ => FileType::CharDevice,
            };
            prop_assert_eq!(e.file_type(), want);
            prop_assert_eq!(e.permissions(), x.mode & 0o7777);
            // Every member's parent precedes it.
            if let Some((parent, _)) = x.name.rsplit_once('/') {
                prop_assert!(got[..i].iter().any(|p| p.name == parent.as_bytes()
                    && p.file_type() == FileType::Directory));
            }
        }
        // Same members, same bytes.
        prop_assert_eq!(build(&members).0, archive);
    }

    #[test]
    fn truncation_is_always_detected(
        members in prop::collection::btree_map(path(), kind(), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let (archive, _) = build(&members);
        let end = trailer_name_end(&archive);
        let cut = cut.index(end);
        let result: Result<Vec<_>, _> = entries(&archive[..cut]).collect();
        let err = result.expect_err("a cut archive must not read cleanly");
        prop_assert!(err.offset <= cut);
        prop_assert!(!err.to_string().is_empty());
    }

    #[test]
    fn damaged_archives_never_panic(
        members in prop::collection::btree_map(path(), kind(), 0..8),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let (mut archive, _) = build(&members);
        for (at, byte) in edits {
            let i = at.index(archive.len());
            archive[i] = byte;
        }
        let mut last_offset = None;
        for item in entries(&archive) {
            match item {
                Ok(e) => {
                    // Offsets strictly increase and data lies in the buffer.
                    prop_assert!(last_offset.is_none_or(|o| e.offset > o));
                    last_offset = Some(e.offset);
                    prop_assert!(e.data.len() <= archive.len());
                }
                Err(err) => prop_assert!(err.offset <= archive.len()),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        for item in entries(&data) {
            if let Err(e) = item {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }
    }

    #[test]
    fn headers_with_random_fields_never_panic(
        fields in prop::collection::vec(any::<u32>(), 13),
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut data = b"070701".to_vec();
        for f in fields {
            data.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        data.extend(tail);
        let r: Result<Vec<_>, _> = entries(&data).collect();
        // No trailer was written, so reading must fail somewhere.
        prop_assert!(r.is_err());
    }
}

#[test]
fn write_errors_display_one_line() {
    let errors = [
        WriteError::EmptyPath,
        WriteError::BadPath {
            path: "a//b".into(),
        },
        WriteError::Duplicate { path: "a".into() },
        WriteError::TooLarge {
            path: "big".into(),
            size: 1 << 33,
        },
    ];
    for e in errors {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m}");
    }
    assert!(matches!(
        entries(b"").next(),
        Some(Err(e)) if e.kind == ReadErrorKind::MissingTrailer
    ));
}

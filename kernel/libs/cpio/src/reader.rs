//! The reader: [`entries`] walks a newc archive held in memory and yields
//! each member as an [`Entry`] whose name and data borrow from the buffer
//! (nothing is copied), up to the `TRAILER!!!` entry.
//!
//! Algorithm (one step of [`Entries::next`], at the 4-aligned offset `off`):
//!
//! 1. at least 110 bytes must remain, starting with `070701`;
//! 2. the thirteen fields must each be 8 hex digits;
//! 3. the name is the `c_namesize` bytes after the header: non-zero size,
//!    inside the buffer, NUL as its last byte and nowhere else;
//! 4. a name of `TRAILER!!!` ends the walk (whatever follows is ignored,
//!    including the trailer's own padding and data);
//! 5. the data starts at the header + name rounded up to a multiple of 4
//!    and is `c_filesize` bytes, which must lie inside the buffer;
//! 6. the next header is at the end of the data rounded up to a multiple
//!    of 4; running out of buffer there is a missing trailer.
//!
//! Offsets are relative to the start of the buffer, so the buffer must
//! start on an entry boundary (Linux aligns relative to the archive start
//! in the same way). Every check is done before slicing; the first problem
//! is returned as a [`ReadError`] naming the entry's offset, and the
//! iterator yields nothing after it. The reader never panics.
//!
//! Not handled (not needed by an initramfs written by our own tools):
//! concatenated archives after the trailer, the `070702` (crc) variant, and
//! compressed archives.

use crate::entry::Entry;
use crate::error::{ReadError, ReadErrorKind};
use crate::newc::{self, FIELDS, HEADER_LEN, MAGIC, TRAILER};

/// Iterates over the members of the newc archive in `data`.
///
/// ```
/// let mut w = ferrite_cpio::Writer::new();
/// w.dir("bin", 0o755).unwrap();
/// w.file("bin/hello", 0o755, b"hi").unwrap();
/// let archive = w.finish();
///
/// let names: Vec<&[u8]> = ferrite_cpio::entries(&archive)
///     .map(|e| e.unwrap().name)
///     .collect();
/// assert_eq!(names, [b"bin".as_slice(), b"bin/hello"]);
/// ```
pub fn entries(data: &[u8]) -> Entries<'_> {
    Entries {
        data,
        pos: 0,
        done: false,
    }
}

/// Iterator over the members of an archive; see [`entries`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    data: &'a [u8],
    /// Offset of the next header.
    pos: usize,
    /// Set at the trailer and after an error.
    done: bool,
}

impl<'a> Entries<'a> {
    /// Offset of the next header to be read.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Reads the entry at `self.pos`. `Ok(None)` at the trailer.
    fn read(&mut self) -> Result<Option<Entry<'a>>, ReadErrorKind> {
        let data = self.data;
        let off = self.pos;
        // `off <= data.len()` always holds: it only advances after the
        // bounds checks below.
        let rest = &data[off..];
        if rest.is_empty() {
            return Err(ReadErrorKind::MissingTrailer);
        }
        // 1. Header present, magic first (so that a wrong format is named
        //    as such even if the buffer is short).
        if rest.len() >= MAGIC.len() && &rest[..MAGIC.len()] != MAGIC {
            let mut found = [0u8; 6];
            found.copy_from_slice(&rest[..MAGIC.len()]);
            return Err(ReadErrorKind::BadMagic { found });
        }
        if rest.len() < HEADER_LEN {
            return Err(ReadErrorKind::TruncatedHeader {
                available: rest.len(),
            });
        }
        // 2. The numeric fields.
        let mut fields = [0u32; FIELDS.len()];
        for (i, field) in fields.iter_mut().enumerate() {
            let start = MAGIC.len() + 8 * i;
            *field = newc::parse_hex8(&rest[start..start + 8])
                .ok_or(ReadErrorKind::BadHexDigit { field: FIELDS[i] })?;
        }
        // 3. The name.
        let namesize = fields[newc::NAMESIZE];
        if namesize == 0 {
            return Err(ReadErrorKind::EmptyName);
        }
        let after_header = rest.len() - HEADER_LEN;
        let name_len = namesize as usize;
        if name_len > after_header {
            return Err(ReadErrorKind::NameRunsPastEnd {
                namesize,
                available: after_header,
            });
        }
        let raw = &rest[HEADER_LEN..HEADER_LEN + name_len];
        let (&last, name) = raw.split_last().ok_or(ReadErrorKind::EmptyName)?;
        if last != 0 {
            return Err(ReadErrorKind::NameNotTerminated);
        }
        if name.contains(&0) {
            return Err(ReadErrorKind::NameContainsNul);
        }
        // 4. The trailer.
        if name == TRAILER {
            return Ok(None);
        }
        // 5. The data, after the name's padding. Offsets are computed from
        //    the start of the buffer, where the alignment is defined.
        let size = fields[newc::FILESIZE];
        let name_end = off + HEADER_LEN + name_len;
        let data_start = newc::align4(name_end).unwrap_or(usize::MAX);
        let available = data.len().saturating_sub(data_start);
        let data_end = match data_start.checked_add(size as usize) {
            Some(end) if end <= data.len() => end,
            _ => return Err(ReadErrorKind::DataRunsPastEnd { size, available }),
        };
        // 6. Next header. Past the end means no trailer, which the next
        //    call reports (at the end of the buffer).
        self.pos = newc::align4(data_end).unwrap_or(usize::MAX).min(data.len());
        Ok(Some(Entry {
            offset: off,
            name: strip_root(name),
            ino: fields[newc::INO],
            mode: fields[newc::MODE],
            uid: fields[newc::UID],
            gid: fields[newc::GID],
            nlink: fields[newc::NLINK],
            mtime: fields[newc::MTIME],
            rdev_major: fields[newc::RDEV_MAJOR],
            rdev_minor: fields[newc::RDEV_MINOR],
            data: &data[data_start..data_end],
        }))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let offset = self.pos;
        match self.read() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(kind) => {
                self.done = true;
                Some(Err(ReadError { offset, kind }))
            }
        }
    }
}

impl core::iter::FusedIterator for Entries<'_> {}

/// `name` without leading `/` and `./` prefixes; `.` (the root) becomes
/// the empty name.
fn strip_root(mut name: &[u8]) -> &[u8] {
    loop {
        if let Some(rest) = name.strip_prefix(b"./") {
            name = rest;
        } else if let Some(rest) = name.strip_prefix(b"/") {
            name = rest;
        } else if name == b"." {
            return b"";
        } else {
            return name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Writer;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    /// A hand-written header (independent of the writer).
    fn header(mode: u32, filesize: u32, namesize: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(b"070701");
        for v in [1, mode, 0, 0, 1, 0, filesize, 0, 0, 0, 0, namesize, 0] {
            h.extend_from_slice(alloc::format!("{v:08x}").as_bytes());
        }
        h
    }

    /// Entry with the name and data padded as the format says.
    fn member(name: &[u8], mode: u32, data: &[u8]) -> Vec<u8> {
        let mut m = header(mode, data.len() as u32, name.len() as u32 + 1);
        m.extend_from_slice(name);
        m.push(0);
        while !m.len().is_multiple_of(4) {
            m.push(0);
        }
        m.extend_from_slice(data);
        while !m.len().is_multiple_of(4) {
            m.push(0);
        }
        m
    }

    fn trailer() -> Vec<u8> {
        member(b"TRAILER!!!", 0, b"")
    }

    fn first_error(data: &[u8]) -> ReadError {
        entries(data)
            .find_map(Result::err)
            .expect("expected an error")
    }

    #[test]
    fn reads_hand_written_archive() {
        let mut a = member(b"./bin", 0o040_755, b"");
        a.extend(member(b"/bin/x", 0o100_755, b"hello"));
        a.extend(member(b".", 0o040_755, b""));
        a.extend(trailer());
        let got: Vec<Entry<'_>> = entries(&a).map(Result::unwrap).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].name, b"bin");
        assert_eq!(got[0].offset, 0);
        assert_eq!(got[1].name, b"bin/x");
        assert_eq!(got[1].data, b"hello");
        assert_eq!(got[1].mode, 0o100_755);
        // 110 + 6 ("./bin\0") = 116, already aligned.
        assert_eq!(got[1].offset, 116);
        assert_eq!(got[2].name, b"");
    }

    #[test]
    fn accepts_lower_and_upper_case_hex() {
        let mut a = member(b"f", 0o100_644, b"abc");
        // Make the mode upper case: "000081A4".
        let upper = alloc::format!("{:08X}", 0o100_644);
        a[14..22].copy_from_slice(upper.as_bytes());
        a.extend(trailer());
        let e = entries(&a).next().unwrap().unwrap();
        assert_eq!(e.mode, 0o100_644);
    }

    #[test]
    fn stops_at_trailer_and_ignores_what_follows() {
        let mut a = trailer();
        a.extend_from_slice(b"garbage after the trailer");
        assert_eq!(entries(&a).count(), 0);
        // A trailer without its padding at the very end is fine too.
        let mut t = header(0, 0, 11);
        t.extend_from_slice(b"TRAILER!!!\0");
        assert_eq!(entries(&t).count(), 0);
    }

    #[test]
    fn strips_leading_root() {
        assert_eq!(strip_root(b"/a/b"), b"a/b");
        assert_eq!(strip_root(b"./a"), b"a");
        assert_eq!(strip_root(b".//./a"), b"a");
        assert_eq!(strip_root(b"."), b"");
        assert_eq!(strip_root(b"/"), b"");
        assert_eq!(strip_root(b"./"), b"");
        assert_eq!(strip_root(b".a"), b".a");
        assert_eq!(strip_root(b"a/./b"), b"a/./b");
    }

    #[test]
    fn error_empty_buffer_is_missing_trailer() {
        let e = first_error(b"");
        assert_eq!(e.offset, 0);
        assert_eq!(e.kind, ReadErrorKind::MissingTrailer);
        assert_eq!(
            e.to_string(),
            "cpio entry at offset 0: archive ends without a TRAILER!!! entry"
        );
    }

    #[test]
    fn error_missing_trailer_after_entries() {
        let a = member(b"f", 0o100_644, b"abcde");
        let e = first_error(&a);
        assert_eq!(e.offset, a.len());
        assert_eq!(e.kind, ReadErrorKind::MissingTrailer);
        // The good entry is still yielded first.
        let mut it = entries(&a);
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none(), "fused after an error");
    }

    #[test]
    fn error_bad_magic() {
        let mut a = member(b"f", 0o100_644, b"");
        a.extend(trailer());
        a[5] = b'2'; // "070702": the crc variant
        let e = first_error(&a);
        assert_eq!(e.offset, 0);
        assert_eq!(e.kind, ReadErrorKind::BadMagic { found: *b"070702" });
        assert_eq!(
            e.to_string(),
            "cpio entry at offset 0: bad magic `070702` (expected `070701`, the newc format)"
        );
        // A gzip stream is named as a bad magic, with bytes escaped.
        let e = first_error(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        assert_eq!(
            e.to_string(),
            "cpio entry at offset 0: bad magic `\\x1f\\x8b\\x08\\x00\\x00\\x00` \
             (expected `070701`, the newc format)"
        );
        // The second entry's magic is checked too, at its offset.
        let mut two = member(b"a", 0o100_644, b"x");
        let second = two.len();
        two.extend(member(b"b", 0o100_644, b""));
        two[second] = b'1';
        assert_eq!(first_error(&two).offset, second);
    }

    #[test]
    fn error_truncated_header() {
        let a = member(b"f", 0o100_644, b"");
        let e = first_error(&a[..50]);
        assert_eq!(e.kind, ReadErrorKind::TruncatedHeader { available: 50 });
        // Shorter than the magic: still truncated, not a bad magic.
        let e = first_error(b"0707");
        assert_eq!(e.kind, ReadErrorKind::TruncatedHeader { available: 4 });
    }

    #[test]
    fn error_bad_hex_digit_names_the_field() {
        for (i, field) in FIELDS.iter().enumerate() {
            let mut a = member(b"f", 0o100_644, b"");
            a.extend(trailer());
            a[6 + 8 * i + 3] = b'x';
            let e = first_error(&a);
            assert_eq!(e.kind, ReadErrorKind::BadHexDigit { field });
            assert_eq!(
                e.to_string(),
                alloc::format!("cpio entry at offset 0: field {field} is not 8 hexadecimal digits")
            );
        }
    }

    #[test]
    fn error_name_problems() {
        // namesize 0.
        let mut a = header(0o100_644, 0, 0);
        a.extend(trailer());
        assert_eq!(first_error(&a).kind, ReadErrorKind::EmptyName);

        // Name not NUL-terminated.
        let mut a = header(0o100_644, 0, 4);
        a.extend_from_slice(b"abcd");
        a.extend(trailer());
        assert_eq!(first_error(&a).kind, ReadErrorKind::NameNotTerminated);

        // NUL inside the name.
        let mut a = header(0o100_644, 0, 4);
        a.extend_from_slice(b"a\0b\0");
        a.extend(trailer());
        assert_eq!(first_error(&a).kind, ReadErrorKind::NameContainsNul);

        // Name runs past the end.
        let mut a = header(0o100_644, 0, 100);
        a.extend_from_slice(b"abc\0");
        assert_eq!(
            first_error(&a).kind,
            ReadErrorKind::NameRunsPastEnd {
                namesize: 100,
                available: 4
            }
        );
        // A huge namesize does not overflow.
        let a = header(0o100_644, 0, u32::MAX);
        assert!(matches!(
            first_error(&a).kind,
            ReadErrorKind::NameRunsPastEnd { .. }
        ));
    }

    #[test]
    fn error_data_runs_past_end() {
        let mut a = header(0o100_644, 10, 2);
        a.extend_from_slice(b"f\0"); // 112 bytes: aligned, data starts at 112
        a.extend_from_slice(b"12345");
        let e = first_error(&a);
        assert_eq!(
            e.kind,
            ReadErrorKind::DataRunsPastEnd {
                size: 10,
                available: 5
            }
        );
        assert_eq!(
            e.to_string(),
            "cpio entry at offset 0: data of 10 bytes runs past the end of the archive \
             (5 bytes left)"
        );
        // Data that fits but whose name padding is cut off.
        let mut a = header(0o100_644, 1, 1);
        a.push(0); // 111 bytes; the data would start at 112
        assert_eq!(
            first_error(&a).kind,
            ReadErrorKind::DataRunsPastEnd {
                size: 1,
                available: 0
            }
        );
        let a = {
            let mut a = header(0o100_644, u32::MAX, 2);
            a.extend_from_slice(b"f\0");
            a
        };
        assert!(matches!(
            first_error(&a).kind,
            ReadErrorKind::DataRunsPastEnd { .. }
        ));
    }

    #[test]
    fn writer_output_reads_back() {
        let mut w = Writer::new();
        w.dir("dev", 0o755).unwrap();
        w.char_device("dev/console", 0o600, 5, 1).unwrap();
        w.symlink("sh", "bin/busybox").unwrap();
        let a = w.finish();
        let got: Vec<Entry<'_>> = entries(&a).map(Result::unwrap).collect();
        assert_eq!(got[1].name, b"dev/console");
        assert_eq!((got[1].rdev_major, got[1].rdev_minor), (5, 1));
        assert_eq!(got[2].data, b"bin/busybox");
        assert_eq!(got[2].mode, 0o120_777);
    }
}

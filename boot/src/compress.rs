//! The ramdisk's compression: the newc archive becomes one gzip member
//! (RFC 1952: DEFLATE at the best compression level, no file name, header
//! time 0), which the kernel recognises by its magic `1f 8b` and inflates.
//! The bootloader reads the ramdisk in real mode at a few seconds per
//! megabyte under QEMU, so every byte saved here is boot time.
//!
//! The output is a pure function of the archive (no time, no host name),
//! so the image cache can key on the archive alone. This module only
//! compresses; it never reads files or decides what is packed.

use std::io::Write;

use flate2::{Compression, GzBuilder};

/// `archive` as a gzip stream (best compression, deterministic).
pub fn gzip(archive: &[u8]) -> Vec<u8> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(archive.len() / 2), Compression::best());
    // Writing into a Vec cannot fail.
    encoder
        .write_all(archive)
        .expect("gzip into memory cannot fail");
    encoder.finish().expect("gzip into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The gzip magic bytes every ramdisk starts with.
    pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Bytes that do not compress (xorshift64).
    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
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
    fn round_trips() {
        for data in [Vec::new(), b"070701".to_vec(), noise(200_000)] {
            let z = gzip(&data);
            assert_eq!(gunzip(&z), data);
        }
    }

    #[test]
    fn header_is_the_rfc_1952_one_without_time_or_name() {
        let z = gzip(b"hello");
        // ID1 ID2, CM = 8 (deflate), FLG = 0 (no name, comment, extra, crc),
        // MTIME = 0, XFL = 2 (best compression), OS = 255 (unknown).
        assert_eq!(z[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
        assert_eq!(z[..2], GZIP_MAGIC);
        // The trailer: CRC-32 and the length mod 2^32, little-endian.
        let n = z.len();
        assert_eq!(z[n - 4..], 5u32.to_le_bytes());
        assert_eq!(z[n - 8..n - 4], 0x3610_a686u32.to_le_bytes()); // crc32("hello")
    }

    #[test]
    fn deterministic_and_smaller() {
        let archive: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let z = gzip(&archive);
        assert_eq!(gzip(&archive), z, "same archive, same bytes");
        assert!(
            z.len() * 20 < archive.len(),
            "{} of {}",
            z.len(),
            archive.len()
        );
        // Incompressible data grows by the stored-block overhead only.
        let n = noise(100 * 1024);
        assert!(gzip(&n).len() < n.len() + 1024);
    }
}

extern crate std;

use super::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use std::io::Write;
use std::vec;
use std::vec::Vec;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn roundtrip(data: &[u8]) -> Result<Vec<u8>, Error> {
    let z = gz(data);
    let mut out = vec![0u8; uncompressed_len(&z)?];
    let n = inflate(&z, &mut out)?;
    out.truncate(n);
    Ok(out)
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(crc32(0, b"1234"), b"56789"), 0xcbf4_3926);
    assert_eq!(crc32(0, b""), 0);
}

#[test]
fn empty_and_small_inputs_round_trip() {
    assert_eq!(roundtrip(b"").unwrap(), b"");
    assert_eq!(roundtrip(b"x").unwrap(), b"x");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(roundtrip(&big).unwrap(), big);
}

#[test]
fn header_fields_are_skipped_and_the_header_crc_checked() {
    let body = gz(b"hello, gzip");
    // Rebuild with FEXTRA, FNAME, FCOMMENT and FHCRC set.
    let mut h = vec![
        0x1f,
        0x8b,
        8,
        FEXTRA | FNAME | FCOMMENT | FHCRC,
        0,
        0,
        0,
        0,
        0,
        255,
    ];
    h.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
    h.extend_from_slice(b"name\0comment\0");
    let hcrc = crc32(0, &h) as u16;
    h.extend_from_slice(&hcrc.to_le_bytes());
    let mut z = h.clone();
    z.extend_from_slice(&body[10..]);
    let mut out = vec![0u8; 11];
    assert_eq!(inflate(&z, &mut out), Ok(11));
    assert_eq!(&out, b"hello, gzip");
    // A wrong header CRC is caught.
    let at = h.len() - 2;
    z[at] ^= 1;
    assert_eq!(inflate(&z, &mut out), Err(Error::Checksum));
}

#[test]
fn bad_streams_are_refused() {
    let data = b"the quick brown fox jumps over the lazy dog".repeat(50);
    let z = gz(&data);
    let mut out = vec![0u8; data.len()];
    assert_eq!(inflate(b"PK\x03\x04", &mut out), Err(Error::NotGzip));
    assert_eq!(inflate(&z[..5], &mut out), Err(Error::Truncated));
    let mut m = z.clone();
    m[2] = 7;
    assert_eq!(inflate(&m, &mut out), Err(Error::Unsupported));
    let mut m = z.clone();
    m[3] = 0x80;
    assert_eq!(inflate(&m, &mut out), Err(Error::Unsupported));
    // Cut anywhere in the data or trailer.
    for cut in [12, z.len() / 2, z.len() - 8, z.len() - 1] {
        assert_eq!(
            inflate(&z[..cut], &mut out),
            Err(Error::Truncated),
            "cut at {cut}"
        );
    }
    // A wrong CRC or length in the trailer.
    let n = z.len();
    for at in [n - 8, n - 1] {
        let mut m = z.clone();
        m[at] ^= 0x40;
        assert_eq!(inflate(&m, &mut out), Err(Error::Checksum), "byte {at}");
    }
    // A buffer one byte short.
    assert_eq!(
        inflate(&z, &mut out[..data.len() - 1]),
        Err(Error::TooLarge)
    );
    // Trailing bytes (a second member).
    let mut two = z.clone();
    two.extend_from_slice(&z);
    assert_eq!(
        inflate(&two, &mut vec![0u8; 2 * data.len()]),
        Err(Error::TrailingData)
    );
}

proptest! {
    #[test]
    fn any_data_round_trips(data in proptest::collection::vec(any::<u8>(), 0..5000)) {
        prop_assert_eq!(roundtrip(&data).unwrap(), data);
    }

    #[test]
    fn a_flipped_bit_never_yields_wrong_data(
        data in proptest::collection::vec(0u8..4, 1..3000),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let mut z = gz(&data);
        let i = pos.index(z.len());
        z[i] ^= 1 << bit;
        let mut out = vec![0u8; data.len() + 64];
        // Accepted only if the bit is one gzip does not cover (FTEXT,
        // mtime, XFL, OS, the padding after the last deflate block), and
        // then the data is unchanged.
        if let Ok(n) = inflate(&z, &mut out) {
            prop_assert_eq!(&out[..n], &data[..], "flip at {} gave wrong data", i);
        }
    }
}

//! gzip (RFC 1952) for the initramfs: the boot tool gzips the archive, the
//! kernel inflates it into a buffer it sized from the trailer.
//!
//! A gzip member is a 10-byte header (magic `1f 8b`, method 8 = deflate,
//! flags, mtime, extra flags, OS), optional fields the flags announce
//! (FEXTRA, FNAME, FCOMMENT, FHCRC), a raw deflate stream, and an 8-byte
//! trailer: the CRC-32 of the uncompressed data and its length modulo
//! 2^32. `inflate` checks all of it: a truncated, corrupted or
//! concatenated stream is an error, never a short or wrong result.
//!
//! The deflate decoder is `miniz_oxide`'s core (no allocation: the
//! caller's buffer is the whole output, so no wrapping window is needed).

#![no_std]

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

/// What is wrong with a gzip stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not gzip: no `1f 8b` magic.
    NotGzip,
    /// A compression method other than deflate, or reserved flag bits.
    Unsupported,
    /// The stream ends early (header, data or trailer cut short).
    Truncated,
    /// The deflate data is invalid.
    Corrupt,
    /// The output buffer is smaller than the data.
    TooLarge,
    /// The CRC-32 or length in the trailer does not match the data.
    Checksum,
    /// Bytes follow the trailer (a second member, or garbage).
    TrailingData,
}

impl Error {
    pub fn description(self) -> &'static str {
        match self {
            Error::NotGzip => "not a gzip stream",
            Error::Unsupported => "unsupported gzip method or flags",
            Error::Truncated => "gzip stream cut short",
            Error::Corrupt => "corrupt deflate data",
            Error::TooLarge => "uncompressed data larger than its buffer",
            Error::Checksum => "gzip CRC-32 or length mismatch",
            Error::TrailingData => "bytes after the gzip trailer",
        }
    }
}

const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// True if `data` starts with the gzip magic.
pub fn is_gzip(data: &[u8]) -> bool {
    data.len() >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

/// The uncompressed length the trailer announces (modulo 2^32: callers
/// size their buffer from it, and `inflate` refuses data that does not
/// fit).
pub fn uncompressed_len(data: &[u8]) -> Result<usize, Error> {
    header_len(data)?;
    if data.len() < 18 {
        return Err(Error::Truncated);
    }
    let t = &data[data.len() - 4..];
    Ok(u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize)
}

/// Length of the header, optional fields included.
fn header_len(data: &[u8]) -> Result<usize, Error> {
    if !is_gzip(data) {
        return Err(Error::NotGzip);
    }
    if data.len() < 10 {
        return Err(Error::Truncated);
    }
    let flags = data[3];
    if data[2] != 8 || flags & !(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT) != 0 {
        return Err(Error::Unsupported);
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let x = data.get(at..at + 2).ok_or(Error::Truncated)?;
        at += 2 + u16::from_le_bytes([x[0], x[1]]) as usize;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = data.get(at..).ok_or(Error::Truncated)?;
            let nul = rest.iter().position(|&b| b == 0).ok_or(Error::Truncated)?;
            at += nul + 1;
        }
    }
    if flags & FHCRC != 0 {
        let x = data.get(at..at + 2).ok_or(Error::Truncated)?;
        let want = u16::from_le_bytes([x[0], x[1]]);
        if crc32(0, &data[..at]) as u16 != want {
            return Err(Error::Checksum);
        }
        at += 2;
    }
    if at > data.len() {
        return Err(Error::Truncated);
    }
    Ok(at)
}

/// Inflate the gzip stream `data` into `out`; returns the uncompressed
/// length (the bytes of `out` written).
pub fn inflate(data: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let start = header_len(data)?;
    let mut d = DecompressorOxide::new();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, used, written) = decompress(&mut d, &data[start..], out, 0, flags);
    match status {
        TINFLStatus::Done => {}
        TINFLStatus::HasMoreOutput => return Err(Error::TooLarge),
        TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
            return Err(Error::Truncated);
        }
        _ => return Err(Error::Corrupt),
    }
    let trailer = start + used;
    let t = data.get(trailer..trailer + 8).ok_or(Error::Truncated)?;
    let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
    let len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
    if crc32(0, &out[..written]) != crc || written as u32 != len {
        return Err(Error::Checksum);
    }
    if data.len() != trailer + 8 {
        return Err(Error::TrailingData);
    }
    Ok(written)
}

/// The CRC-32 (IEEE 802.3, reflected, as gzip uses) of `data`, continuing
/// from `crc` (0 to start).
pub fn crc32(crc: u32, data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut c = !crc;
    for &b in data {
        c = TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests;

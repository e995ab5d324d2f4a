//! `struct linux_dirent64` records (getdents64): a 19-byte header
//! (`d_ino`, `d_off`, `d_reclen`, `d_type`), the NUL-terminated name, and
//! zero padding to a multiple of 8 bytes.

/// Offset of `d_name` (the header size).
pub const DIRENT64_NAME_OFFSET: usize = 19;

/// The record length (`d_reclen`) of an entry with a `name_len`-byte name:
/// header + name + NUL, rounded up to 8.
pub fn dirent64_reclen(name_len: usize) -> usize {
    (DIRENT64_NAME_OFFSET + name_len + 1).next_multiple_of(8)
}

/// Write one record for (`ino`, `off`, `d_type`, `name`) at the start of
/// `buf`; returns its length, or `None` if it does not fit (getdents64
/// then stops, or fails with EINVAL if no record fit at all) or the name
/// is too long for `d_reclen`.
pub fn write_dirent64(
    buf: &mut [u8],
    ino: u64,
    off: i64,
    d_type: u8,
    name: &[u8],
) -> Option<usize> {
    let reclen = dirent64_reclen(name.len());
    let reclen16 = u16::try_from(reclen).ok()?;
    let rec = buf.get_mut(..reclen)?;
    rec[0..8].copy_from_slice(&ino.to_le_bytes());
    rec[8..16].copy_from_slice(&off.to_le_bytes());
    rec[16..18].copy_from_slice(&reclen16.to_le_bytes());
    rec[18] = d_type;
    let name_end = DIRENT64_NAME_OFFSET + name.len();
    rec[DIRENT64_NAME_OFFSET..name_end].copy_from_slice(name);
    rec[name_end..].fill(0);
    Some(reclen)
}

/// One decoded record: (`d_ino`, `d_off`, `d_reclen`, `d_type`, name
/// without its NUL), or `None` if `buf` does not start with a well-formed
/// record.
pub fn read_dirent64(buf: &[u8]) -> Option<(u64, i64, u16, u8, &[u8])> {
    let hdr = buf.get(..DIRENT64_NAME_OFFSET)?;
    let ino = u64::from_le_bytes(hdr[0..8].try_into().ok()?);
    let off = i64::from_le_bytes(hdr[8..16].try_into().ok()?);
    let reclen = u16::from_le_bytes([hdr[16], hdr[17]]);
    let rec = buf.get(..reclen as usize)?;
    let name = rec.get(DIRENT64_NAME_OFFSET..)?;
    let nul = name.iter().position(|&b| b == 0)?;
    Some((ino, off, reclen, hdr[18], &name[..nul]))
}

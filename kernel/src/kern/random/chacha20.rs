//! The ChaCha20 block function (D. J. Bernstein; RFC 8439 section 2.3):
//! a 256-bit key and a 128-bit block position (counter and nonce words) to
//! 64 bytes of keystream. The generator in `random` is built on it.
//!
//! This module is the bare function: no state, no key schedule, no
//! encryption API.
//!
//! The state is a 4x4 matrix of 32-bit words: four constants ("expand
//! 32-byte k"), the eight key words, and four words of position (RFC 8439
//! uses one counter word and three nonce words; the original design two
//! and two: the function is the same, only the caller's split differs).
//! Twenty rounds alternate between mixing the columns and the diagonals
//! with the quarter round (add, xor, rotate by 16, 12, 8, 7); the output is
//! the mixed state plus the input state, word by word, little-endian.

/// "expand 32-byte k" as four little-endian words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

#[inline(always)]
fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// One 64-byte keystream block for `key` at `position` (state words
/// 12..16: counter and nonce).
pub fn block(key: &[u32; 8], position: [u32; 4]) -> [u8; 64] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&SIGMA);
    input[4..12].copy_from_slice(key);
    input[12..].copy_from_slice(&position);
    let mut s = input;
    for _ in 0..10 {
        // Column round.
        quarter_round(&mut s, 0, 4, 8, 12);
        quarter_round(&mut s, 1, 5, 9, 13);
        quarter_round(&mut s, 2, 6, 10, 14);
        quarter_round(&mut s, 3, 7, 11, 15);
        // Diagonal round.
        quarter_round(&mut s, 0, 5, 10, 15);
        quarter_round(&mut s, 1, 6, 11, 12);
        quarter_round(&mut s, 2, 7, 8, 13);
        quarter_round(&mut s, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&s[i].wrapping_add(input[i]).to_le_bytes());
    }
    out
}

/// A key from 32 bytes (little-endian words).
pub fn key_from_bytes(b: &[u8; 32]) -> [u32; 8] {
    core::array::from_fn(|i| {
        u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
    })
}

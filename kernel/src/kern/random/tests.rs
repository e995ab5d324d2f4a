//! ktests of the random-number generator: ChaCha20 against published
//! keystreams, the generator's output, and getrandom's flags, sizes and
//! faults.

use super::chacha20;
use super::{SeedSource, random_bytes, seed_source};
use crate::arch::x86_64::rdrand;
use crate::kern::error::KResult;
use crate::kern::sys_harness::{BAD_POINTERS, DATA, Harness};
use crate::ktest::ktest;
use alloc::vec;
use alloc::vec::Vec;
use ferrite_abi::Errno;
use ferrite_abi::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};
use ferrite_abi::syscall::SYS_getrandom;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[ktest]
fn chacha20_matches_published_keystreams() {
    // RFC 8439 section 2.3.2: key 00..1f, counter 1, nonce
    // 000000090000004a00000000 (the RFC's one-counter, three-nonce split).
    let key: [u8; 32] = core::array::from_fn(|i| i as u8);
    let block = chacha20::block(
        &chacha20::key_from_bytes(&key),
        [1, 0x0900_0000, 0x4a00_0000, 0],
    );
    assert_eq!(
        block.to_vec(),
        hex(concat!(
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e",
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
        ))
    );
    // All-zero key and position (RFC 8439 appendix A.1, test vector 1).
    let block = chacha20::block(&[0; 8], [0; 4]);
    assert_eq!(
        block.to_vec(),
        hex(concat!(
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7",
            "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
        ))
    );
    // The two-counter, two-nonce split the generator uses (counter 5,
    // nonce words 0x11223344, 0x55667788), from OpenSSL's ChaCha20.
    let key: [u8; 32] = core::array::from_fn(|i| (7 * i + 3) as u8);
    let block = chacha20::block(
        &chacha20::key_from_bytes(&key),
        [5, 0, 0x1122_3344, 0x5566_7788],
    );
    assert_eq!(
        block.to_vec(),
        hex(concat!(
            "7518bda141812997136236da8417ed2fefd6538745ae6e96ade0261fb7476033",
            "6a59c36fea5e322f9137ea0028617b689638f48edaa4559378d7224e27b61aa9"
        ))
    );
}

#[ktest]
fn random_bytes_differ_every_call_and_look_uniform() {
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    random_bytes(&mut a);
    random_bytes(&mut b);
    assert_ne!(a, b, "two requests gave the same bytes");
    assert_ne!(a, [0; 64]);
    // 64 KiB: the ones are within 1% of half the bits (about 14 standard
    // deviations), and no 8-byte word repeats.
    let mut big = vec![0u8; 64 * 1024];
    random_bytes(&mut big);
    let ones: u32 = big.iter().map(|b| b.count_ones()).sum();
    let bits = (big.len() * 8) as u32;
    assert!(
        ones.abs_diff(bits / 2) < bits / 200,
        "{ones} ones in {bits} bits"
    );
    let mut words: Vec<u64> = big
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    words.sort_unstable();
    words.dedup();
    assert_eq!(words.len(), big.len() / 8, "a repeated 64-bit word");
    // The generator says how it was seeded; RDRAND only if the CPU has it.
    let source = seed_source().expect("seeded by now");
    log::info!(
        "random: RDRAND {}, seeded from {source:?}",
        if rdrand::available() {
            "present"
        } else {
            "absent"
        }
    );
    assert_eq!(source == SeedSource::Rdrand, rdrand::available());
}

#[ktest]
fn getrandom_fills_the_buffer_and_checks_its_flags() -> KResult<()> {
    let h = Harness::new()?;
    let mut seen: Vec<[u8; 16]> = Vec::new();
    for flags in [
        0,
        GRND_NONBLOCK,
        GRND_RANDOM,
        GRND_INSECURE,
        GRND_NONBLOCK | GRND_INSECURE,
    ] {
        assert_eq!(
            h.sys(SYS_getrandom, &[DATA, 16, flags as u64]),
            Ok(16),
            "flags {flags:#x}"
        );
        let mut b = [0u8; 16];
        h.read_bytes(DATA, &mut b);
        assert!(!seen.contains(&b), "getrandom repeated itself");
        seen.push(b);
    }
    assert_eq!(h.sys(SYS_getrandom, &[DATA, 0, 0]), Ok(0), "0 bytes");
    assert_eq!(h.sys(SYS_getrandom, &[DATA, 16, 0x100]), Err(Errno::EINVAL));
    assert_eq!(
        h.sys(
            SYS_getrandom,
            &[DATA, 16, (GRND_RANDOM | GRND_INSECURE) as u64]
        ),
        Err(Errno::EINVAL)
    );
    for bad in BAD_POINTERS {
        assert_eq!(
            h.sys(SYS_getrandom, &[bad, 16, 0]),
            Err(Errno::EFAULT),
            "{bad:#x}"
        );
    }
    // A buffer running off the end of the page: the bytes that fit.
    assert_eq!(h.sys(SYS_getrandom, &[DATA + 4096 - 512, 4096, 0]), Ok(512));
    Ok(())
}

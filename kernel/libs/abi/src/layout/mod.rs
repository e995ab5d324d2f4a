//! C structure layouts of the Linux x86_64 ABI, as plain data.
//!
//! This module owns the [`Plain`] trait and the `plain_struct!` macro that
//! every structure of the submodules is declared with. It owns no policy:
//! what a field means is the business of the system call that copies the
//! structure in or out.
//!
//! A structure is declared with every padding byte as an explicit field
//! (named `_pad*` or after the C padding), so that its byte image is the
//! concatenation of its fields in order. The macro generates:
//! - the `#[repr(C)]` struct, `Copy`, `Eq`, `Debug`, and a zeroed `Default`;
//! - `to_bytes(&self) -> [u8; SIZE]` and `from_bytes(&[u8; SIZE])`, written
//!   field by field with `to_le_bytes` / `from_le_bytes` (no `unsafe`: the
//!   kernel copies these arrays to and from user memory);
//! - `FIELDS`, the name and byte offset of every field, which the host
//!   tests compare with the C headers;
//! - compile-time assertions that `size_of` equals the declared C size and
//!   that every `offset_of!` equals the running sum of the field sizes, so
//!   the Rust layout, the byte image and the declared size cannot disagree.

pub mod dirent;
pub mod io;
pub mod resource;
pub mod sigframe;
pub mod siginfo;
pub mod signal;
pub mod stat;
pub mod termios;
pub mod time;
pub mod user;
pub mod utsname;

/// A value with a fixed little-endian byte image of `SIZE` bytes, equal to
/// its C object representation on x86_64.
pub trait Plain: Copy {
    /// Size of the byte image (the C `sizeof`).
    const SIZE: usize;
    /// Write the byte image to `out[..SIZE]`. Panics if `out` is shorter.
    fn put(&self, out: &mut [u8]);
    /// Read a value from `bytes[..SIZE]`. Panics if `bytes` is shorter.
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! plain_int {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn put(&self, out: &mut [u8]) {
                out[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                let mut b = [0u8; core::mem::size_of::<$t>()];
                b.copy_from_slice(&bytes[..Self::SIZE]);
                <$t>::from_le_bytes(b)
            }
        }
    )*};
}

plain_int!(u8, i8, u16, i16, u32, i32, u64, i64);

impl<T: Plain, const N: usize> Plain for [T; N] {
    const SIZE: usize = T::SIZE * N;
    fn put(&self, out: &mut [u8]) {
        for (i, v) in self.iter().enumerate() {
            v.put(&mut out[i * T::SIZE..]);
        }
    }
    fn get(bytes: &[u8]) -> Self {
        core::array::from_fn(|i| T::get(&bytes[i * T::SIZE..]))
    }
}

/// Declare a `#[repr(C)]` ABI structure with explicit padding; see the
/// module documentation for what is generated.
macro_rules! plain_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident [$size:expr] {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        // Fields carry the C names; the C header documents them.
        #[allow(missing_docs)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::layout::Plain for $name {
            const SIZE: usize = $size;
            fn put(&self, out: &mut [u8]) {
                let mut at = 0;
                $(
                    $crate::layout::Plain::put(&self.$field, &mut out[at..]);
                    at += <$ty as $crate::layout::Plain>::SIZE;
                )*
                let _ = at;
            }
            fn get(bytes: &[u8]) -> Self {
                let mut at = 0;
                $(
                    let $field = <$ty as $crate::layout::Plain>::get(&bytes[at..]);
                    at += <$ty as $crate::layout::Plain>::SIZE;
                )*
                let _ = at;
                Self { $($field),* }
            }
        }

        impl Default for $name {
            /// All bytes zero.
            fn default() -> Self {
                Self::from_bytes(&[0; $size])
            }
        }

        impl $name {
            /// Size in bytes of the C structure.
            pub const SIZE: usize = $size;

            /// Every field's name and byte offset, in declaration order.
            pub const FIELDS: &'static [(&'static str, usize)] = &[
                $( (stringify!($field), core::mem::offset_of!($name, $field)), )*
            ];

            /// The structure's bytes as C lays them out.
            pub fn to_bytes(&self) -> [u8; $size] {
                let mut out = [0u8; $size];
                $crate::layout::Plain::put(self, &mut out);
                out
            }

            /// The structure from its C bytes.
            pub fn from_bytes(bytes: &[u8; $size]) -> Self {
                <Self as $crate::layout::Plain>::get(bytes)
            }

            /// The structure from the first `SIZE` bytes of `bytes`, or
            /// `None` if `bytes` is shorter.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                if bytes.len() < $size {
                    return None;
                }
                Some(<Self as $crate::layout::Plain>::get(bytes))
            }
        }

        // The Rust layout has no implicit padding and matches the byte
        // image field by field.
        const _: () = {
            assert!(core::mem::size_of::<$name>() == $size);
            let mut _at = 0;
            $(
                assert!(core::mem::offset_of!($name, $field) == _at);
                _at += <$ty as $crate::layout::Plain>::SIZE;
            )*
            assert!(_at == $size);
        };
    };
}

pub(crate) use plain_struct;

//! Procedural macros of the Ferrite kernel.
//!
//! `#[ktest]` registers a function as an in-kernel test:
//!
//! ```ignore
//! #[ktest]
//! fn pages_come_back() { ... }              // fails by panicking (assert!)
//!
//! #[ktest]
//! fn may_fail() -> KResult<()> { ... }       // an Err fails the test
//!
//! #[ktest(should_panic)]                     // passes only if it panics
//! #[ktest(timeout_ms = 2000)]                // per-test watchdog
//! #[ktest(no_leak_check)]                    // skip the page/heap leak check
//! ```
//!
//! The test is added to the kernel's `KTESTS` distributed slice with its
//! module path, so the runner can sort and filter by `module::path::name`.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token, parse_macro_input};

#[proc_macro_attribute]
pub fn ktest(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func = parse_macro_input!(item as ItemFn);
    let parser = Punctuated::<Meta, Token![,]>::parse_terminated;
    let metas = match parser.parse(attr) {
        Ok(m) => m,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut should_panic = false;
    let mut leak_check = true;
    let mut timeout_ms: u64 = 0;
    for meta in metas {
        match &meta {
            Meta::Path(p) if p.is_ident("should_panic") => should_panic = true,
            Meta::Path(p) if p.is_ident("no_leak_check") => leak_check = false,
            Meta::NameValue(nv) if nv.path.is_ident("timeout_ms") => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(i), ..
                }) => match i.base10_parse() {
                    Ok(v) => timeout_ms = v,
                    Err(e) => return e.to_compile_error().into(),
                },
                other => {
                    return syn::Error::new_spanned(other, "timeout_ms takes an integer")
                        .to_compile_error()
                        .into();
                }
            },
            other => {
                return syn::Error::new_spanned(
                    other,
                    "unknown ktest option (known: should_panic, no_leak_check, timeout_ms = N)",
                )
                .to_compile_error()
                .into();
            }
        }
    }
    if !func.sig.inputs.is_empty()
        || func.sig.asyncness.is_some()
        || !func.sig.generics.params.is_empty()
    {
        return syn::Error::new_spanned(
            &func.sig,
            "a ktest takes no arguments and is not generic or async",
        )
        .to_compile_error()
        .into();
    }
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let static_name = syn::Ident::new(
        &format!("__KTEST_{}", name_str.to_uppercase()),
        Span::call_site(),
    );
    quote! {
        #func

        // Registration places the entry in a linker section (link_section
        // counts as unsafe code): allowed here, in modules that deny it.
        #[allow(unsafe_code)]
        #[::linkme::distributed_slice(crate::ktest::KTESTS)]
        #[linkme(crate = ::linkme)]
        static #static_name: crate::ktest::KTest = crate::ktest::KTest {
            module: module_path!(),
            name: #name_str,
            func: || crate::ktest::IntoTestResult::into_test_result(#name()),
            should_panic: #should_panic,
            leak_check: #leak_check,
            timeout_ms: #timeout_ms,
        };
    }
    .into()
}

//! Symbolisation of kernel backtrace addresses: DWARF (via addr2line,
//! including inlined frames and Rust demangling) with a fallback to the
//! ELF symbol table (via object), plus path shortening for display.
//!
//! The ELF is loaded lazily, on the first lookup.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

/// One function level at an address: the outermost (real) function first,
/// then the functions inlined into it, innermost last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    pub function: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
}

struct Loaded {
    dwarf: Option<addr2line::Loader>,
    /// Function symbols sorted by address: (start, size, demangled name).
    symbols: Vec<(u64, u64, String)>,
}

/// Symbolises addresses of one ELF file.
pub struct Symbolizer {
    elf: PathBuf,
    loaded: Option<std::result::Result<Loaded, String>>,
    roots: Vec<String>,
}

impl Symbolizer {
    /// Nothing is read until the first [`Symbolizer::lookup`].
    pub fn new(elf: &Path) -> Self {
        Self {
            elf: elf.to_path_buf(),
            loaded: None,
            roots: default_roots(),
        }
    }

    fn load(&mut self) -> std::result::Result<&Loaded, String> {
        if self.loaded.is_none() {
            self.loaded = Some(load(&self.elf));
        }
        match self.loaded.as_ref() {
            Some(Ok(l)) => Ok(l),
            Some(Err(e)) => Err(e.clone()),
            None => Err("not loaded".into()),
        }
    }

    /// Frames for an ELF (link-time) address, outermost first. Empty if
    /// nothing is known. `Err` only if the ELF could not be loaded.
    pub fn lookup(&mut self, elf_addr: u64) -> std::result::Result<Vec<FrameInfo>, String> {
        let roots = self.roots.clone();
        let loaded = self.load()?;
        let mut frames = Vec::new();
        if let Some(dwarf) = &loaded.dwarf
            && let Ok(mut iter) = dwarf.find_frames(elf_addr)
        {
            while let Ok(Some(frame)) = iter.next() {
                let function = frame
                    .function
                    .as_ref()
                    .and_then(|f| f.demangle().ok())
                    .map(Cow::into_owned);
                let (file, line) = match &frame.location {
                    Some(loc) => (loc.file.map(|f| shorten_path(f, &roots)), loc.line),
                    None => (None, None),
                };
                frames.push(FrameInfo {
                    function,
                    file,
                    line,
                });
            }
        }
        // addr2line yields innermost first; we print the real function first.
        frames.reverse();
        if frames.first().is_none_or(|f| f.function.is_none())
            && let Some(name) = symbol_for(&loaded.symbols, elf_addr)
        {
            match frames.first_mut() {
                Some(first) => first.function = Some(name.to_string()),
                None => frames.push(FrameInfo {
                    function: Some(name.to_string()),
                    file: None,
                    line: None,
                }),
            }
        }
        Ok(frames)
    }
}

fn load(elf: &Path) -> std::result::Result<Loaded, String> {
    let data = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let file = object::File::parse(&*data)
        .map_err(|e| format!("{} is not a valid ELF: {e}", elf.display()))?;
    // Functions, and untyped labels in code (the assembly entry points).
    let in_code = |s: &object::Symbol<'_, '_>| match s.section() {
        object::SymbolSection::Section(i) => file
            .section_by_index(i)
            .is_ok_and(|sec| sec.kind() == object::SectionKind::Text),
        _ => false,
    };
    let mut symbols: Vec<(u64, u64, String)> = file
        .symbols()
        .filter(|s| {
            (s.kind() == SymbolKind::Text || (s.kind() == SymbolKind::Unknown && in_code(s)))
                && s.address() != 0
        })
        .filter_map(|s| {
            let name = s.name().ok()?;
            let demangled = addr2line::demangle_auto(Cow::Borrowed(name), None).into_owned();
            Some((s.address(), s.size(), demangled))
        })
        .collect();
    symbols.sort_by_key(|s| s.0);
    // DWARF is optional: without it we still have symbol names.
    let dwarf = addr2line::Loader::new(elf).ok();
    Ok(Loaded { dwarf, symbols })
}

/// The symbol containing `addr` (size-checked when the size is known).
fn symbol_for(symbols: &[(u64, u64, String)], addr: u64) -> Option<&str> {
    let idx = symbols.partition_point(|s| s.0 <= addr);
    let (start, size, name) = symbols.get(idx.checked_sub(1)?)?;
    let inside = if *size == 0 {
        // Unknown size: accept only if it is the closest symbol within 64 KiB.
        addr - start < 0x10000
    } else {
        addr - start < *size
    };
    inside.then_some(name.as_str())
}

/// Prefixes stripped from source paths: the workspace root (where this
/// tool's sources live) and the current directory.
fn default_roots() -> Vec<String> {
    let mut roots = Vec::new();
    if let Some(ws) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        roots.push(ws.to_string_lossy().into_owned());
    }
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = cwd.to_string_lossy().into_owned();
        if !roots.contains(&cwd) {
            roots.push(cwd);
        }
    }
    roots
}

/// Shortens a source path for display:
/// - `<workspace>/kernel/src/x.rs` -> `kernel/src/x.rs`
/// - `.../.cargo/registry/src/<index>/foo-1.0/src/x.rs` -> `foo-1.0/src/x.rs`
/// - `/rustc/<hash>/library/core/src/x.rs` (or a rust-src checkout)
///   -> `library/core/src/x.rs`
pub fn shorten_path(path: &str, roots: &[String]) -> String {
    const REGISTRY: &str = "/registry/src/";
    if let Some(pos) = path.find(REGISTRY) {
        let after = &path[pos + REGISTRY.len()..];
        if let Some((_index, rest)) = after.split_once('/') {
            return rest.to_string();
        }
    }
    let is_rustc = path.starts_with("/rustc/")
        || path.contains("/rustlib/src/rust/")
        || path.contains("/rust/deps/");
    if is_rustc && let Some(pos) = path.find("/library/") {
        return path[pos + 1..].to_string();
    }
    for root in roots {
        let root = root.trim_end_matches('/');
        if root.is_empty() {
            continue;
        }
        if let Some(rest) = path.strip_prefix(root)
            && let Some(rest) = rest.strip_prefix('/')
        {
            return rest.to_string();
        }
    }
    path.to_string()
}

/// Formats one backtrace frame line (plus continuation lines for inlined
/// functions):
/// ```text
///   #<n> 0x<addr> <function> at <file>:<line>
///         inlined <fn> at <file>:<line>
/// ```
pub fn format_frame(index: usize, runtime_addr: u64, frames: &[FrameInfo]) -> Vec<String> {
    let head = format!("  #{index} {runtime_addr:#018x}");
    let Some((outer, inlined)) = frames.split_first() else {
        return vec![format!("{head} <unknown>")];
    };
    let mut lines = vec![format!("{head} {}", describe(outer))];
    for f in inlined {
        lines.push(format!("        inlined {}", describe(f)));
    }
    lines
}

fn describe(f: &FrameInfo) -> String {
    let name = f.function.as_deref().unwrap_or("<unknown>");
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{name} at {file}:{line}"),
        (Some(file), None) => format!("{name} at {file}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_workspace_registry_and_library_paths() {
        let roots = vec!["/work/main".to_string()];
        assert_eq!(
            shorten_path("/work/main/kernel/src/mm.rs", &roots),
            "kernel/src/mm.rs"
        );
        assert_eq!(
            shorten_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/spin-0.9.8/src/mutex.rs",
                &roots
            ),
            "spin-0.9.8/src/mutex.rs"
        );
        assert_eq!(
            shorten_path(
                "/rustc/4a4ef493e3a1488c6e321570238084b38948f6db/library/core/src/panicking.rs",
                &roots
            ),
            "library/core/src/panicking.rs"
        );
        assert_eq!(
            shorten_path(
                "/root/.rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu/lib/rustlib/src/rust/library/alloc/src/vec/mod.rs",
                &roots
            ),
            "library/alloc/src/vec/mod.rs"
        );
        // Not under a root, and similar-looking prefixes are not stripped.
        assert_eq!(
            shorten_path("/work/mainline/x.rs", &roots),
            "/work/mainline/x.rs"
        );
        assert_eq!(
            shorten_path("/elsewhere/library/x.rs", &roots),
            "/elsewhere/library/x.rs"
        );
    }

    #[test]
    fn frame_formatting() {
        assert_eq!(
            format_frame(3, 0x1234, &[]),
            ["  #3 0x0000000000001234 <unknown>"]
        );
        let frames = vec![
            FrameInfo {
                function: Some("ferrite::mm::alloc".into()),
                file: Some("kernel/src/mm.rs".into()),
                line: Some(40),
            },
            FrameInfo {
                function: Some("core::option::Option<T>::unwrap".into()),
                file: Some("library/core/src/option.rs".into()),
                line: Some(950),
            },
            FrameInfo {
                function: None,
                file: None,
                line: None,
            },
        ];
        assert_eq!(
            format_frame(0, 0xffff_8000_0001_0000, &frames),
            [
                "  #0 0xffff800000010000 ferrite::mm::alloc at kernel/src/mm.rs:40",
                "        inlined core::option::Option<T>::unwrap at library/core/src/option.rs:950",
                "        inlined <unknown>",
            ]
        );
    }

    #[test]
    fn symbol_table_lookup_is_size_checked() {
        let syms = vec![
            (0x1000, 0x10, "a".to_string()),
            (0x2000, 0, "b".to_string()),
        ];
        assert_eq!(symbol_for(&syms, 0x1000), Some("a"));
        assert_eq!(symbol_for(&syms, 0x100f), Some("a"));
        assert_eq!(symbol_for(&syms, 0x1010), None);
        assert_eq!(symbol_for(&syms, 0xfff), None);
        assert_eq!(symbol_for(&syms, 0x2100), Some("b"));
        assert_eq!(symbol_for(&syms, 0x20000), None);
    }

    #[test]
    fn missing_elf_reports_error_once_loaded() {
        let mut s = Symbolizer::new(Path::new("/nonexistent/kernel.elf"));
        let err = s.lookup(0x1000).expect_err("no file");
        assert!(err.contains("cannot read"), "{err}");
    }

    #[inline(never)]
    fn symbolize_marker_function(x: u64) -> u64 {
        std::hint::black_box(x).wrapping_mul(3)
    }

    /// Runtime address minus link-time address of the marker in this test
    /// binary (the "image offset"), if it can be determined.
    fn marker_offset(exe: &Path, runtime: u64) -> Option<u64> {
        let data = std::fs::read(exe).ok()?;
        let file = object::File::parse(&*data).ok()?;
        let sym = file.symbols().find(|s| {
            s.name()
                .is_ok_and(|n| n.contains("symbolize_marker_function"))
        })?;
        Some(runtime.wrapping_sub(sym.address()))
    }

    #[test]
    fn symbolises_a_function_in_this_test_binary() {
        assert_eq!(symbolize_marker_function(2), 6);
        let runtime = symbolize_marker_function as fn(u64) -> u64 as usize as u64;
        let Ok(exe) = std::env::current_exe() else {
            eprintln!("skipped: no current_exe");
            return;
        };
        let Some(offset) = marker_offset(&exe, runtime) else {
            eprintln!("skipped: marker symbol not in the symbol table");
            return;
        };
        let mut s = Symbolizer::new(&exe);
        // Look up an address inside the function, as a return address would be.
        let frames = s
            .lookup(runtime.wrapping_sub(offset) + 1)
            .expect("load self");
        let outer = frames.first().expect("some frame");
        let name = outer.function.as_deref().expect("function name");
        assert!(name.ends_with("symbolize_marker_function"), "{name}");
        assert!(!name.contains("17h"), "demangled without hash: {name}");
        // The test binary has line tables (profile debug = "limited").
        let file = outer.file.as_deref().expect("file from DWARF");
        assert_eq!(file, "boot/src/symbolize.rs", "shortened to the workspace");
        assert!(outer.line.is_some());
        let lines = format_frame(1, runtime, &frames);
        eprintln!("{}", lines.join("\n"));
        assert!(lines[0].contains("symbolize_marker_function at boot/src/symbolize.rs:"));
    }
}

//! The user-facing console: forwards the kernel's serial output to stdout
//! line by line, rewriting backtrace frame lines into symbolised ones, and
//! interleaves the runner's own messages cleanly.
//!
//! A partial line of the form `test <path> ... ` is shown as soon as it
//! arrives (so a long-running test is visible); the rest of the line is
//! printed when it completes.

use std::io::Write;
use std::path::Path;

use crate::protocol::{self, Event};
use crate::symbolize::{self, Symbolizer};

pub struct Console<W: Write> {
    out: W,
    symbolizer: Symbolizer,
    /// From `ferrite: image offset 0x...` (per boot).
    offset: Option<u64>,
    in_backtrace: bool,
    warned_load: bool,
    warned_offset: bool,
    /// The part of the current unterminated line already printed.
    shown_partial: Option<String>,
}

impl<W: Write> Console<W> {
    pub fn new(out: W, kernel: &Path) -> Self {
        Self {
            out,
            symbolizer: Symbolizer::new(kernel),
            offset: None,
            in_backtrace: false,
            warned_load: false,
            warned_offset: false,
            shown_partial: None,
        }
    }

    /// Forget per-boot state (the image offset) before the next boot.
    pub fn new_boot(&mut self) {
        self.end_partial();
        self.offset = None;
        self.in_backtrace = false;
        self.warned_offset = false;
    }

    /// A complete serial line.
    pub fn line(&mut self, line: &str) {
        let rendered = self.render(line);
        let mut rendered = rendered.iter();
        if let Some(shown) = self.shown_partial.take()
            && let Some(first) = rendered.next()
        {
            match first.strip_prefix(shown.as_str()) {
                Some(rest) => self.write_line(rest),
                None => {
                    self.write_line("");
                    self.write_line(first);
                }
            }
        }
        for l in rendered {
            self.write_line(l);
        }
        let _ = self.out.flush();
    }

    /// The current unterminated line changed.
    pub fn partial(&mut self, partial: &str) {
        if protocol::partial_test_start(partial).is_none() {
            return;
        }
        let new = match &self.shown_partial {
            None => partial,
            Some(shown) => match partial.strip_prefix(shown.as_str()) {
                Some(rest) => rest,
                None => return,
            },
        };
        let _ = self.out.write_all(new.as_bytes());
        let _ = self.out.flush();
        self.shown_partial = Some(partial.to_string());
    }

    /// A message from the runner itself (on its own line).
    pub fn message(&mut self, msg: &str) {
        self.end_partial();
        self.write_line(msg);
        let _ = self.out.flush();
    }

    /// Terminates a partially shown line, if any.
    pub fn end_partial(&mut self) {
        if self.shown_partial.take().is_some() {
            self.write_line("");
            let _ = self.out.flush();
        }
    }

    fn write_line(&mut self, s: &str) {
        let _ = writeln!(self.out, "{s}");
    }

    fn render(&mut self, line: &str) -> Vec<String> {
        match protocol::parse_line(line) {
            Event::BacktraceStart => {
                self.in_backtrace = true;
                vec![line.to_string()]
            }
            Event::Frame { index, addr } if self.in_backtrace => self.symbolise(index, addr),
            Event::ImageOffset(offset) => {
                self.in_backtrace = false;
                self.offset = Some(offset);
                vec![line.to_string()]
            }
            _ => {
                self.in_backtrace = false;
                vec![line.to_string()]
            }
        }
    }

    fn symbolise(&mut self, index: usize, addr: u64) -> Vec<String> {
        let mut out = Vec::new();
        let offset = match self.offset {
            Some(o) => o,
            None => {
                if !self.warned_offset {
                    self.warned_offset = true;
                    out.push(
                        "  (no `ferrite: image offset` line seen this boot; assuming offset 0)"
                            .to_string(),
                    );
                }
                0
            }
        };
        // Frames after #0 are return addresses: look up the call instruction.
        let probe = addr.wrapping_sub(offset).wrapping_sub(u64::from(index > 0));
        match self.symbolizer.lookup(probe) {
            Ok(frames) => out.extend(symbolize::format_frame(index, addr, &frames)),
            Err(e) => {
                if !self.warned_load {
                    self.warned_load = true;
                    out.push(format!("  (cannot symbolise: {e})"));
                }
                out.extend(symbolize::format_frame(index, addr, &[]));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn console() -> Console<Vec<u8>> {
        Console::new(Vec::new(), Path::new("/nonexistent/ferrite"))
    }

    fn text(c: &Console<Vec<u8>>) -> String {
        String::from_utf8_lossy(&c.out).into_owned()
    }

    #[test]
    fn passes_lines_through() {
        let mut c = console();
        c.line("hello");
        c.line("  #0 0x10"); // not in a backtrace block: untouched
        assert_eq!(text(&c), "hello\n  #0 0x10\n");
    }

    #[test]
    fn partial_test_line_shown_early_and_completed() {
        let mut c = console();
        c.partial("test a::b ");
        assert_eq!(text(&c), ""); // not yet a test-start prefix
        c.partial("test a::b ... ");
        assert_eq!(text(&c), "test a::b ... ");
        c.line("test a::b ... ok (5 cycles)");
        assert_eq!(text(&c), "test a::b ... ok (5 cycles)\n");
        c.partial("test c ... ");
        c.message("test c ... FAILED (timed out after 1 s, killed by runner)");
        assert_eq!(
            text(&c),
            "test a::b ... ok (5 cycles)\ntest c ... \ntest c ... FAILED (timed out after 1 s, killed by runner)\n"
        );
    }

    #[test]
    fn backtrace_block_is_rewritten_even_without_elf() {
        let mut c = console();
        c.line("ferrite: image offset 0xffff800000000000");
        c.line("backtrace:");
        c.line("  #0 0xffff800000001000");
        c.line("  #1 0xffff800000002000");
        c.line("ktest: aborted in #2");
        c.line("  #2 0xffff800000003000");
        let out = text(&c);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "backtrace:");
        assert!(lines[2].starts_with("  (cannot symbolise:"), "{out}");
        assert_eq!(lines[3], "  #0 0xffff800000001000 <unknown>");
        assert_eq!(lines[4], "  #1 0xffff800000002000 <unknown>");
        assert_eq!(lines[5], "ktest: aborted in #2");
        // After the block ended, frame-looking lines pass through untouched.
        assert_eq!(lines[6], "  #2 0xffff800000003000");
    }

    /// Manual check against a real kernel:
    /// `FERRITE_KERNEL_ELF=target/x86_64-unknown-none/release/ferrite
    ///  cargo test -p ferrite-boot --release -- --ignored real_kernel --nocapture`
    #[test]
    #[ignore = "needs FERRITE_KERNEL_ELF"]
    fn symbolises_a_real_kernel_backtrace() {
        use object::{Object, ObjectSymbol};
        let Some(elf) = std::env::var_os("FERRITE_KERNEL_ELF") else {
            return;
        };
        let data = std::fs::read(&elf).expect("read kernel");
        let file = object::File::parse(&*data).expect("parse kernel");
        let sym = file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Text && s.size() > 8)
            .max_by_key(|s| (s.name().is_ok_and(|n| n.contains("ferrite")), s.size()))
            .expect("a function symbol");
        let offset = 0xffff_f000_0000_0000u64;
        let mut c = Console::new(Vec::new(), Path::new(&elf));
        c.line(&format!("ferrite: image offset {offset:#x}"));
        c.line("backtrace:");
        c.line(&format!("  #0 {:#018x}", sym.address() + offset));
        c.line(&format!(
            "  #1 {:#018x}",
            sym.address() + offset + sym.size() / 2
        ));
        let out = text(&c);
        eprintln!("{out}");
        assert!(!out.contains("<unknown>"), "{out}");
    }
}

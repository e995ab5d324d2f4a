//! The argument vector for `/init`: everything after the first standalone
//! `--` word of the command line. This module splits that part into
//! arguments ([`split_init_args`]) and quotes arguments so that they split
//! back unchanged ([`quote_init_arg`]); it knows nothing of the options
//! before the `--`.
//!
//! Syntax (a small subset of the shell's):
//! - arguments are separated by ASCII whitespace;
//! - `"` starts and ends a quoted part, in which whitespace is kept:
//!   `"a b"` is one argument, `a"b c"d` is `ab cd`, `""` is an empty one;
//! - `\"` is a literal `"` and `\\` a literal `\`, inside or outside
//!   quotes; any other `\` is literal (`\n` is the two characters `\n`);
//! - an unterminated quote is an error.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::CmdlineError;

/// Splits the text after `--` into arguments (see the module docs).
///
/// ```
/// use ferrite_cmdline::split_init_args;
///
/// let args = split_init_args(r#" /bin/sh -c "echo \"hi\" there" "" "#).unwrap();
/// assert_eq!(args, ["/bin/sh", "-c", r#"echo "hi" there"#, ""]);
/// assert!(split_init_args(r#"a "b"#).is_err());
/// ```
pub fn split_init_args(s: &str) -> Result<Vec<String>, CmdlineError> {
    let mut args = Vec::new();
    let mut current = String::new();
    // Inside an argument (so `""` gives an empty argument)?
    let mut in_arg = false;
    let mut in_quote = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                match chars.peek() {
                    Some(&next @ ('"' | '\\')) => {
                        current.push(next);
                        chars.next();
                    }
                    _ => current.push('\\'),
                }
                in_arg = true;
            }
            '"' => {
                in_quote = !in_quote;
                in_arg = true;
            }
            c if c.is_ascii_whitespace() && !in_quote => {
                if in_arg {
                    args.push(core::mem::take(&mut current));
                    in_arg = false;
                }
            }
            c => {
                current.push(c);
                in_arg = true;
            }
        }
    }
    if in_quote {
        return Err(CmdlineError::UnterminatedQuote { arg: current });
    }
    if in_arg {
        args.push(current);
    }
    Ok(args)
}

/// `arg` as one word that [`split_init_args`] turns back into `arg`:
/// unchanged if it is non-empty and has no whitespace, `"` or `\`;
/// otherwise in double quotes with `"` and `\` escaped.
///
/// ```
/// use ferrite_cmdline::quote_init_arg;
///
/// assert_eq!(quote_init_arg("/bin/testrun"), "/bin/testrun");
/// assert_eq!(quote_init_arg("a b"), r#""a b""#);
/// assert_eq!(quote_init_arg(r#"say "x"\"#), r#""say \"x\"\\""#);
/// assert_eq!(quote_init_arg(""), r#""""#);
/// ```
pub fn quote_init_arg(arg: &str) -> Cow<'_, str> {
    // Any Unicode whitespace is quoted (not only the ASCII whitespace that
    // separates arguments): a reader that trims the whole line must not
    // eat a trailing U+00A0 of the last argument.
    let plain = !arg.is_empty()
        && !arg
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\');
    if plain {
        return Cow::Borrowed(arg);
    }
    let mut quoted = String::with_capacity(arg.len() + 2);
    quoted.push('"');
    for c in arg.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    Cow::Owned(quoted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn split(s: &str) -> Vec<String> {
        split_init_args(s).unwrap()
    }

    #[test]
    fn plain_words() {
        assert_eq!(split(""), Vec::<String>::new());
        assert_eq!(split("  \t\n "), Vec::<String>::new());
        assert_eq!(split("/bin/testrun fork"), ["/bin/testrun", "fork"]);
        assert_eq!(split(" a\tb\nc  "), ["a", "b", "c"]);
        // A later `--` is an ordinary argument.
        assert_eq!(split("prog -- x"), ["prog", "--", "x"]);
    }

    #[test]
    fn quotes() {
        assert_eq!(split(r#""a b""#), ["a b"]);
        assert_eq!(split(r#"a"b c"d e"#), ["ab cd", "e"]);
        assert_eq!(split(r#""" x """#), ["", "x", ""]);
        assert_eq!(split("\"tab\there\""), ["tab\there"]);
        assert_eq!(split(r#""é ω""#), ["é ω"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(split(r#"\"a\""#), [r#""a""#]);
        assert_eq!(split(r#""x \" y""#), [r#"x " y"#]);
        assert_eq!(split(r"a\\b"), [r"a\b"]);
        assert_eq!(split(r#""\\""#), [r"\"]);
        // Other backslashes are literal, also at the very end.
        assert_eq!(split(r"a\nb c\"), [r"a\nb", r"c\"]);
        assert_eq!(split(r#""\n""#), [r"\n"]);
    }

    #[test]
    fn unterminated_quote() {
        let e = split_init_args(r#"ok "never closed"#).unwrap_err();
        assert_eq!(
            e,
            CmdlineError::UnterminatedQuote {
                arg: "never closed".to_string()
            }
        );
        assert_eq!(
            e.to_string(),
            "unterminated `\"` in the init arguments (in `never closed`)"
        );
        // An escaped quote does not open one.
        assert!(split_init_args(r#"a\"b"#).is_ok());
        assert!(split_init_args(r#"a\\"b"#).is_err());
    }

    #[test]
    fn quoting_round_trips() {
        for arg in [
            "plain",
            "",
            "a b",
            "\"",
            "\\",
            "\\\"",
            "end\\",
            "tab\t",
            "nbsp\u{a0}",
            "--",
            "-c",
            "x=\"1 2\"",
        ] {
            let q = quote_init_arg(arg);
            assert_eq!(split(&q), [arg], "{arg:?} quoted as {q}");
        }
        assert!(matches!(quote_init_arg("plain"), Cow::Borrowed(_)));
    }
}

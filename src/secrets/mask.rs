//! Replacing secret values in text by `***` (docs/secrets.md, "Remote
//! output is masked").
//!
//! Every value gives a set of *forms*: the value, the value without its
//! final line ending, each line of a multi-line value (at least
//! `MIN_LINE_CHARS` characters, also trimmed), and of each of these its
//! JSON-escaped and URL-encoded spellings. One Aho-Corasick automaton finds
//! every occurrence of every form, overlapping ones included, and each run
//! of overlapping occurrences becomes one `***`: two values that overlap in
//! the text (`abc123` and `123xyz` in `abc123xyz`) leave no fragment.

use aho_corasick::{AhoCorasick, MatchKind};
use secrecy::zeroize::Zeroizing;

/// What stands for a value in output.
pub(crate) const MASK: &str = "***";

/// The shortest line of a multi-line value that is masked on its own: a
/// shorter one (`}`, `--`, an empty line) would mask ordinary output.
pub(crate) const MIN_LINE_CHARS: usize = 4;

/// Masks the forms of a set of values. Its `Debug` shows only how many
/// forms it knows.
pub(crate) struct Masker {
    matcher: Option<AhoCorasick>,
    /// The forms, kept for the stream masker's look at a chunk's end
    /// (`pending_start`); zeroized when the masker goes.
    forms: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker({} forms)", self.forms.len())
    }
}

impl Masker {
    pub(crate) fn new<'a>(values: impl Iterator<Item = &'a str>) -> Masker {
        let forms = forms(values);
        let matcher = if forms.is_empty() {
            None
        } else {
            // Standard semantics: the overlapping search reports every
            // occurrence of every form.
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(forms.iter().map(|f| f.as_bytes()))
                    .expect("an automaton of a few secret forms builds"),
            )
        };
        Masker { matcher, forms }
    }

    /// `bytes` with every occurrence of every form replaced by `***`, like
    /// `mask`; every other byte (control characters, bytes that are not
    /// UTF-8) passes unchanged.
    pub(crate) fn mask_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut copied = 0;
        for (start, end) in self.spans(bytes) {
            out.extend_from_slice(&bytes[copied..start]);
            out.extend_from_slice(MASK.as_bytes());
            copied = end;
        }
        out.extend_from_slice(&bytes[copied..]);
        out
    }

    /// Where, in `bytes` (the end of what arrived so far), a form could
    /// begin that more bytes may complete: the start of the longest end of
    /// `bytes` that is the beginning of a form but not a whole one.
    /// `bytes.len()` if none. Bytes before it can be masked and shown.
    pub(crate) fn pending_start(&self, bytes: &[u8]) -> usize {
        let longest = self.forms.iter().map(|f| f.len()).max().unwrap_or(0);
        let from = bytes.len().saturating_sub(longest.saturating_sub(1));
        (from..bytes.len())
            .find(|&p| {
                let tail = &bytes[p..];
                self.forms
                    .iter()
                    .any(|f| f.len() > tail.len() && f.as_bytes().starts_with(tail))
            })
            .unwrap_or(bytes.len())
    }

    /// The spans of the forms found in `bytes`, overlapping ones merged.
    pub(crate) fn spans(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut spans: Vec<(usize, usize)> = matcher
            .find_overlapping_iter(bytes)
            .map(|m| (m.start(), m.end()))
            .collect();
        spans.sort_unstable();
        merged(spans)
    }

    /// `text` with every occurrence of every form replaced by `***`; a run
    /// of overlapping occurrences is one `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        let Some(matcher) = &self.matcher else {
            return text.to_string();
        };
        let mut spans: Vec<(usize, usize)> = matcher
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut spans = spans.into_iter().peekable();
        while let Some((start, mut end)) = spans.next() {
            while let Some(&(s, e)) = spans.peek() {
                if s >= end {
                    break;
                }
                end = end.max(e);
                spans.next();
            }
            // Forms are whole UTF-8 strings, so a match starts and ends on
            // character boundaries of the text.
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// Sorted spans, each run of overlapping ones made one.
fn merged(spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Every form to mask for these values, deduplicated, none empty.
fn forms<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Zeroizing<String>> {
    let mut bases: Vec<&str> = Vec::new();
    for value in values {
        if value.is_empty() {
            continue;
        }
        bases.push(value);
        bases.push(value.trim_end_matches(['\n', '\r']));
        if value.contains('\n') {
            for line in value.split('\n') {
                let line = line.strip_suffix('\r').unwrap_or(line);
                for candidate in [line, line.trim()] {
                    if candidate.chars().count() >= MIN_LINE_CHARS {
                        bases.push(candidate);
                    }
                }
            }
        }
    }
    let mut forms: Vec<Zeroizing<String>> = Vec::new();
    for base in bases.into_iter().filter(|b| !b.is_empty()) {
        forms.push(Zeroizing::new(base.to_string()));
        for json in [
            Json::PLAIN,
            Json {
                html: true,
                ..Json::PLAIN
            },
            Json {
                ascii: true,
                ..Json::PLAIN
            },
            Json {
                slash: true,
                ..Json::PLAIN
            },
        ] {
            forms.push(json.escape(base));
        }
        for url in [
            Url::STRICT,
            Url {
                lower: true,
                ..Url::STRICT
            },
            Url {
                plus: true,
                ..Url::STRICT
            },
            Url {
                component: true,
                ..Url::STRICT
            },
        ] {
            forms.push(url.encode(base));
        }
    }
    forms.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    forms.dedup();
    forms
}

/// How a JSON encoder spells a string's contents (between the quotes).
/// All escape `"`, `\` and control characters; some also escape
/// `<`, `>`, `&`, U+2028 and U+2029 (Go's default, so Docker's), every
/// non-ASCII character (Python's default) or `/` (PHP's default).
#[derive(Clone, Copy)]
struct Json {
    html: bool,
    ascii: bool,
    slash: bool,
}

impl Json {
    const PLAIN: Json = Json {
        html: false,
        ascii: false,
        slash: false,
    };

    fn escape(self, text: &str) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(text.len() + 8));
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '/' if self.slash => out.push_str("\\/"),
                c if (c as u32) < 0x20 => push_u(&mut out, c as u32),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' if self.html => {
                    push_u(&mut out, c as u32)
                }
                c if self.ascii && !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        push_u(&mut out, u32::from(*unit));
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
}

fn push_u(out: &mut String, unit: u32) {
    out.push_str(&format!("\\u{unit:04x}"));
}

/// How a URL encoder spells a string: every byte outside RFC 3986's
/// unreserved set (`A-Z a-z 0-9 - . _ ~`) as `%XX`, upper-case hex or
/// lower-case; or a space as `+` (forms, query strings); or also leaving
/// `! ' ( ) *` as they are (JavaScript's `encodeURIComponent`).
#[derive(Clone, Copy)]
struct Url {
    lower: bool,
    plus: bool,
    component: bool,
}

impl Url {
    const STRICT: Url = Url {
        lower: false,
        plus: false,
        component: false,
    };

    fn encode(self, text: &str) -> Zeroizing<String> {
        let hex: &[u8; 16] = if self.lower {
            b"0123456789abcdef"
        } else {
            b"0123456789ABCDEF"
        };
        let mut out = Zeroizing::new(String::with_capacity(text.len() * 3));
        for &b in text.as_bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    out.push(char::from(b))
                }
                b'!' | b'\'' | b'(' | b')' | b'*' if self.component => out.push(char::from(b)),
                b' ' if self.plus => out.push('+'),
                b => {
                    out.push('%');
                    out.push(char::from(hex[usize::from(b >> 4)]));
                    out.push(char::from(hex[usize::from(b & 15)]));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(text: &str, values: &[&str]) -> String {
        Masker::new(values.iter().copied()).mask(text)
    }

    #[test]
    fn replaces_every_occurrence() {
        assert_eq!(
            mask("pw=hunter2, again hunter2.", &["hunter2"]),
            "pw=***, again ***."
        );
        assert_eq!(mask("nothing here", &["hunter2"]), "nothing here");
        assert_eq!(mask("a=x b=y", &["x", "y"]), "a=*** b=***");
    }

    #[test]
    fn empty_values_mask_nothing() {
        assert_eq!(mask("text", &[""]), "text");
        assert_eq!(mask("text", &[]), "text");
    }

    #[test]
    fn longest_value_wins() {
        assert_eq!(mask("secret-long", &["secret", "secret-long"]), "***");
        assert_eq!(
            mask("secret-short", &["secret", "secret-long"]),
            "***-short"
        );
    }

    #[test]
    fn multi_line_values_are_masked_whole_and_by_line() {
        let key = "-----BEGIN KEY-----\nAAAAbbbbCCCC\n  dd\n}\n-----END KEY-----\n";
        assert_eq!(mask(&format!("got {key}done"), &[key]), "got ***done");
        // A compose error that quotes one line of it, indented.
        assert_eq!(mask("line 2:   AAAAbbbbCCCC  ", &[key]), "line 2:   ***  ");
        // Short lines are left alone: they would mask ordinary output.
        assert_eq!(mask("} dd", &[key]), "} dd");
        // Windows line endings in the value.
        assert_eq!(mask("x\r\ny", &["abcd\r\nefgh"]), "x\r\ny");
        assert_eq!(mask("[efgh]", &["abcd\r\nefgh"]), "[***]");
    }

    #[test]
    fn handles_non_ascii() {
        assert_eq!(mask("é-motdepassé-é", &["motdepassé"]), "é-***-é");
    }

    #[test]
    fn json_escaped_forms_are_masked() {
        // `docker compose config --format json`, `docker inspect`: the value
        // `p"w\rd` (a quote, a backslash) shows as `p\"w\\rd`.
        assert_eq!(
            mask(r#"{"PW":"p\"w\\rd"}"#, &[r#"p"w\rd"#]),
            r#"{"PW":"***"}"#
        );
        // Control characters, Go's HTML-safe escapes, ASCII-only escapes.
        assert_eq!(mask(r#""a\tb\nc""#, &["a\tb\nc"]), r#""***""#);
        assert_eq!(mask(r#""x\u003cy\u0026""#, &["x<y&"]), r#""***""#);
        assert_eq!(mask(r#""mot\u00e9""#, &["moté"]), r#""***""#);
    }

    #[test]
    fn url_encoded_forms_are_masked() {
        let dsn = "postgres://app:p%40ss%21@db/app";
        assert_eq!(mask(dsn, &["p@ss!"]), "postgres://app:***@db/app");
        assert_eq!(mask("pw=p%40ss%21;", &["p@ss!"]), "pw=***;");
        let lower = "postgres://app:p%40ss%2a@db/app";
        assert_eq!(mask(lower, &["p@ss*"]), "postgres://app:***@db/app");
        // A query string: a space as `+`.
        assert_eq!(mask("?q=two+words%21", &["two words!"]), "?q=***");
    }

    #[test]
    fn lines_of_a_multi_line_value_are_masked_in_every_form() {
        let key = "-----BEGIN KEY-----\nAAAA/bbb+CCCC\n-----END KEY-----";
        assert_eq!(mask("x AAAA/bbb+CCCC y", &[key]), "x *** y");
        assert_eq!(mask("x AAAA%2Fbbb%2BCCCC y", &[key]), "x *** y");
        assert_eq!(
            mask(
                r#""-----BEGIN KEY-----\nAAAA/bbb+CCCC\n-----END KEY-----""#,
                &[key]
            ),
            r#""***""#
        );
    }

    #[test]
    fn overlapping_values_leave_no_fragment() {
        assert_eq!(mask("abc123xyz", &["abc123", "123xyz"]), "***");
        assert_eq!(mask("[abc123xyz]", &["123xyz", "abc123"]), "[***]");
        // One inside another, and a chain of three.
        assert_eq!(mask("aXbcdXe", &["Xbcd", "bc"]), "a***Xe");
        assert_eq!(mask("-aaabbbccc-", &["aaabb", "bbbcc", "bccc"]), "-***-");
        // Apart, each is its own mask.
        assert_eq!(mask("abc123 123xyz", &["abc123", "123xyz"]), "*** ***");
    }
}

//! The copy of a TOML file that diagnostics show: every value under a
//! `[secrets]` table or under a key that looks like a secret
//! (`secret_names.rs`) replaced by `*`, byte for byte, so that offsets,
//! lines and columns stay those of the real file. A line scanner, not a
//! parser: it works on files that do not parse, which are the ones errors
//! are about, and it errs on the side of hiding.

use super::secret_names::looks_like_secret;

/// The text with secret values starred out; same length, same line breaks.
pub(super) fn redact_toml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut table_is_secret = false;
    // A value that runs over lines (an array, a multi-line string).
    let mut open: Option<OpenValue> = None;
    for line in text.split_inclusive('\n') {
        let (body, ending) = split_line_ending(line);
        let trimmed = body.trim_start();
        if let Some(value) = &mut open {
            let ends_here = !value.scan.in_multiline_string()
                && (looks_like_bare_header(trimmed)
                    || (!value.secret && looks_like_assignment(trimmed)));
            if !ends_here {
                value.scan.feed(body);
                if value.secret {
                    star(&mut out, body);
                } else {
                    out.push_str(&redact_fresh_line(body, table_is_secret));
                }
                if value.scan.is_closed() {
                    open = None;
                }
                out.push_str(ending);
                continue;
            }
            open = None;
        }
        if trimmed.starts_with('[') {
            table_is_secret = header_is_secret(trimmed);
            out.push_str(body);
        } else if let Some(value_start) = value_start(body) {
            let key = &body[..value_start];
            let value = &body[value_start..];
            let mut scan = ValueScan::default();
            scan.feed(value);
            let secret = table_is_secret || key_path_is_secret(key) || scan.saw_secret_key;
            out.push_str(key);
            if secret {
                star(&mut out, value);
            } else {
                out.push_str(value);
            }
            if !scan.is_closed() {
                open = Some(OpenValue { secret, scan });
            }
        } else {
            out.push_str(&redact_fresh_line(body, table_is_secret));
        }
        out.push_str(ending);
    }
    out
}

/// A line read as if it started a statement, in a table that is secret or
/// not: the part of it that must not be shown, starred out. Used for lines
/// that are not `key = value`, and for the lines of a multi-line value
/// (which may be statements if the value was never closed).
fn redact_fresh_line(body: &str, table_is_secret: bool) -> String {
    let trimmed = body.trim_start();
    let indent = body.len() - trimmed.len();
    let mut out = String::with_capacity(body.len());
    if trimmed.starts_with('[') {
        out.push_str(body);
    } else if let Some(start) = value_start(body) {
        let key = &body[..start];
        out.push_str(key);
        if table_is_secret || key_path_is_secret(key) {
            star(&mut out, &body[start..]);
        } else {
            out.push_str(&body[start..]);
        }
    } else if let Some(comment) = trimmed.strip_prefix('#') {
        // A commented-out `KEY = value`.
        out.push_str(&body[..indent + 1]);
        out.push_str(&redact_fresh_line(comment, table_is_secret));
    } else if table_is_secret {
        out.push_str(&body[..indent]);
        star(&mut out, trimmed);
    } else {
        // `password hunter2`: a secret-looking word, then no `=`.
        let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (word, rest) = trimmed.split_at(word_end);
        out.push_str(&body[..indent]);
        out.push_str(word);
        if looks_like_secret(word) {
            star(&mut out, rest);
        } else {
            out.push_str(rest);
        }
    }
    out
}

struct OpenValue {
    secret: bool,
    scan: ValueScan,
}

/// Pushes `*` for every byte of `text` (so offsets stay right).
fn star(out: &mut String, text: &str) {
    out.extend(std::iter::repeat_n('*', text.len()));
}

fn split_line_ending(line: &str) -> (&str, &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    (body, &line[body.len()..])
}

/// Where the value of a `key = value` line starts (after `=` and blanks),
/// or `None` if the line has no `=` outside a quoted key.
fn value_start(body: &str) -> Option<usize> {
    let eq = assignment_eq(body)?;
    let after = &body[eq + 1..];
    Some(eq + 1 + (after.len() - after.trim_start().len()))
}

/// The `=` of `key = ...`: the first one outside quotes, before any `#`,
/// `[`, `{` or `,` (which would make the line something else).
fn assignment_eq(body: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '=') => return Some(i),
            (None, '#' | '[' | '{' | ',' | ']' | '}') => return None,
            _ => {}
        }
    }
    None
}

/// `key =` at the start of a line (a bare or quoted key).
fn looks_like_assignment(trimmed: &str) -> bool {
    let Some(eq) = assignment_eq(trimmed) else {
        return false;
    };
    let key = trimmed[..eq].trim();
    !key.is_empty()
        && (key.starts_with(['"', '\''])
            || key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
}

/// `[table]` or `[[table]]` of bare keys, maybe with a comment.
fn looks_like_bare_header(trimmed: &str) -> bool {
    let Some(inner) = trimmed.strip_prefix('[') else {
        return false;
    };
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    let Some(close) = inner.find(']') else {
        return false;
    };
    let name = inner[..close].trim();
    let rest = inner[close..].trim_start_matches(']').trim_start();
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        && (rest.is_empty() || rest.starts_with('#'))
}

fn header_is_secret(trimmed: &str) -> bool {
    let name = trimmed.trim_start_matches('[');
    let name = name.split(']').next().unwrap_or(name);
    key_path_is_secret(name)
}

/// A dotted key (`registry.password`, `"API_KEY"`, `secrets.X`) that is,
/// or is under, a secret.
fn key_path_is_secret(key: &str) -> bool {
    key.split('.').any(|part| {
        let part = part.trim().trim_matches(['"', '\'']);
        looks_like_secret(part)
    })
}

/// Follows a value over its lines: strings, comments, and the depth of
/// `[` and `{`; notes keys of inline tables that look like secrets.
#[derive(Default)]
struct ValueScan {
    depth: usize,
    state: ScanState,
    saw_secret_key: bool,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum ScanState {
    #[default]
    Plain,
    Basic,
    Literal,
    MultiBasic,
    MultiLiteral,
}

impl ValueScan {
    fn in_multiline_string(&self) -> bool {
        matches!(self.state, ScanState::MultiBasic | ScanState::MultiLiteral)
    }

    fn is_closed(&self) -> bool {
        self.depth == 0 && !self.in_multiline_string()
    }

    fn feed(&mut self, line: &str) {
        let bytes = line.as_bytes();
        let mut i = 0;
        // Where the current inline-table key began (after `{` or `,`).
        let mut key_start: Option<usize> = None;
        while i < bytes.len() {
            let b = bytes[i];
            let triple = |q: u8| bytes.get(i..i + 3) == Some(&[q, q, q][..]);
            match self.state {
                ScanState::Plain => match b {
                    b'#' => break,
                    b'"' if triple(b'"') => {
                        self.state = ScanState::MultiBasic;
                        i += 2;
                    }
                    b'\'' if triple(b'\'') => {
                        self.state = ScanState::MultiLiteral;
                        i += 2;
                    }
                    b'"' => self.state = ScanState::Basic,
                    b'\'' => self.state = ScanState::Literal,
                    b'[' | b'{' => {
                        self.depth += 1;
                        key_start = Some(i + 1);
                    }
                    b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                    b',' => key_start = Some(i + 1),
                    b'=' if self.depth > 0 => {
                        if let Some(start) = key_start.take() {
                            if key_path_is_secret(&line[start..i]) {
                                self.saw_secret_key = true;
                            }
                        }
                    }
                    _ => {}
                },
                ScanState::Basic => match b {
                    b'\\' => i += 1,
                    b'"' => self.state = ScanState::Plain,
                    _ => {}
                },
                ScanState::Literal => {
                    if b == b'\'' {
                        self.state = ScanState::Plain;
                    }
                }
                ScanState::MultiBasic => match b {
                    b'\\' => i += 1,
                    b'"' if triple(b'"') => {
                        self.state = ScanState::Plain;
                        i += 2;
                    }
                    _ => {}
                },
                ScanState::MultiLiteral => {
                    if triple(b'\'') {
                        self.state = ScanState::Plain;
                        i += 2;
                    }
                }
            }
            i += 1;
        }
        // A single-line string ends with its line, closed or not.
        if matches!(self.state, ScanState::Basic | ScanState::Literal) {
            self.state = ScanState::Plain;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_toml;

    fn check(text: &str, hidden: &[&str], shown: &[&str]) {
        let redacted = redact_toml(text);
        assert_eq!(redacted.len(), text.len());
        assert_eq!(
            redacted.matches('\n').count(),
            text.matches('\n').count(),
            "{redacted}"
        );
        for h in hidden {
            assert!(!redacted.contains(h), "`{h}` is shown:\n{redacted}");
        }
        for s in shown {
            assert!(redacted.contains(s), "`{s}` is hidden:\n{redacted}");
        }
    }

    #[test]
    fn values_under_secrets_and_secret_keys() {
        check(
            "[registry]\nserver = \"ghcr.io\"\npassword = \"pw1\"\npasswrod = \"pw2\"\n[secrets]\nX = \"pw3\"\nY = [\n  \"pw4\",\n]\n[env]\nDB_TOKEN = 'pw5'\nA = \"plain\"\n",
            &["pw1", "pw2", "pw3", "pw4", "pw5"],
            &["ghcr.io", "password = ", "[env]", "A = \"plain\"", "X = "],
        );
    }

    #[test]
    fn broken_lines() {
        check(
            "[secrets]\nAPI_KEY hunter2\nBOGUS = 1 2\n[env]\npassword hunter3\nsecrets.K = \"hunter4\"\nenv = { A = 1, PASSWORD = \"hunter5\" }\n",
            &["hunter2", "hunter3", "hunter4", "hunter5", "1 2"],
            &["[env]", "password", "secrets.K = "],
        );
    }

    #[test]
    fn multi_line_values() {
        check(
            "[secrets]\nK = \"\"\"\nhunter2\n[env]\n\"\"\"\n[env]\nA = [\n  \"plain\",\n]\nB = \"\"\"\n[not a table]\n\"\"\"\nC = \"shown\"\n",
            &["hunter2"],
            &["\"plain\",", "[not a table]", "C = \"shown\""],
        );
    }

    #[test]
    fn an_unclosed_array_does_not_swallow_a_secret_table() {
        check(
            "images = [\"a\",\n[secrets]\nK = \"hunter2\"\n",
            &["hunter2"],
            &["images"],
        );
        check(
            "images = [\"a\",\nAPI_TOKEN = \"hunter2\"\n",
            &["hunter2"],
            &["images"],
        );
    }

    #[test]
    fn a_commented_out_secret() {
        check(
            "[registry]\n# password = \"hunter2\"\n# the server\n",
            &["hunter2"],
            &["# the server"],
        );
    }

    #[test]
    fn multi_byte_secrets_keep_the_offsets() {
        check(
            "[secrets]\nK = \"pässwörd€\"\nL = 1 2\n",
            &["pä", "1 2"],
            &["L = "],
        );
    }
}

//! How deep a YAML text nests flow collections (`[` and `{`), counted on
//! the raw text before it is parsed: serde_yaml_ng's scanner costs time in
//! proportion to the depth for every token, so 64 KB of `[` took half a
//! minute. Brackets inside quoted scalars, plain scalars, comments and
//! block scalars are not indicators and are not counted.

/// More levels of `[` and `{` than any compose file needs.
pub(super) const MAX_FLOW_DEPTH: usize = 64;

/// The byte offset of the first `[` or `{` that opens level
/// `MAX_FLOW_DEPTH + 1`, if any.
pub(super) fn too_deep_at(text: &str) -> Option<usize> {
    let mut scan = Scan::default();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if let Some(at) = scan.line(line) {
            return Some(line_start + at);
        }
        line_start += line.len();
    }
    None
}

#[derive(Default, Clone, Copy, PartialEq)]
enum State {
    /// Where a token may start: after blanks, `,`, `[`, `- `, `: `...
    #[default]
    Between,
    /// Inside a plain scalar (brackets are text in block context).
    Plain,
    Single,
    Double,
}

#[derive(Default)]
struct Scan {
    depth: usize,
    state: State,
    /// A block scalar (`|`, `>`) below a line of this indentation; its
    /// content indentation once known.
    block: Option<(usize, Option<usize>)>,
    /// The indentation of the line where the current plain scalar began.
    plain_indent: usize,
}

impl Scan {
    /// Scans one line (with its `\n`); the offset in it of a `[` or `{`
    /// one level too deep.
    fn line(&mut self, line: &str) -> Option<usize> {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = line[indent..].trim().is_empty();
        if !matches!(self.state, State::Single | State::Double) {
            if let Some((parent, content)) = self.block {
                match content {
                    _ if blank => return None,
                    None if indent > parent => {
                        self.block = Some((parent, Some(indent)));
                        return None;
                    }
                    Some(content) if indent >= content => return None,
                    _ => self.block = None,
                }
            }
            // A plain scalar goes on over more indented lines (any line in
            // flow context): a quote there is text, not a quoted scalar.
            let continues = self.state == State::Plain
                && !blank
                && !line[indent..].starts_with('#')
                && (self.depth > 0 || indent > self.plain_indent);
            if continues {
                return self.scan_from(line, indent, indent);
            }
            self.state = State::Between;
            if line.starts_with("---") || line.starts_with("...") {
                let rest = &bytes[3..];
                if rest.first().is_none_or(|b| b.is_ascii_whitespace()) {
                    return self.scan_from(line, 3, indent);
                }
            }
            if line.starts_with('%') {
                return None;
            }
        }
        self.scan_from(line, 0, indent)
    }

    fn scan_from(&mut self, line: &str, from: usize, indent: usize) -> Option<usize> {
        let bytes = line.as_bytes();
        let next_is_blank = |i: usize| bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace());
        let mut i = from;
        while i < bytes.len() {
            let b = bytes[i];
            match self.state {
                State::Single => {
                    if b == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            self.state = State::Between;
                        }
                    }
                }
                State::Double => match b {
                    b'\\' => i += 1,
                    b'"' => self.state = State::Between,
                    _ => {}
                },
                State::Plain => {
                    let flow = self.depth > 0;
                    match b {
                        b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => return None,
                        b':' if next_is_blank(i)
                            || (flow
                                && matches!(
                                    bytes.get(i + 1),
                                    Some(b',' | b'[' | b']' | b'{' | b'}')
                                )) =>
                        {
                            self.state = State::Between
                        }
                        b',' | b'[' | b']' | b'{' | b'}' if flow => {
                            self.state = State::Between;
                            continue;
                        }
                        _ => {}
                    }
                }
                State::Between => match b {
                    b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
                    b'#' => return None,
                    b'\'' => self.state = State::Single,
                    b'"' => self.state = State::Double,
                    b'[' | b'{' => {
                        self.depth += 1;
                        if self.depth > MAX_FLOW_DEPTH {
                            return Some(i);
                        }
                    }
                    b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                    b'-' | b'?' | b':' if next_is_blank(i) => {}
                    b':' if self.depth > 0 => {}
                    b'|' | b'>' if self.depth == 0 => {
                        // Explicit indentation (`|2`): not followed, so
                        // its lines are scanned as any others.
                        let header = &line[i + 1..];
                        let explicit = header
                            .split('#')
                            .next()
                            .is_some_and(|h| h.bytes().any(|b| b.is_ascii_digit()));
                        if !explicit {
                            self.block = Some((indent, None));
                        }
                        return None;
                    }
                    b'&' | b'*' | b'!' => {
                        while i + 1 < bytes.len()
                            && !bytes[i + 1].is_ascii_whitespace()
                            && !matches!(bytes[i + 1], b',' | b'[' | b']' | b'{' | b'}')
                        {
                            i += 1;
                        }
                    }
                    _ => {
                        self.state = State::Plain;
                        self.plain_indent = indent;
                    }
                },
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{too_deep_at, MAX_FLOW_DEPTH};

    fn nested(n: usize) -> String {
        format!("a: {}1{}\n", "[".repeat(n), "]".repeat(n))
    }

    #[test]
    fn flow_depth_is_bounded() {
        assert_eq!(too_deep_at(&nested(MAX_FLOW_DEPTH)), None);
        assert_eq!(
            too_deep_at(&nested(MAX_FLOW_DEPTH + 1)),
            Some(3 + MAX_FLOW_DEPTH)
        );
        let mixed = format!("x:\n  y: {}\n", "{a: [".repeat(40));
        // Level 65 is the `{` of the 33rd `{a: [`.
        assert_eq!(
            too_deep_at(&mixed),
            Some("x:\n  y: ".len() + 32 * "{a: [".len())
        );
        let multi_line = format!("x: [\n{}", "  [\n".repeat(80));
        assert!(too_deep_at(&multi_line).is_some());
    }

    #[test]
    fn brackets_that_are_not_indicators_do_not_count() {
        let many = "[".repeat(100);
        for text in [
            format!("a: \"{many}\"\nb: '{many}'\n"),
            format!("a: x{many}\n"),
            format!("a: it's {many}\n"),
            format!("# {many}\na: 1 # {many}\n"),
            format!("a: |\n  {many}\n   '\n\n  {many}\nb: 1\n"),
            format!("a: >-\n    {many}\n"),
            format!("a: [\"{many}\", '{many}''{many}']\n"),
            format!("a: \"multi\n  line {many}\"\n"),
            format!("a: plain\n  'continued {many}\n"),
            format!("cmd: [sh, -c, 'test -f x'] # {many}\n"),
        ] {
            assert_eq!(too_deep_at(&text), None, "{text}");
        }
    }

    #[test]
    fn brackets_after_a_block_scalar_or_a_document_marker_count() {
        let deep = "[".repeat(MAX_FLOW_DEPTH + 1);
        for text in [
            format!("a: |\n  text\nb: {deep}\n"),
            format!("--- {deep}\n"),
            format!("a: 'x'\nb: {deep}\n"),
            format!("a: \"x\\\"\"\nb: {deep}\n"),
            format!("- &anchor {deep}\n"),
            // A quote in a plain scalar's next line is text: no quoted
            // scalar swallows what follows.
            format!("a: plain\n  'continued\nb: {deep}\n"),
            format!("a: [plain\n 'continued, {deep}\n"),
        ] {
            assert!(too_deep_at(&text).is_some(), "{text}");
        }
    }
}

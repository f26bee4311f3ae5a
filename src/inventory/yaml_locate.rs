//! Where a key sits in a compose file, for error positions. serde_yaml_ng's
//! `Value` keeps no positions, and compose files are written in block style
//! almost always, so walking the indentation is enough. When a key is not
//! written where expected (it comes from an anchor, or a flow mapping), the
//! closest written parent is returned instead, so an error still points near.

use std::ops::Range;

/// The span of the deepest key of `path` found, e.g. `["services", "web",
/// "image"]` gives `image` if it is written under `web`, else `web`.
pub fn locate(text: &str, path: &[&str]) -> Option<Range<usize>> {
    walk(text, path).map(|found| found.key)
}

/// The span of `needle` inside the value of the key at `path` (a profile in
/// `profiles: [a, b]` or in the list below it); else as `locate`.
pub fn locate_value(text: &str, path: &[&str], needle: &str) -> Option<Range<usize>> {
    let found = walk(text, path)?;
    if found.depth == path.len() {
        let value = &text[found.key.end..found.block_end];
        if let Some(at) = find_word(value, needle) {
            let start = found.key.end + at;
            return Some(start..start + needle.len());
        }
    }
    Some(found.key)
}

/// The second `key:` of the block mapping whose first key is at `offset`:
/// serde_yaml_ng reports a duplicate key at the start of its mapping, but
/// the one to remove is the repeat.
pub fn repeated_key(text: &str, offset: usize, key: &str) -> Option<Range<usize>> {
    let lines = significant_lines(text);
    let first = lines.iter().rposition(|l| l.start <= offset)?;
    let indent = lines[first].indent;
    lines[first..]
        .iter()
        .take_while(|l| l.indent >= indent)
        .filter(|l| l.indent == indent)
        .filter_map(|l| {
            key_of(l.text)
                .filter(|span| &l.text[span.clone()] == key)
                .map(|span| l.start + l.indent + span.start..l.start + l.indent + span.end)
        })
        .nth(1)
}

struct Found {
    key: Range<usize>,
    /// How many keys of the path were found.
    depth: usize,
    /// The end of the key's value: the last line indented below it.
    block_end: usize,
}

/// One line that is not blank or a comment: its offset, indentation, text.
struct Line<'a> {
    start: usize,
    indent: usize,
    text: &'a str,
}

fn walk(text: &str, path: &[&str]) -> Option<Found> {
    let lines = significant_lines(text);
    let mut found: Option<Found> = None;
    // The lines to search for the next key, and the indentation of its parent.
    let mut from = 0;
    let mut parent_indent: Option<usize> = None;
    for (depth, key) in path.iter().enumerate() {
        let mut child_indent = None;
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            if parent_indent.is_some_and(|p| line.indent <= p) {
                break; // the parent's block has ended
            }
            // Keys of one mapping share the indentation of the first one.
            if line.indent != *child_indent.get_or_insert(line.indent) {
                continue;
            }
            if let Some(key_span) =
                key_of(line.text).filter(|span| &line.text[span.clone()] == *key)
            {
                hit = Some((
                    i,
                    line.start + line.indent + key_span.start
                        ..line.start + line.indent + key_span.end,
                ));
                break;
            }
        }
        let Some((i, key_span)) = hit else { break };
        let indent = lines[i].indent;
        let block_end = lines[i + 1..]
            .iter()
            .take_while(|l| l.indent > indent)
            .last()
            .map_or(
                lines[i].start + lines[i].indent + lines[i].text.len(),
                |l| l.start + l.indent + l.text.len(),
            );
        found = Some(Found {
            key: key_span,
            depth: depth + 1,
            block_end,
        });
        from = i + 1;
        parent_indent = Some(indent);
    }
    found
}

fn significant_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let body = raw.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start_matches(' ');
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            lines.push(Line {
                start,
                indent: body.len() - trimmed.len(),
                text: trimmed,
            });
        }
        start += raw.len();
    }
    lines
}

/// The key of a `key: value` line, as a span within the (unindented) line.
fn key_of(line: &str) -> Option<Range<usize>> {
    if let Some(quote) = line.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        let close = line[1..].find(quote)? + 1;
        return line[close + 1..].starts_with(':').then_some(1..close);
    }
    if line.starts_with(['-', '[', '{', '?']) {
        return None;
    }
    // `key:` followed by a space or the end of the line (`a:b` is a scalar).
    let colon = line
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| line[i + 1..].is_empty() || line[i + 1..].starts_with([' ', '\t']))?;
    Some(0..line[..colon].trim_end().len())
}

/// `needle` as a whole word (not inside a longer name such as `scale-40`).
fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    haystack.match_indices(needle).map(|(i, _)| i).find(|&i| {
        !haystack[..i].ends_with(is_word) && !haystack[i + needle.len()..].starts_with(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
x-app: &app
  image: other
# services: in a comment
services:
  db:
    <<: *app
  \"web\":
    image: nginx   # image: again
    profiles:
      - scale-20
      - scale-2
  api:
    profiles: [scale-3]
volumes:
  web:
";

    fn at(range: Option<Range<usize>>) -> &'static str {
        range.map_or("", |r| &TEXT[r])
    }

    fn line_of(range: Option<Range<usize>>) -> usize {
        TEXT[..range.unwrap().start].matches('\n').count() + 1
    }

    #[test]
    fn finds_nested_keys_by_indentation() {
        assert_eq!(line_of(locate(TEXT, &["services"])), 4);
        assert_eq!(line_of(locate(TEXT, &["services", "web", "image"])), 8);
        assert_eq!(at(locate(TEXT, &["services", "web"])), "web");
        // `web` under volumes is another key.
        assert_eq!(line_of(locate(TEXT, &["volumes", "web"])), 15);
    }

    #[test]
    fn falls_back_to_the_closest_written_parent() {
        // db's image comes from the anchor: point at db.
        assert_eq!(line_of(locate(TEXT, &["services", "db", "image"])), 5);
        assert_eq!(line_of(locate(TEXT, &["services", "nope"])), 4);
        assert_eq!(locate(TEXT, &["nope"]), None);
    }

    #[test]
    fn finds_values_in_block_and_flow_lists() {
        assert_eq!(
            line_of(locate_value(
                TEXT,
                &["services", "web", "profiles"],
                "scale-2"
            )),
            11
        );
        assert_eq!(
            line_of(locate_value(
                TEXT,
                &["services", "api", "profiles"],
                "scale-3"
            )),
            13
        );
        assert_eq!(
            line_of(locate_value(
                TEXT,
                &["services", "api", "profiles"],
                "scale-9"
            )),
            13
        );
    }

    #[test]
    fn finds_a_repeated_key() {
        let text = "services:\n  web:\n    image: a\n  db:\n    image: b\n  web:\n    image: c\n";
        let first_key = text.find("web").unwrap();
        assert_eq!(
            repeated_key(text, first_key, "web").map(|r| r.start),
            text.rfind("web")
        );
        assert_eq!(repeated_key(text, first_key, "db"), None);
    }

    #[test]
    fn keys() {
        assert_eq!(key_of("image: x").map(|r| &"image: x"[r]), Some("image"));
        assert_eq!(key_of("a:b"), None);
        assert_eq!(key_of("- a: b"), None);
        assert_eq!(key_of("'we b':").map(|r| &"'we b':"[r]), Some("we b"));
    }
}

//! Replacing secret values in text by `***`.

/// What stands for a value in output.
pub(crate) const MASK: &str = "***";

/// The shortest line of a multi-line value that is masked on its own: a
/// shorter one (`}`, `--`, an empty line) would mask ordinary output.
const MIN_LINE_CHARS: usize = 4;

/// The strings to mask for these values, longest first: each non-empty
/// value (also without its final line ending), and each line of a
/// multi-line value with at least `MIN_LINE_CHARS` characters (also
/// trimmed, as output often indents it).
pub(crate) fn patterns<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut patterns = Vec::new();
    for value in values {
        if value.is_empty() {
            continue;
        }
        patterns.push(value);
        let trimmed = value.trim_end_matches(['\n', '\r']);
        if !trimmed.is_empty() {
            patterns.push(trimmed);
        }
        if value.contains('\n') {
            for line in value.split('\n') {
                let line = line.strip_suffix('\r').unwrap_or(line);
                for candidate in [line, line.trim()] {
                    if candidate.chars().count() >= MIN_LINE_CHARS {
                        patterns.push(candidate);
                    }
                }
            }
        }
    }
    patterns.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    patterns.dedup();
    patterns
}

/// `text` with each occurrence of a pattern replaced by `***`, scanning
/// left to right and taking the longest pattern that matches at each place.
/// `patterns` must be sorted longest first and hold no empty string.
pub(crate) fn replace(text: &str, patterns: &[&str]) -> String {
    if patterns.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(p) = patterns.iter().find(|p| rest.starts_with(**p)) {
            out.push_str(MASK);
            rest = &rest[p.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(text: &str, values: &[&str]) -> String {
        replace(text, &patterns(values.iter().copied()))
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
}

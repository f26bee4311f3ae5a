//! TOML syntax and shape errors (unknown key, missing key, wrong type) as
//! diagnostics. toml's messages name neither the table nor the key, so the
//! key path (`nodes.node-a.scale`) is read back from the text at the error.

use std::ops::Range;

use super::config_error::{ConfigError, SourceFile};

/// `is_secret` says which key paths of this file hold secrets, so that a
/// mistyped one (unquoted, say) is not echoed in the snippet.
pub(super) fn toml_error(
    file: &SourceFile,
    error: &toml::de::Error,
    is_secret: fn(&str) -> bool,
) -> ConfigError {
    // Multi-line messages ("invalid array\nexpected `]`") on one line.
    let raw = error
        .message()
        .trim()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", ");
    let Some(span) = error.span() else {
        return file.error(readable_types(&raw), None);
    };
    let text = &file.text;
    let (message, help) = if let Some(field) = between(&raw, "missing field `", "`") {
        // toml points at the table that lacks the key.
        let table = table_at(text, span.start);
        let in_table = if table.is_empty() {
            "at the top of the file".to_string()
        } else {
            format!("to [{table}]")
        };
        (
            format!("{}: required key missing", join(&table, field)),
            Some(format!("add `{field} = ...` {in_table}")),
        )
    } else if let Some(field) = between(&raw, "unknown field `", "`") {
        let path = key_path_at(text, span.start);
        let expected = expected_keys(&raw);
        let closest = expected
            .iter()
            .filter(|k| strsim::jaro_winkler(k, field) > 0.8)
            .max_by(|a, b| {
                strsim::jaro_winkler(a, field).total_cmp(&strsim::jaro_winkler(b, field))
            });
        let help = match closest {
            Some(close) => format!("did you mean `{close}`? (unknown keys are refused so that a typo is never ignored)"),
            None => "check the spelling: unknown keys are refused so that a typo is never ignored".to_string(),
        };
        let known = if expected.is_empty() {
            String::new()
        } else {
            format!(" (known keys: {})", expected.join(", "))
        };
        (format!("{path}: unknown key{known}"), Some(help))
    } else {
        let path = key_path_at(text, span.start);
        let message = readable_types(&raw);
        (
            if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            },
            None,
        )
    };
    if is_secret(&key_path_at(text, span.start)) {
        return file.secret_error_at(span, message, help);
    }
    file.error_at(span, message, help)
}

/// serde's type names in the words of a TOML file.
fn readable_types(message: &str) -> String {
    message
        .replace("expected i64", "expected an integer")
        .replace("expected u32", "expected an integer")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("invalid type: map", "invalid type: table")
}

fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let len = text[start..].find(after)?;
    Some(&text[start..start + len])
}

/// The keys listed in "expected one of `a`, `b`" or "expected `a`".
fn expected_keys(message: &str) -> Vec<&str> {
    let Some(list) = message.split_once("expected ").map(|(_, rest)| rest) else {
        return Vec::new();
    };
    list.split('`').skip(1).step_by(2).collect()
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// The key path at a byte offset: the `[table]` in force, the key of the
/// line, and the key inside an inline table (`env = { A = 1 }` gives
/// `nodes.node-a.env.A`).
pub(super) fn key_path_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return String::new();
    }
    let line = line_at(text, offset);
    let table = table_at(text, offset);
    if text[line.clone()].trim_start().starts_with('[') {
        return table;
    }
    // Inside a multi-line array the key is on an earlier line.
    let Some(line) = key_line_at(text, line) else {
        return table;
    };
    let line_text = &text[line.clone()];
    let offset = offset.clamp(line.start, line.end);
    let Some(eq) = line_text.find('=') else {
        return table;
    };
    let mut path = join(&table, &unquote(&line_text[..eq]));
    // Inside an inline table: the last `{` or `,` before the offset starts
    // the inner `key = value`.
    let before = &line_text[..offset - line.start];
    if before.len() > eq && before[eq..].contains('{') {
        if let Some(sep) = before.rfind(['{', ',']) {
            let inner = &line_text[sep + 1..];
            if let Some(inner_eq) = inner.find('=') {
                path = join(&path, &unquote(&inner[..inner_eq]));
            }
        }
    }
    path
}

/// The line with the `key =` in force at `line`: itself, or the closest
/// one above it (within the table), for values that span lines.
fn key_line_at(text: &str, mut line: Range<usize>) -> Option<Range<usize>> {
    loop {
        let body = text[line.clone()].trim_start();
        if body.starts_with('[') {
            return None;
        }
        if body.contains('=') && !body.starts_with('#') {
            return Some(line);
        }
        if line.start == 0 {
            return None;
        }
        line = line_at(text, line.start - 1);
    }
}

fn unquote(key: &str) -> String {
    key.trim().trim_matches(['"', '\'']).to_string()
}

fn line_at(text: &str, offset: usize) -> Range<usize> {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    start..end
}

/// The `[table]` or `[[table]]` in force at a byte offset (a header on the
/// offset's own line counts), `""` at the top.
fn table_at(text: &str, offset: usize) -> String {
    text[..line_at(text, offset.min(text.len())).end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n[nodes.node-a]\nhost = \"h\"\nenv = { A = 1, \"B\" = 2 }\nstacks = [\n  \"a\",\n  3,\n]\n[[hooks.before_up]]\n";

    fn path_at(needle: &str) -> String {
        key_path_at(TEXT, TEXT.find(needle).unwrap())
    }

    #[test]
    fn key_paths() {
        assert_eq!(path_at("\"x\""), "name");
        assert_eq!(path_at("[nodes"), "nodes.node-a");
        assert_eq!(path_at("\"h\""), "nodes.node-a.host");
        assert_eq!(path_at("1"), "nodes.node-a.env.A");
        assert_eq!(path_at("2"), "nodes.node-a.env.B");
        assert_eq!(path_at("3"), "nodes.node-a.stacks");
        assert_eq!(path_at("[[hooks"), "hooks.before_up");
    }

    #[test]
    fn expected_key_lists() {
        assert_eq!(
            expected_keys("unknown field `x`, expected one of `a`, `b`"),
            ["a", "b"]
        );
        assert_eq!(expected_keys("unknown field `x`, expected `a`"), ["a"]);
        assert!(expected_keys("unknown field `x`, there are no fields").is_empty());
    }
}

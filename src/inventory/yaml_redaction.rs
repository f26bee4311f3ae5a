//! The copy of a compose file that diagnostics show: the value of every
//! key that looks like a secret (`secret_names.rs`), as `KEY: value`,
//! `- KEY=value` or a block scalar below such a key, replaced by `*` byte
//! for byte, so offsets, lines and columns stay those of the real file.
//! A line scanner: it works on files that do not parse.

use super::secret_names::looks_like_secret;

pub(super) fn redact_yaml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The indentation of a secret key whose block scalar (`|`, `>`) follows.
    let mut block_under: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim_start();
        let indent = body.len() - trimmed.len();
        if let Some(key_indent) = block_under {
            if trimmed.is_empty() || indent > key_indent {
                star(&mut out, body);
                out.push_str(ending);
                continue;
            }
            block_under = None;
        }
        match secret_value_start(body) {
            Some(start) => {
                out.push_str(&body[..start]);
                star(&mut out, &body[start..]);
                let value = body[start..].trim();
                if value.is_empty() || value.starts_with(['|', '>']) {
                    block_under = Some(indent);
                }
            }
            None => out.push_str(body),
        }
        out.push_str(ending);
    }
    out
}

/// Where the value of the first secret-looking `KEY:` or `KEY=` of the line
/// starts (after the separator and blanks).
fn secret_value_start(body: &str) -> Option<usize> {
    let mut word_start = None;
    for (i, c) in body.char_indices() {
        let in_word = c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
        match (word_start, in_word) {
            (None, true) => word_start = Some(i),
            (Some(start), false) => {
                word_start = None;
                let separator = c == '=' || (c == ':' && !body[i + 1..].starts_with(['/', ':']));
                let word = &body[start..i];
                let quoted_end = matches!(c, '"' | '\'') && body[i + 1..].starts_with([':', '=']);
                if (separator || quoted_end) && looks_like_secret(word) {
                    let after = i + 1 + usize::from(quoted_end);
                    let rest = &body[after..];
                    return Some(after + (rest.len() - rest.trim_start().len()));
                }
            }
            _ => {}
        }
    }
    None
}

fn star(out: &mut String, text: &str) {
    out.extend(std::iter::repeat_n('*', text.len()));
}

#[cfg(test)]
mod tests {
    use super::redact_yaml;

    #[test]
    fn secret_values_of_compose_files() {
        let text = "services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: hunter1\n      - API_TOKEN=hunter2\n      \"DB_SECRET\": hunter3\n    command: |\n      run\n    x-private-key: |\n      hunter4\n      hunter5\n    ports: [80]\n";
        let redacted = redact_yaml(text);
        assert_eq!(redacted.len(), text.len());
        for hidden in ["hunter1", "hunter2", "hunter3", "hunter4", "hunter5"] {
            assert!(!redacted.contains(hidden), "{hidden}:\n{redacted}");
        }
        for shown in [
            "image: postgres",
            "POSTGRES_PASSWORD: ",
            "run",
            "ports: [80]",
        ] {
            assert!(redacted.contains(shown), "{shown}:\n{redacted}");
        }
    }
}

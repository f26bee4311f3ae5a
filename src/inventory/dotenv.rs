//! A stack folder's `.env` file, as Compose reads it for interpolation:
//! `KEY=VALUE` lines (an `export ` before the key is allowed), `#` comments
//! and blank lines skipped.

use std::path::Path;

use super::config_error::SourceFile;

/// The `.env` beside a stack's compose.yml: its text and its variables.
pub struct DotEnv {
    /// The file, for diagnostics at one of its lines.
    pub file: SourceFile,
    /// (name, value without quotes, offset of the name in the text).
    pub variables: Vec<(String, String, usize)>,
}

impl DotEnv {
    /// `dir/.env`, if there is one that can be read.
    pub fn read(dir: &Path) -> Option<DotEnv> {
        let file = SourceFile::read(&dir.join(".env")).ok()?;
        let variables = parse(&file.text);
        Some(DotEnv { file, variables })
    }

    pub fn get(&self, name: &str) -> Option<&(String, String, usize)> {
        self.variables.iter().find(|(n, _, _)| n == name)
    }
}

fn parse(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let (body, skipped) = match trimmed.strip_prefix("export ") {
            Some(rest) => (rest.trim_start(), trimmed.len() - rest.trim_start().len()),
            None => (trimmed, 0),
        };
        if body.starts_with('#') {
            continue;
        }
        let Some((name, value)) = body.split_once('=') else {
            continue;
        };
        let name = name.trim_end();
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        out.push((
            name.to_string(),
            value.to_string(),
            start + indent + skipped,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_lines() {
        let text = "# comment\nA=1\n\nexport B = \"two\"\n  C='3'\nnot a line\nD=\n";
        let vars = parse(text);
        let names: Vec<(&str, &str)> = vars
            .iter()
            .map(|(n, v, _)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(names, [("A", "1"), ("B", "two"), ("C", "3"), ("D", "")]);
        assert_eq!(&text[vars[1].2..vars[1].2 + 1], "B");
        assert_eq!(&text[vars[2].2..vars[2].2 + 1], "C");
    }
}

//! Control characters in what homectl prints, made visible (docs/operations.md,
//! "Output"): text that came from a node, an env value or a hook argument
//! cannot move the cursor, recolour or rewrite the terminal.

use std::borrow::Cow;

/// `text` with each control character except `\n` and `\t` written as a
/// visible escape: `\r`, `\x1b` (ESC) and `\xHH` for the others below
/// U+0020; `\u007f` for DEL, `\u0080`...`\u009f` for the C1 controls and
/// `\u202e`-style for the bidirectional overrides and isolates. A
/// backslash is left alone. The escapes are valid JSON escapes too, so JSON
/// text (which never holds a raw character below U+0020) stays valid JSON
/// meaning the same.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) && (c as u32) < 0x20 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_visible() {
        assert_eq!(escape_controls("a\x1b[31mred\rb"), "a\\x1b[31mred\\rb");
        assert_eq!(
            escape_controls("bell\x07 nul\0 bs\x08"),
            "bell\\x07 nul\\x00 bs\\x08"
        );
        assert_eq!(
            escape_controls("del\x7f csi\u{9b}2J"),
            "del\\u007f csi\\u009b2J"
        );
        assert_eq!(escape_controls("abc\u{202e}fed"), "abc\\u202efed");
    }

    #[test]
    fn ordinary_text_is_kept() {
        let text = "line 1\n\tindented, C:\\path, ✓ é 日本\n";
        assert!(matches!(escape_controls(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn json_stays_valid_and_means_the_same() {
        let value = serde_json::json!({"detail": "a\u{9b}b\u{7f}c\u{202e}d\x1b"});
        let text = value.to_string();
        let shown = escape_controls(&text);
        assert!(
            !shown.contains('\u{9b}') && !shown.contains('\u{7f}'),
            "{shown}"
        );
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, value);
    }
}

//! Compose's interpolation syntax (docs/stacks.md, "Variables"): which
//! variables a string of compose.yml reads, and what happens when one is
//! unset. `$$` is a literal `$`; a `$` that starts no valid form is left
//! alone (no variable).

use std::ops::Range;

/// One `$VAR` or `${VAR...}` in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// The whole form, `${A:-x}`, in the string.
    pub span: Range<usize>,
    pub rule: Rule,
    /// Inside another form's default, alternate or message: read only when
    /// that one's variable is unset (or set, for `:+`).
    pub nested: bool,
}

/// What Compose does when the variable is unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `$VAR`, `${VAR}`: blank, with a warning.
    Plain,
    /// `${VAR:-d}`, `${VAR-d}`: the default.
    Default,
    /// `${VAR:?msg}`, `${VAR?msg}`: an error with the message.
    Required(String),
    /// `${VAR:+x}`, `${VAR+x}`: blank.
    Alternate,
}

/// Every variable `text` reads, nested ones included, in order.
pub fn variables(text: &str) -> Vec<Variable> {
    let mut out = Vec::new();
    scan(text, 0, false, &mut out);
    out
}

fn scan(text: &str, base: usize, nested: bool, out: &mut Vec<Variable>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => match braced(text, i) {
                Some((end, name, rule, inner)) => {
                    out.push(Variable {
                        name,
                        span: base + i..base + end,
                        rule,
                        nested,
                    });
                    if let Some(inner) = inner {
                        scan(&text[inner.clone()], base + inner.start, true, out);
                    }
                    i = end;
                }
                None => i += 1,
            },
            Some(_) => {
                let len = name_len(&text[i + 1..]);
                if len > 0 {
                    out.push(Variable {
                        name: text[i + 1..i + 1 + len].to_string(),
                        span: base + i..base + i + 1 + len,
                        rule: Rule::Plain,
                        nested,
                    });
                }
                i += 1 + len;
            }
            None => i += 1,
        }
    }
}

/// `${...}` starting at `at`: its end (after `}`), name, rule and the span
/// of the text after the operator; `None` if it is not a valid form.
fn braced(text: &str, at: usize) -> Option<(usize, String, Rule, Option<Range<usize>>)> {
    let start = at + 2;
    let len = name_len(&text[start..]);
    if len == 0 {
        return None;
    }
    let name = text[start..start + len].to_string();
    let rest = &text[start + len..];
    if rest.starts_with('}') {
        return Some((start + len + 1, name, Rule::Plain, None));
    }
    let op = [":-", ":?", ":+", "-", "?", "+"]
        .into_iter()
        .find(|op| rest.starts_with(op))?;
    let inner_start = start + len + op.len();
    // The closing brace, past any nested `${...}`.
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut j = inner_start;
    while j < bytes.len() {
        match bytes[j] {
            b'$' if bytes.get(j + 1) == Some(&b'$') => j += 1,
            b'$' if bytes.get(j + 1) == Some(&b'{') => {
                depth += 1;
                j += 1;
            }
            b'}' if depth == 0 => {
                let inner = inner_start..j;
                let rule = match op.trim_start_matches(':') {
                    "-" => Rule::Default,
                    "?" => Rule::Required(text[inner.clone()].to_string()),
                    _ => Rule::Alternate,
                };
                return Some((j + 1, name, rule, Some(inner)));
            }
            b'}' => depth -= 1,
            _ => {}
        }
        j += 1;
    }
    None
}

/// The length of the variable name at the start of `text`:
/// `[A-Za-z_][A-Za-z0-9_]*`.
fn name_len(text: &str) -> usize {
    if !text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return 0;
    }
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, Rule, bool, &str)> {
        variables(text)
            .into_iter()
            .map(|v| {
                let form = &text[v.span.clone()];
                (v.name, v.rule, v.nested, form)
            })
            .collect()
    }

    fn one<'a>(name: &str, rule: Rule, form: &'a str) -> (String, Rule, bool, &'a str) {
        (name.to_string(), rule, false, form)
    }

    #[test]
    fn plain_forms() {
        assert_eq!(read("$VAR"), [one("VAR", Rule::Plain, "$VAR")]);
        assert_eq!(read("a/${VAR}:b"), [one("VAR", Rule::Plain, "${VAR}")]);
        assert_eq!(
            read("$A-$B_2.x"),
            [one("A", Rule::Plain, "$A"), one("B_2", Rule::Plain, "$B_2")]
        );
    }

    #[test]
    fn defaults_messages_and_alternates() {
        assert_eq!(read("${V:-d}"), [one("V", Rule::Default, "${V:-d}")]);
        assert_eq!(read("${V-d}"), [one("V", Rule::Default, "${V-d}")]);
        assert_eq!(read("${V:-}"), [one("V", Rule::Default, "${V:-}")]);
        assert_eq!(
            read("${V:?set V first}"),
            [one(
                "V",
                Rule::Required("set V first".into()),
                "${V:?set V first}"
            )]
        );
        assert_eq!(
            read("${V?m}"),
            [one("V", Rule::Required("m".into()), "${V?m}")]
        );
        assert_eq!(read("${V:+x}"), [one("V", Rule::Alternate, "${V:+x}")]);
        assert_eq!(read("${V+x}"), [one("V", Rule::Alternate, "${V+x}")]);
    }

    #[test]
    fn dollar_dollar_is_no_variable() {
        assert!(read("$$").is_empty());
        assert!(read("$$VAR and $${VAR}").is_empty());
        assert_eq!(read("$$$A"), [one("A", Rule::Plain, "$A")]);
        assert!(read("echo $$1; cost $ 5; $1; ${}; ${-x}").is_empty());
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(
            read("${A:-${B}}"),
            [
                one("A", Rule::Default, "${A:-${B}}"),
                ("B".to_string(), Rule::Plain, true, "${B}")
            ]
        );
        assert_eq!(
            read("${A:-${B:-$C}}/x"),
            [
                one("A", Rule::Default, "${A:-${B:-$C}}"),
                ("B".to_string(), Rule::Default, true, "${B:-$C}"),
                ("C".to_string(), Rule::Plain, true, "$C"),
            ]
        );
        // A `}` inside `$$` does not end the form; an unclosed one is no form.
        assert_eq!(read("${A:-$${B}"), [one("A", Rule::Default, "${A:-$${B}")]);
        assert!(read("${A:-${B}").is_empty() || read("${A:-${B}")[0].0 == "B");
    }
}

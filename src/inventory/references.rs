//! Values that must be secret references (the registry password, a stack's
//! `[secrets]`). Such a value may be a real secret pasted by mistake, so an
//! error never echoes it: not in the message, not in the source snippet.

use toml::{Spanned, Value};

use super::config_error::{ConfigError, SourceFile};
use crate::secrets::SecretRef;

const SCHEMES: [&str; 4] = ["op", "pass", "env", "exec"];

/// Parses `value` (at `key`, e.g. `registry.password`) as a reference.
/// `has_exec` says whether the inventory sets `[secrets].exec`.
pub(super) fn secret_reference(
    file: &SourceFile,
    key: &str,
    value: &Spanned<Value>,
    has_exec: bool,
    example: &str,
) -> Result<SecretRef, ConfigError> {
    let fail = |message: String, help: String| {
        Err(file.secret_error_at(value.span(), format!("{key}: {message}"), Some(help)))
    };
    let write_a_reference =
        format!("write a secret reference such as {example} (op://, pass://, env:// or exec://)");

    let Value::String(text) = value.get_ref() else {
        return fail(
            format!(
                "must be a secret reference (a string), not a literal {}",
                value.get_ref().type_str()
            ),
            write_a_reference,
        );
    };
    let reference = match SecretRef::parse(text) {
        Ok(reference) => reference,
        Err(problem) => {
            let scheme = text.split_once("://").map(|(scheme, _)| scheme);
            return match scheme {
                // A reference with a known scheme: it is safe to say what is wrong with it.
                Some(scheme) if SCHEMES.contains(&scheme) => fail(problem, write_a_reference),
                Some(scheme) if looks_like_scheme(scheme) => fail(
                    format!("unknown secret provider `{scheme}://`"),
                    write_a_reference,
                ),
                _ => fail(
                    "a literal value is not allowed: this must be a secret reference".into(),
                    write_a_reference,
                ),
            };
        }
    };
    if matches!(reference, SecretRef::Exec(_)) && !has_exec {
        return fail(
            "an exec:// reference needs `[secrets].exec` in the inventory".into(),
            "set exec = [\"COMMAND\", \"ARG\", \"{}\"] under [secrets] in the inventory, or use another provider".into(),
        );
    }
    Ok(reference)
}

/// A URL scheme (`vault`, `aws+sm`), as opposed to a password that happens
/// to contain `://`; only the former is shown back.
fn looks_like_scheme(scheme: &str) -> bool {
    (1..=16).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
}

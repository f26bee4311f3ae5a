//! `exec://ARG`: the inventory's `[secrets].exec` argv with every `{}`
//! replaced by ARG, run without a shell; the value is its stdout without the
//! final newline.

use std::ffi::{OsStr, OsString};

use super::process::{self, SearchPath};
use super::{ProviderSettings, SecretError, SecretRef, SecretValue};

pub(crate) fn resolve(
    reference: &SecretRef,
    arg: &str,
    settings: &ProviderSettings,
    search: &SearchPath,
) -> Result<SecretValue, SecretError> {
    let fail = |reason: String| SecretError::unresolved(reference, reason);
    let argv = command_line(arg, settings).map_err(fail)?;
    let (program, args) = argv
        .split_first()
        .expect("command_line never returns an empty argv");
    let Some(path) = search.find(OsStr::new(program)) else {
        return Err(fail(format!(
            "`{program}` (from [secrets].exec) was not found on PATH"
        )));
    };
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let finished = process::run(&path, &args, b"", search)
        .map_err(|e| fail(format!("could not run `{program}`: {e}")))?;
    if !finished.status.success() {
        let mut reason = format!("`{program}` {}", finished.status_text());
        let said = finished.stderr_excerpt();
        if !said.is_empty() {
            reason.push_str(": ");
            reason.push_str(&said);
        }
        return Err(fail(reason));
    }
    let Ok(text) = std::str::from_utf8(&finished.stdout) else {
        return Err(fail(format!(
            "the output of `{program}` is not valid UTF-8"
        )));
    };
    Ok(SecretValue::new(strip_one_newline(text).to_string()))
}

/// The argv to run for `exec://ARG`: `[secrets].exec` with `{}` replaced.
fn command_line(arg: &str, settings: &ProviderSettings) -> Result<Vec<String>, String> {
    let Some(template) = &settings.exec else {
        return Err("exec:// references need `exec = [\"program\", ..., \"{}\"]` in the inventory's [secrets] table".into());
    };
    if template.is_empty() || template[0].is_empty() {
        return Err("[secrets].exec in the inventory names no program".into());
    }
    // As `SecretRef::parse` refuses: an argument that would be an option.
    if arg.starts_with('-') {
        return Err("an exec:// argument cannot start with `-`".into());
    }
    if !template.iter().any(|a| a.contains("{}")) {
        return Err(
            "[secrets].exec in the inventory has no `{}` for the reference's argument".into(),
        );
    }
    Ok(template.iter().map(|a| a.replace("{}", arg)).collect())
}

/// Drops exactly one final line ending (`\n` or `\r\n`).
fn strip_one_newline(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_exactly_one_line_ending() {
        assert_eq!(strip_one_newline("a"), "a");
        assert_eq!(strip_one_newline("a\n"), "a");
        assert_eq!(strip_one_newline("a\n\n"), "a\n");
        assert_eq!(strip_one_newline("a\r\n"), "a");
        assert_eq!(strip_one_newline("a\nb\n"), "a\nb");
        assert_eq!(strip_one_newline(""), "");
    }

    #[test]
    fn replaces_every_placeholder() {
        let settings = ProviderSettings {
            exec: Some(vec![
                "vault".into(),
                "kv".into(),
                "-field={}".into(),
                "{}".into(),
            ]),
        };
        assert_eq!(
            command_line("x/y", &settings).unwrap(),
            ["vault", "kv", "-field=x/y", "x/y"]
        );
        let none = ProviderSettings { exec: None };
        assert!(command_line("x", &none).unwrap_err().contains("[secrets]"));
        let no_slot = ProviderSettings {
            exec: Some(vec!["vault".into()]),
        };
        assert!(command_line("x", &no_slot).unwrap_err().contains("{}"));
        assert!(command_line("--help", &settings).is_err());
        let empty = ProviderSettings { exec: Some(vec![]) };
        assert!(command_line("x", &empty).is_err());
    }
}

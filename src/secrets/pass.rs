//! `pass://PATH`: the first line of `pass show PATH`.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use super::process::{self, SearchPath};
use super::{SecretError, SecretRef, SecretValue};

pub(crate) fn resolve(
    reference: &SecretRef,
    entry: &str,
    search: &SearchPath,
) -> Result<SecretValue, SecretError> {
    let fail = |reason: String| SecretError::unresolved(reference, reason);
    // `pass show FOLDER` succeeds and prints the folder's tree: its first
    // line would be taken for the password.
    if let Some(store) = store_dir() {
        if !store.join(format!("{entry}.gpg")).is_file() && store.join(entry).is_dir() {
            return Err(fail(format!(
                "`{entry}` is a folder in the password store, not a password"
            )));
        }
    }
    let Some(program) = search.find(OsStr::new("pass")) else {
        return Err(fail(
            "`pass` (the standard unix password manager) was not found on PATH".into(),
        ));
    };
    // `--` ends the options: the path is data even if it looked like one.
    let args = [
        OsString::from("show"),
        OsString::from("--"),
        OsString::from(entry),
    ];
    let finished = process::run(&program, &args, b"", search)
        .map_err(|e| fail(format!("could not run `pass`: {e}")))?;
    if !finished.status.success() {
        let mut reason = format!("`pass show` {}", finished.status_text());
        let said = finished.stderr_excerpt();
        if !said.is_empty() {
            reason.push_str(": ");
            reason.push_str(&said);
        }
        return Err(fail(reason));
    }
    let Ok(text) = std::str::from_utf8(&finished.stdout) else {
        return Err(fail("the entry is not valid UTF-8".into()));
    };
    Ok(SecretValue::new(first_line(text).to_string()))
}

/// pass's store: `$PASSWORD_STORE_DIR`, else `~/.password-store`.
fn store_dir() -> Option<PathBuf> {
    match std::env::var_os("PASSWORD_STORE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".password-store")),
    }
}

fn first_line(text: &str) -> &str {
    let line = text.split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_first_line() {
        assert_eq!(first_line("pw\nuser: me\n"), "pw");
        assert_eq!(first_line("pw\r\nx"), "pw");
        assert_eq!(first_line("pw"), "pw");
        assert_eq!(first_line(""), "");
    }
}

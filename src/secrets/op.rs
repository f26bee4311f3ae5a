//! `op://VAULT/ITEM/FIELD`: 1Password's `op` CLI. `op whoami` checks the
//! sign-in, then one `op inject` resolves every op:// reference of the
//! command: its template (on op's stdin) holds each reference between two
//! delimiter lines made of a random nonce, so the values come back exact,
//! multi-line ones included, and can be told apart.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;

use super::process::{self, SearchPath};
use super::{SecretError, SecretRef, SecretValue};

/// Resolves `refs` (all op://) in one `op inject` call; values in the same
/// order. No references: `op` is not run at all.
pub(crate) fn resolve(
    refs: &[&SecretRef],
    search: &SearchPath,
) -> Result<Vec<SecretValue>, SecretError> {
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let all = || refs.iter().map(|r| (*r).clone()).collect::<Vec<_>>();
    let batch = |reason: String| SecretError::Batch {
        references: all(),
        reason,
    };

    let Some(op) = search.find(OsStr::new("op")) else {
        return Err(batch(
            "`op` (the 1Password CLI) was not found on PATH".into(),
        ));
    };

    // The sign-in check. Its stdout (the account) is not shown.
    let whoami = process::run(&op, &[OsString::from("whoami")], b"", search)
        .map_err(|e| batch(format!("could not run `op`: {e}")))?;
    if !whoami.status.success() {
        return Err(SecretError::OpNotSignedIn {
            references: all(),
            detail: whoami.stderr_excerpt(),
        });
    }

    let markers = Markers::new(refs.len());
    let template = markers.template(refs);
    let injected = process::run(
        &op,
        &[OsString::from("inject")],
        template.as_bytes(),
        search,
    )
    .map_err(|e| batch(format!("could not run `op`: {e}")))?;
    if !injected.status.success() {
        let stderr = String::from_utf8_lossy(&injected.stderr);
        let named: Vec<SecretRef> = refs
            .iter()
            .filter(|r| names(&stderr, r))
            .map(|r| (*r).clone())
            .collect();
        let mut reason = format!("`op inject` {}", injected.status_text());
        let said = injected.stderr_excerpt();
        if !said.is_empty() {
            reason.push_str(": ");
            reason.push_str(&said);
        }
        return Err(SecretError::Batch {
            references: if named.is_empty() { all() } else { named },
            reason,
        });
    }
    let Ok(output) = std::str::from_utf8(&injected.stdout) else {
        return Err(batch(
            "`op inject` returned text that is not valid UTF-8".into(),
        ));
    };
    markers.split(output).ok_or_else(|| {
        batch("`op inject` returned output homectl cannot split into values (not shown: it holds secrets)".into())
    })
}

/// Whether op's error text names this reference.
fn names(stderr: &str, reference: &SecretRef) -> bool {
    stderr.contains(&reference.to_string())
}

/// The delimiter lines of one `op inject` call.
struct Markers {
    nonce: String,
    count: usize,
}

impl Markers {
    fn new(count: usize) -> Markers {
        Markers {
            nonce: nonce(),
            count,
        }
    }

    fn begin(&self, i: usize) -> String {
        format!("HOMECTL-{}-BEGIN-{i}", self.nonce)
    }

    fn end(&self, i: usize) -> String {
        format!("HOMECTL-{}-END-{i}", self.nonce)
    }

    /// For each reference: its begin line, `{{ op://... }}` on a line of
    /// its own, its end line.
    fn template(&self, refs: &[&SecretRef]) -> String {
        let mut template = String::new();
        for (i, reference) in refs.iter().enumerate() {
            let _ = write!(
                template,
                "{}\n{{{{ {reference} }}}}\n{}\n",
                self.begin(i),
                self.end(i)
            );
        }
        template
    }

    /// The values in op's output, which must be the template with each
    /// `{{ ... }}` replaced by a value; `None` if it is not.
    fn split(&self, output: &str) -> Option<Vec<SecretValue>> {
        let mut values = Vec::with_capacity(self.count);
        let mut rest = output;
        for i in 0..self.count {
            rest = rest.strip_prefix(&self.begin(i))?.strip_prefix('\n')?;
            let end = format!("\n{}\n", self.end(i));
            let at = rest.find(&end)?;
            values.push(SecretValue::new(rest[..at].to_string()));
            rest = &rest[at + end.len()..];
        }
        // Tolerate line endings op might add after the template's last line.
        rest.trim_end_matches(['\n', '\r'])
            .is_empty()
            .then_some(values)
    }
}

/// 128 random bits as hex. std's `RandomState` keys come from the OS's
/// random source, so the delimiters cannot be guessed (a value that held
/// one could otherwise shift the split).
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut nonce = String::with_capacity(32);
    for part in 0..2u8 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(part);
        hasher.write_u32(std::process::id());
        if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            hasher.write_u128(now.as_nanos());
        }
        let _ = write!(nonce, "{:016x}", hasher.finish());
    }
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(r: &str) -> SecretRef {
        SecretRef::parse(r).unwrap()
    }

    #[test]
    fn nonces_differ() {
        let a = nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, nonce());
    }

    #[test]
    fn template_wraps_each_reference_and_split_reverses_it() {
        let refs = [op("op://v/a/f"), op("op://v/b/s/f")];
        let refs: Vec<&SecretRef> = refs.iter().collect();
        let markers = Markers::new(2);
        let template = markers.template(&refs);
        let n = &markers.nonce;
        assert_eq!(
            template,
            format!(
                "HOMECTL-{n}-BEGIN-0\n{{{{ op://v/a/f }}}}\nHOMECTL-{n}-END-0\n\
                 HOMECTL-{n}-BEGIN-1\n{{{{ op://v/b/s/f }}}}\nHOMECTL-{n}-END-1\n"
            )
        );
        let output = template
            .replace("{{ op://v/a/f }}", "one\ntwo\n")
            .replace("{{ op://v/b/s/f }}", "");
        let values = markers.split(&output).unwrap();
        assert_eq!(values[0].expose_for_channel(), "one\ntwo\n");
        assert_eq!(values[1].expose_for_channel(), "");
        assert!(markers.split(&format!("{output}\n")).is_some());
        assert!(markers.split(&format!("{output}junk")).is_none());
        assert!(markers.split(&output[..output.len() - 2]).is_none());
        assert!(markers.split("").is_none());
    }
}

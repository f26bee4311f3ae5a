//! Secret references (`op://`, `pass://`, `env://`, `exec://`): parsed and
//! checked when the inventory loads, resolved by a provider later.

use std::fmt;

/// Where a secret's value comes from. Holds no value, so it may be printed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretRef {
    /// `op://VAULT/ITEM/[SECTION/]FIELD`, resolved by 1Password's `op`.
    Op(String),
    /// `pass://PATH`, the first line of `pass show PATH`.
    Pass(String),
    /// `env://NAME`, the operator's environment variable.
    Env(String),
    /// `exec://ARG`, the `[secrets].exec` argv with `{}` replaced by ARG.
    Exec(String),
}

impl SecretRef {
    /// Parses a reference. The error says what is wrong, for a diagnostic.
    pub fn parse(text: &str) -> Result<SecretRef, String> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(format!(
                "`{}` is not a secret reference (expected op://, pass://, env:// or exec://)",
                text.escape_debug()
            ));
        };
        if rest.is_empty() {
            return Err(format!("the {scheme}:// reference names nothing"));
        }
        if rest.chars().any(|c| c.is_control()) {
            return Err("a secret reference cannot contain control characters".into());
        }
        match scheme {
            "op" => {
                let parts: Vec<&str> = rest.split('/').collect();
                if !(3..=4).contains(&parts.len()) || parts.iter().any(|p| p.trim().is_empty()) {
                    return Err(format!(
                        "`{text}` must be op://VAULT/ITEM/FIELD (or op://VAULT/ITEM/SECTION/FIELD)"
                    ));
                }
                // `op inject` templates use `{{ ... }}`: braces would break them.
                if rest.contains(['{', '}']) || rest.chars().any(char::is_whitespace) {
                    return Err(format!(
                        "`{text}`: braces and spaces are not allowed in op:// references"
                    ));
                }
                Ok(SecretRef::Op(rest.to_string()))
            }
            "pass" => {
                if rest.starts_with('-')
                    || rest.starts_with('/')
                    || rest.split('/').any(|p| p == "..")
                {
                    return Err(format!(
                        "`{text}`: a pass:// path is relative to the store, without `..` or a leading `-`"
                    ));
                }
                Ok(SecretRef::Pass(rest.to_string()))
            }
            "env" => {
                if !is_env_name(rest) {
                    return Err(format!(
                        "`{text}`: `{rest}` is not an environment variable name"
                    ));
                }
                Ok(SecretRef::Env(rest.to_string()))
            }
            "exec" => {
                if rest.starts_with('-') {
                    return Err(format!(
                        "`{text}`: an exec:// argument cannot start with `-` (it would be an option of the provider)"
                    ));
                }
                Ok(SecretRef::Exec(rest.to_string()))
            }
            other => Err(format!(
                "unknown secret provider `{other}://` (known: op://, pass://, env://, exec://)"
            )),
        }
    }

    pub fn scheme(&self) -> &'static str {
        match self {
            SecretRef::Op(_) => "op",
            SecretRef::Pass(_) => "pass",
            SecretRef::Env(_) => "env",
            SecretRef::Exec(_) => "exec",
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rest = match self {
            SecretRef::Op(r) | SecretRef::Pass(r) | SecretRef::Env(r) | SecretRef::Exec(r) => r,
        };
        write!(f, "{}://{}", self.scheme(), rest)
    }
}

/// A POSIX-style variable name: what compose and `sh` accept.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scheme() {
        assert_eq!(
            SecretRef::parse("op://v/i/f"),
            Ok(SecretRef::Op("v/i/f".into()))
        );
        assert_eq!(
            SecretRef::parse("op://v/i/s/f"),
            Ok(SecretRef::Op("v/i/s/f".into()))
        );
        assert_eq!(
            SecretRef::parse("pass://a/b"),
            Ok(SecretRef::Pass("a/b".into()))
        );
        assert_eq!(
            SecretRef::parse("env://DB_PW"),
            Ok(SecretRef::Env("DB_PW".into()))
        );
        assert_eq!(
            SecretRef::parse("exec://x y"),
            Ok(SecretRef::Exec("x y".into()))
        );
        assert_eq!(
            SecretRef::parse("op://v/i/f").unwrap().to_string(),
            "op://v/i/f"
        );
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in [
            "hunter2",
            "op://v/i",
            "op://v//f",
            "op://v/i/{f}",
            "op://v/i f/x",
            "pass://-x",
            "pass://../x",
            "env://1X",
            "env://A-B",
            "vault://x",
            "op://",
            "op://v/i/f\n",
            "exec://-x",
            "exec://--output=/tmp/x",
        ] {
            assert!(SecretRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}

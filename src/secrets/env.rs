//! `env://NAME`: the operator's environment variable NAME.

use std::ffi::OsString;

use super::{SecretError, SecretRef, SecretValue};

/// Resolves `env://NAME` with `lookup` (the process environment, or a map in
/// tests). Unset, or not valid UTF-8: an error naming the reference.
pub(crate) fn resolve(
    reference: &SecretRef,
    name: &str,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<SecretValue, SecretError> {
    let Some(value) = lookup(name) else {
        return Err(SecretError::unresolved(
            reference,
            format!("the environment variable {name} is not set"),
        ));
    };
    match value.into_string() {
        Ok(text) => Ok(SecretValue::new(text)),
        Err(_) => Err(SecretError::unresolved(
            reference,
            format!("the environment variable {name} is not valid UTF-8"),
        )),
    }
}

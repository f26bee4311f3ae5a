//! Why a secret could not be resolved. Errors name references (which are
//! safe to print) and reasons; they never hold a value, nor a provider's
//! stdout (where values are).

use std::fmt;

use super::SecretRef;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// One reference did not resolve.
    #[error("cannot resolve secret {reference}: {reason}")]
    Unresolved {
        reference: SecretRef,
        reason: String,
    },

    /// A provider call meant for several references failed (one `op inject`
    /// for all op:// references). `references` are those the provider named,
    /// else all of the call's.
    #[error("cannot resolve secret {}: {reason}", RefList(references))]
    Batch {
        references: Vec<SecretRef>,
        reason: String,
    },

    /// `op whoami` failed.
    #[error(
        "1Password CLI is not signed in (op whoami failed): run `eval $(op signin)`\n  needed for: {}{}",
        RefList(references),
        Detail(detail)
    )]
    OpNotSignedIn {
        references: Vec<SecretRef>,
        detail: String,
    },

    /// More than one of the above, in the order of the references.
    #[error("{} secret references did not resolve:\n{}", .0.len(), Lines(.0))]
    Several(Vec<SecretError>),
}

impl SecretError {
    /// The references this error is about.
    pub fn references(&self) -> Vec<&SecretRef> {
        match self {
            SecretError::Unresolved { reference, .. } => vec![reference],
            SecretError::Batch { references, .. }
            | SecretError::OpNotSignedIn { references, .. } => references.iter().collect(),
            SecretError::Several(errors) => errors.iter().flat_map(|e| e.references()).collect(),
        }
    }

    pub(crate) fn unresolved(reference: &SecretRef, reason: impl Into<String>) -> SecretError {
        SecretError::Unresolved {
            reference: reference.clone(),
            reason: reason.into(),
        }
    }

    /// One error for all of `errors` (which must not be empty).
    pub(crate) fn combine(mut errors: Vec<SecretError>) -> SecretError {
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            SecretError::Several(errors)
        }
    }
}

struct RefList<'a>(&'a [SecretRef]);

impl fmt::Display for RefList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

struct Detail<'a>(&'a str);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "\n  op said: {}", self.0)
        }
    }
}

struct Lines<'a>(&'a [SecretError]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "- {e}")?;
        }
        Ok(())
    }
}

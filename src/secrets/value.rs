//! A resolved secret value: it cannot be printed, serialized or logged by
//! accident, and its memory is wiped when it is dropped.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// One secret's value. `Debug` prints `***`; there is no `Display` and no
/// `Serialize`. Values may span several lines and hold any UTF-8 text.
#[derive(Clone)]
pub struct SecretValue(SecretString);

impl SecretValue {
    pub fn new(value: String) -> SecretValue {
        SecretValue(SecretString::from(value))
    }

    /// The value itself: only for the code that writes values into the SSH
    /// channel (and for [`crate::secrets::Secrets::mask`]). Anything else that
    /// calls this is a leak waiting to happen.
    pub fn expose_for_channel(&self) -> &str {
        self.0.expose_secret()
    }

    /// Feeds the value into a hash (the redeploy fingerprint, which is
    /// salted and never holds the value itself).
    pub fn hash_into(&self, hasher: &mut sha2::Sha256) {
        use sha2::Digest;
        hasher.update((self.0.expose_secret().len() as u64).to_le_bytes());
        hasher.update(self.0.expose_secret().as_bytes());
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> SecretValue {
        SecretValue::new(value)
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let v = SecretValue::new("hunter2\nline two".into());
        assert_eq!(format!("{v:?}"), "***");
        assert_eq!(format!("{:?}", vec![v.clone()]), "[***]");
        assert_eq!(format!("{v:#?}"), "***");

        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            name: &'static str,
            value: SecretValue,
        }
        let shown = format!(
            "{:?}",
            Holder {
                name: "DB",
                value: v.clone()
            }
        );
        assert_eq!(shown, r#"Holder { name: "DB", value: *** }"#);
        assert!(!format!(
            "{:#?}",
            Holder {
                name: "DB",
                value: v.clone()
            }
        )
        .contains("hunter2"));
        assert_eq!(v.expose_for_channel(), "hunter2\nline two");
    }
}

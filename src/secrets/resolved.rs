//! The resolved secrets of one command, and masking them out of text.

use std::collections::BTreeMap;

use super::mask;
use super::{SecretRef, SecretValue};

/// Every resolved reference of a command with its value. `Debug` shows the
/// references and `***` for each value.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: BTreeMap<SecretRef, SecretValue>,
}

impl Secrets {
    pub fn new() -> Secrets {
        Secrets::default()
    }

    pub fn insert(&mut self, reference: SecretRef, value: SecretValue) {
        self.values.insert(reference, value);
    }

    pub fn get(&self, reference: &SecretRef) -> Option<&SecretValue> {
        self.values.get(reference)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every known value replaced by `***`, in each of the
    /// forms of `mask.rs` (the value, its lines, JSON-escaped, URL-encoded).
    /// For remote output that homectl shows. Empty values mask nothing.
    pub fn mask(&self, text: &str) -> String {
        self.masker().mask(text)
    }

    /// The reference of a value (of `min_len` bytes or more) that occurs in
    /// `bytes`, if any: for refusing a file that holds a secret, named by
    /// the reference, never by the value.
    pub fn reference_found_in(&self, bytes: &[u8], min_len: usize) -> Option<&SecretRef> {
        self.values.iter().find_map(|(reference, value)| {
            let needle = value.expose_for_channel().as_bytes();
            (needle.len() >= min_len && bytes.windows(needle.len()).any(|w| w == needle))
                .then_some(reference)
        })
    }

    /// A masker for these values, to build once for many lines of text.
    pub fn masker(&self) -> Masker {
        Masker(mask::Masker::new(
            self.values.values().map(SecretValue::expose_for_channel),
        ))
    }
}

/// Masks the values of a [`Secrets`] out of text (see [`Secrets::mask`]).
#[derive(Debug)]
pub struct Masker(mask::Masker);

impl Masker {
    pub fn mask(&self, text: &str) -> String {
        self.0.mask(text)
    }

    /// Masks a byte stream that arrives in chunks (see `stream_mask.rs`).
    pub fn into_stream(self) -> super::StreamMasker {
        super::StreamMasker::new(self.0)
    }
}

impl FromIterator<(SecretRef, SecretValue)> for Secrets {
    fn from_iter<I: IntoIterator<Item = (SecretRef, SecretValue)>>(iter: I) -> Secrets {
        Secrets {
            values: iter.into_iter().collect(),
        }
    }
}

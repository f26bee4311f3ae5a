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

    pub fn iter(&self) -> impl Iterator<Item = (&SecretRef, &SecretValue)> {
        self.values.iter()
    }

    /// `text` with every known value replaced by `***`; for multi-line
    /// values also each of their lines of 4 characters or more. For remote
    /// output that homectl shows. Empty values mask nothing.
    pub fn mask(&self, text: &str) -> String {
        let patterns = mask::patterns(self.values.values().map(SecretValue::expose_for_channel));
        mask::replace(text, &patterns)
    }
}

impl FromIterator<(SecretRef, SecretValue)> for Secrets {
    fn from_iter<I: IntoIterator<Item = (SecretRef, SecretValue)>>(iter: I) -> Secrets {
        Secrets {
            values: iter.into_iter().collect(),
        }
    }
}

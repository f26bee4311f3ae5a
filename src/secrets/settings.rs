//! What the inventory's `[secrets]` table tells the providers.

/// Settings of the secret providers, from the inventory's `[secrets]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The argv run for `exec://ARG` references; every `{}` in it is
    /// replaced by ARG. `None`: exec:// references cannot be resolved.
    pub exec: Option<Vec<String>>,
}

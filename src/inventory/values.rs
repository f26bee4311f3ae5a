//! Checks of values that both the inventory and stack.toml hold:
//! environment variables and durations.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::config_error::{ConfigError, SourceFile};
use crate::secrets::is_env_name;

/// Variables homectl sets itself (docs/stacks.md, "What homectl sets").
pub(super) const RESERVED_ENV: [&str; 3] = ["REGISTRY", "IMAGE_TAG", "HOMECTL_NODE"];

/// Name prefixes kept for homectl's own variables (on the node, its steps
/// use `HC_`/`hc_` names), in any case.
pub(super) const RESERVED_PREFIXES: [&str; 2] = ["HOMECTL_", "HC_"];

/// Checks a variable name; `span` is its value's (toml keeps none for keys).
pub(super) fn check_env_key(
    file: &SourceFile,
    table: &str,
    key: &str,
    span: Range<usize>,
) -> Result<(), ConfigError> {
    if !is_env_name(key) {
        return Err(file.error_at(
            span,
            format!("{table}: `{}` is not a variable name", key.escape_debug()),
            Some("use letters, digits and `_`, not starting with a digit".into()),
        ));
    }
    if RESERVED_ENV.contains(&key) {
        return Err(file.error_at(
            span,
            format!("{table}.{key}: `{key}` is set by homectl itself"),
            Some(
                "homectl sets REGISTRY, IMAGE_TAG and HOMECTL_NODE for compose; pick another name"
                    .into(),
            ),
        ));
    }
    if let Some(prefix) = RESERVED_PREFIXES
        .iter()
        .find(|p| key.len() >= p.len() && key[..p.len()].eq_ignore_ascii_case(p))
    {
        return Err(file.error_at(
            span,
            format!("{table}.{key}: the prefix `{prefix}` is homectl's own"),
            Some(format!(
                "names starting with {} are kept for homectl's own variables; pick another name",
                RESERVED_PREFIXES.join(" or ")
            )),
        ));
    }
    Ok(())
}

/// An `[env]` table (a stack's, or a node's `env`): names checked, values
/// free text (they are quoted for the remote shell) but without NUL, which
/// no environment can hold.
pub(super) fn parse_env(
    file: &SourceFile,
    table: &str,
    raw: &BTreeMap<String, Spanned<String>>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut env = BTreeMap::new();
    for (key, value) in raw {
        check_env_key(file, table, key, value.span())?;
        if value.get_ref().contains('\0') {
            return Err(file.error_at(
                value.span(),
                format!("{table}.{key}: a value cannot contain a NUL character"),
                None,
            ));
        }
        env.insert(key.clone(), value.get_ref().clone());
    }
    Ok(env)
}

pub(super) fn parse_duration(
    file: &SourceFile,
    key: &str,
    value: &Spanned<String>,
) -> Result<Duration, ConfigError> {
    match humantime::parse_duration(value.get_ref()) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(file.error_at(
            value.span(),
            format!(
                "{key}: `{}` is not a duration",
                value.get_ref().escape_debug()
            ),
            Some("write a number with a unit, like \"10s\", \"90s\" or \"2m\"".into()),
        )),
    }
}

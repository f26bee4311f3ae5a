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

/// Variables that steer the node's shell or Docker CLI while homectl's
/// steps run (docs/stacks.md, "What homectl sets"): set for the compose
/// process, they would change how every step runs, not only the containers.
pub(super) const SHELL_ENV: [&str; 18] = [
    "PATH",
    "IFS",
    "HOME",
    "ENV",
    "CDPATH",
    "PS1",
    "PS2",
    "PS4",
    "PWD",
    "OLDPWD",
    "OPTIND",
    "OPTARG",
    "SHELL",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DOCKER_CONFIG",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
];

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
    if SHELL_ENV.contains(&key) {
        return Err(file.error_at(
            span,
            format!("{table}.{key}: `{key}` would change how homectl's steps run on the node"),
            Some(format!(
                "{} steer the node's shell and Docker CLI; pick another name (and map it in compose.yml's `environment:` if a container needs it)",
                SHELL_ENV.join(", ")
            )),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: &str) -> Result<(), ConfigError> {
        let file = SourceFile::new("stack.toml", format!("[env]\n{key} = \"x\"\n"));
        check_env_key(&file, "env", key, 6..7)
    }

    #[test]
    fn names_that_steer_the_nodes_shell_or_docker_are_refused() {
        for key in [
            "PATH",
            "IFS",
            "DOCKER_HOST",
            "LD_PRELOAD",
            "HC_DIR",
            "hc_x",
            "HOMECTL_STATE",
        ] {
            assert!(check(key).is_err(), "{key}");
        }
        for key in [
            "PROJECT",
            "DIR",
            "START",
            "SERVICES",
            "COMPOSE_PROFILES",
            "TZ",
        ] {
            assert!(check(key).is_ok(), "{key}");
        }
    }
}

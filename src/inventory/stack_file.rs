//! Reads stacks/S/stack.toml and checks it against its compose.yml.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::compose_file::parse_compose;
use super::config_error::{ConfigError, SourceFile};
use super::inventory_file::{check_env_key, parse_duration, toml_error};
use super::model::{profile_scale, Health, Hook, Stack};
use crate::secrets::SecretRef;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStack {
    #[serde(default)]
    images: Vec<Spanned<String>>,
    max_scale: Option<Spanned<i64>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    secrets: BTreeMap<String, Spanned<String>>,
    health: Option<RawHealth>,
    #[serde(default)]
    hooks: RawHooks,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    #[serde(default)]
    services: Vec<Spanned<String>>,
    url: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHooks {
    #[serde(default)]
    before_up: Vec<RawHook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    service: Spanned<String>,
    command: Spanned<Vec<String>>,
}

/// Loads one stack folder. `has_exec` says whether `[secrets].exec` is set
/// in the inventory (needed by `exec://` references).
pub fn load_stack(name: &str, dir: &Path, has_exec: bool) -> Result<Stack, ConfigError> {
    let stack_file = SourceFile::read(&dir.join("stack.toml"))?;
    let compose_file = SourceFile::read(&dir.join("compose.yml"))?;
    let compose = parse_compose(&compose_file)?;
    let raw: RawStack = toml::from_str(&stack_file.text).map_err(|e| toml_error(&stack_file, &e))?;
    let at = |span: std::ops::Range<usize>, msg: String, help: Option<&str>| stack_file.error_at(span, msg, help.map(str::to_string));

    let mut images = Vec::new();
    for image in &raw.images {
        let ok = !image.get_ref().is_empty()
            && !image.get_ref().starts_with(['-', '/'])
            && image.get_ref().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/'));
        if !ok {
            return Err(at(image.span(), format!("images: `{}` is not an image name", image.get_ref().escape_debug()), Some("an image name without registry or tag, e.g. \"ktrdr-backend\"")));
        }
        let used = compose.services.values().any(|s| s.image.contains(&format!("/{}:", image.get_ref())));
        if !used {
            return Err(at(image.span(), format!("images: `{}` is not used by any service of compose.yml", image.get_ref()), Some("services use it as image: ${REGISTRY}/NAME:${IMAGE_TAG}")));
        }
        images.push(image.get_ref().clone());
    }

    let max_scale = match &raw.max_scale {
        None => 1,
        Some(n) if (1..=64).contains(n.get_ref()) => *n.get_ref() as u32,
        Some(n) => return Err(at(n.span(), format!("max_scale: {} is out of range", n.get_ref()), Some("use 1 to 64"))),
    };
    // Every profile scale-2..scale-max must exist, and none above it.
    for n in 2..=max_scale {
        let profile = format!("scale-{n}");
        if !compose.services.values().any(|s| s.profiles.contains(&profile)) {
            let span = raw.max_scale.as_ref().map(|m| m.span()).unwrap_or(0..0);
            return Err(stack_file.error_at(span, format!("max_scale is {max_scale} but no service of {} has the profile `{profile}`", compose_file.path), Some(format!("give the replicas for scale {n} `profiles: [\"{profile}\"]`, or lower max_scale"))));
        }
    }
    for (service, s) in &compose.services {
        for p in &s.profiles {
            if let Some(n) = profile_scale(p) {
                if n < 2 || n > max_scale {
                    return Err(compose_file.error_at(compose_file.find(p).unwrap_or(0..0), format!("services.{service}.profiles: `{p}` is outside scale 2..{max_scale} (max_scale in stack.toml)"), Some("raise max_scale in stack.toml or remove the profile".into())));
                }
            }
        }
    }

    let mut env = BTreeMap::new();
    for (k, v) in &raw.env {
        check_env_key(&stack_file, "env", k, v.span())?;
        env.insert(k.clone(), v.get_ref().clone());
    }
    let mut secrets = BTreeMap::new();
    for (k, v) in &raw.secrets {
        check_env_key(&stack_file, "secrets", k, v.span())?;
        if env.contains_key(k) {
            return Err(at(v.span(), format!("secrets: `{k}` is also in [env]"), Some("a variable is either a plain value or a secret")));
        }
        let reference = SecretRef::parse(v.get_ref()).map_err(|m| {
            let shown = if v.get_ref().contains("://") { m } else { "a literal value is not allowed here".to_string() };
            at(v.span(), format!("secrets.{k}: {shown}"), Some("write a reference such as \"op://vault/item/field\"; plain values go in [env]"))
        })?;
        if matches!(reference, SecretRef::Exec(_)) && !has_exec {
            return Err(at(v.span(), format!("secrets.{k}: exec:// needs [secrets].exec in the inventory"), Some("set exec = [\"cmd\", \"{}\"] under [secrets] in the inventory")));
        }
        secrets.insert(k.clone(), reference);
    }

    let health = match &raw.health {
        None => Health { services: Vec::new(), url: None, timeout: Duration::from_secs(60) },
        Some(h) => {
            for s in &h.services {
                if !compose.services.contains_key(s.get_ref()) {
                    return Err(at(s.span(), format!("health.services: `{}` is not a service of compose.yml", s.get_ref()), None));
                }
            }
            if let Some(url) = &h.url {
                let u = url.get_ref();
                let ok = (u.starts_with("http://") || u.starts_with("https://")) && !u.chars().any(|c| c.is_whitespace() || c.is_control());
                if !ok {
                    return Err(at(url.span(), format!("health.url: `{}` is not an http(s) URL", u.escape_debug()), None));
                }
            }
            Health {
                services: h.services.iter().map(|s| s.get_ref().clone()).collect(),
                url: h.url.as_ref().map(|u| u.get_ref().clone()),
                timeout: match &h.timeout {
                    None => Duration::from_secs(60),
                    Some(t) => parse_duration(&stack_file, "health.timeout", t)?,
                },
            }
        }
    };

    let mut before_up = Vec::new();
    for hook in &raw.hooks.before_up {
        if !compose.services.contains_key(hook.service.get_ref()) {
            return Err(at(hook.service.span(), format!("hooks.before_up.service: `{}` is not a service of compose.yml", hook.service.get_ref()), None));
        }
        if hook.command.get_ref().is_empty() {
            return Err(at(hook.command.span(), "hooks.before_up.command: empty".into(), Some("e.g. command = [\"alembic\", \"upgrade\", \"head\"]")));
        }
        before_up.push(Hook { service: hook.service.get_ref().clone(), command: hook.command.get_ref().clone() });
    }

    Ok(Stack { name: name.to_string(), dir: dir.to_path_buf(), images, max_scale, env, secrets, health, before_up, compose })
}

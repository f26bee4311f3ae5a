//! Reads stacks/S/stack.toml and checks it against its compose.yml.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::compose_file::{merge_override, parse_compose};
use super::config_error::{ConfigError, SourceFile};
use super::model::{profile_scale, Compose, Engine, Health, Hook, Stack};
use super::names;
use super::references::secret_reference;
use super::stack_folder::{compose_file_name, override_file_name, read_folder};
use super::swarm_stack::{SwarmKeys, SwarmSettings};
use super::toml_error::toml_error;
use super::values::{check_env_key, parse_duration, parse_env};
use super::yaml_locate::locate_value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStack {
    #[serde(default)]
    images: Vec<Spanned<String>>,
    max_scale: Option<Spanned<i64>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    /// Any TOML value, so that a literal of the wrong type is not echoed
    /// by toml's "invalid type" message.
    #[serde(default)]
    secrets: BTreeMap<String, Spanned<toml::Value>>,
    health: Option<RawHealth>,
    #[serde(default)]
    hooks: RawHooks,
    /// Replicas recreated one at a time (docs/stacks.md, "Rolling updates").
    rolling: Option<Spanned<bool>>,
    /// `"compose"` (default) or `"swarm"` (docs/swarm.md).
    engine: Option<Spanned<String>>,
    /// Swarm: the services whose replicas `--scale N` sets.
    #[serde(default)]
    scale_services: Vec<Spanned<String>>,
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
/// in the inventory (needed by `exec://` references). Every mistake found
/// goes into `errors`; the stack is returned only if there was none.
pub fn load_stack(
    name: &str,
    dir: &Path,
    has_exec: bool,
    errors: &mut Vec<ConfigError>,
) -> Option<Stack> {
    let found_before = errors.len();
    let stack_file = SourceFile::read(&dir.join("stack.toml"))
        .map_err(|e| errors.push(e))
        .ok();
    let compose_name = compose_file_name(dir).unwrap_or("compose.yml");
    let compose_file = SourceFile::read(&dir.join(compose_name))
        .map_err(|e| errors.push(e))
        .ok();
    let override_file = match override_file_name(dir) {
        Ok(name) => name,
        Err(e) => {
            errors.push(ConfigError::whole_file(&dir.display().to_string(), e, None));
            None
        }
    };
    let folder = match read_folder(dir) {
        Ok(folder) => Some(folder),
        Err(e) => {
            errors.push(ConfigError::whole_file(
                &dir.display().to_string(),
                e,
                Some(
                    "a deploy ships the stack's folder: see docs/stacks.md, \"What travels\""
                        .to_string(),
                ),
            ));
            None
        }
    };
    let compose = compose_file
        .as_ref()
        .and_then(|file| parse_compose(file).map_err(|e| errors.push(e)).ok());
    let raw: Option<RawStack> = stack_file.as_ref().and_then(|file| {
        toml::from_str(&file.text)
            .map_err(|e| errors.push(toml_error(file, &e, |key| key.starts_with("secrets."))))
            .ok()
    });
    let (Some(stack_file), Some(compose_file), Some(mut compose), Some(raw), Some(folder)) =
        (stack_file, compose_file, compose, raw, folder)
    else {
        return None;
    };
    if let Some(name) = override_file {
        match SourceFile::read(&dir.join(name)) {
            Ok(overrides) => {
                if let Err(e) = merge_override(&mut compose, &overrides) {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    compose.file_name = compose_name.to_string();
    compose.override_name = override_file.map(str::to_string);
    let mut stack = check_stack(
        name,
        dir,
        has_exec,
        &stack_file,
        &compose_file,
        compose,
        &raw,
        errors,
    );
    stack.folder = folder;
    (errors.len() == found_before).then_some(stack)
}

/// The checks of stack.toml against its compose file, each one independent
/// of the others: every mistake goes into `errors`.
#[allow(clippy::too_many_arguments)]
fn check_stack(
    name: &str,
    dir: &Path,
    has_exec: bool,
    stack_file: &SourceFile,
    compose_file: &SourceFile,
    compose: Compose,
    raw: &RawStack,
    errors: &mut Vec<ConfigError>,
) -> Stack {
    let at = |span: std::ops::Range<usize>, msg: String, help: Option<&str>| {
        stack_file.error_at(span, msg, help.map(str::to_string))
    };

    let mut images = Vec::new();
    for image in &raw.images {
        if let Err(m) = names::check_repository_path(image.get_ref()) {
            errors.push(at(
                image.span(),
                format!("images: {m}"),
                Some("an image name without registry or tag, e.g. \"ktrdr-backend\""),
            ));
            continue;
        }
        let used = compose
            .services
            .values()
            .any(|s| s.image.contains(&format!("/{}:", image.get_ref())));
        if !used {
            errors.push(at(
                image.span(),
                format!(
                    "images: `{}` is not used by any service of compose.yml",
                    image.get_ref()
                ),
                Some("services use it as image: ${REGISTRY}/NAME:${IMAGE_TAG}"),
            ));
            continue;
        }
        images.push(image.get_ref().clone());
    }

    let swarm = SwarmSettings::check(
        stack_file,
        compose_file,
        &compose,
        SwarmKeys {
            engine: raw.engine.as_ref(),
            scale_services: &raw.scale_services,
            rolling: raw
                .rolling
                .as_ref()
                .filter(|r| *r.get_ref())
                .map(|r| r.span()),
            hook_services: raw
                .hooks
                .before_up
                .iter()
                .map(|h| h.service.get_ref().clone())
                .collect(),
            health_url: raw
                .health
                .as_ref()
                .and_then(|h| h.url.as_ref())
                .map(|u| u.span()),
        },
        errors,
    );
    let max_scale = match &raw.max_scale {
        None => 1,
        Some(n) if (1..=swarm.max_scale_limit()).contains(n.get_ref()) => *n.get_ref() as u32,
        Some(n) => {
            errors.push(at(
                n.span(),
                format!("max_scale: {} is out of range", n.get_ref()),
                Some(&format!("use 1 to {}", swarm.max_scale_limit())),
            ));
            1
        }
    };
    // Every profile scale-2..scale-max must exist, and none above it
    // (a swarm stack scales by deploy.replicas instead).
    for n in (2..=max_scale).filter(|_| swarm.engine == Engine::Compose) {
        let profile = format!("scale-{n}");
        if !compose
            .services
            .values()
            .any(|s| s.profiles.contains(&profile))
        {
            let span = raw.max_scale.as_ref().map(|m| m.span()).unwrap_or(0..0);
            errors.push(stack_file.error_at(
                span,
                format!("max_scale: {max_scale} needs the profile `{profile}`, but no service of compose.yml has it"),
                Some(format!("give the replicas that run at scale {n} `profiles: [\"{profile}\"]` in compose.yml, or lower max_scale")),
            ));
            break;
        }
    }
    for (service, s) in compose
        .services
        .iter()
        .filter(|_| swarm.engine == Engine::Compose)
    {
        for p in &s.profiles {
            if let Some(n) = profile_scale(p) {
                if n < 2 || n > max_scale {
                    let span =
                        locate_value(&compose_file.text, &["services", service, "profiles"], p)
                            .unwrap_or(0..0);
                    let (problem, help) = if n < 2 {
                        (format!("`{p}` is not a replica profile: scale 1 runs the services without a profile"), "remove this profile".to_string())
                    } else {
                        (format!("`{p}` is above max_scale {max_scale} of stack.toml: no scale would start this service"), format!("raise max_scale to {n} in stack.toml, or remove the profile"))
                    };
                    errors.push(compose_file.error_at(
                        span,
                        format!("services.{service}.profiles: {problem}"),
                        Some(help),
                    ));
                }
            }
        }
    }

    let env = parse_env(stack_file, "env", &raw.env).unwrap_or_else(|e| {
        errors.push(e);
        BTreeMap::new()
    });
    let mut secrets = BTreeMap::new();
    for (k, v) in &raw.secrets {
        let key = format!("secrets.{k}");
        // The value first: an error about the name would show the line, and
        // so the value, if it were a literal.
        let example = "\"op://vault/item/field\"; plain values go in [env]";
        let reference = match secret_reference(stack_file, &key, v, has_exec, example) {
            Ok(reference) => reference,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Err(e) = check_env_key(stack_file, "secrets", k, v.span()) {
            errors.push(e);
            continue;
        }
        if raw.env.contains_key(k) {
            errors.push(at(v.span(), format!("{key}: `{k}` is also in [env]"), Some("a variable is either a plain value ([env]) or a secret ([secrets]): remove one")));
            continue;
        }
        secrets.insert(k.clone(), reference);
    }

    let known_services = format!(
        "the services of compose.yml: {}",
        compose
            .services
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let health = match &raw.health {
        None => Health {
            services: Vec::new(),
            url: None,
            timeout: Duration::from_secs(60),
        },
        Some(h) => {
            for s in &h.services {
                if !compose.services.contains_key(s.get_ref()) {
                    errors.push(at(
                        s.span(),
                        format!(
                            "health.services: `{}` is not a service of compose.yml",
                            s.get_ref()
                        ),
                        Some(&known_services),
                    ));
                }
            }
            if let Some(url) = &h.url {
                let u = url.get_ref();
                let ok = (u.starts_with("http://") || u.starts_with("https://"))
                    && !u.chars().any(|c| c.is_whitespace() || c.is_control());
                if !ok {
                    errors.push(at(
                        url.span(),
                        format!("health.url: `{}` is not an http(s) URL", u.escape_debug()),
                        Some("a URL probed on the node, e.g. \"http://127.0.0.1:8000/health\""),
                    ));
                }
            }
            Health {
                services: h.services.iter().map(|s| s.get_ref().clone()).collect(),
                url: h.url.as_ref().map(|u| u.get_ref().clone()),
                timeout: match &h.timeout {
                    None => Duration::from_secs(60),
                    Some(t) => {
                        parse_duration(stack_file, "health.timeout", t).unwrap_or_else(|e| {
                            errors.push(e);
                            Duration::from_secs(60)
                        })
                    }
                },
            }
        }
    };

    let mut before_up = Vec::new();
    for hook in &raw.hooks.before_up {
        if !compose.services.contains_key(hook.service.get_ref()) {
            errors.push(at(
                hook.service.span(),
                format!(
                    "hooks.before_up.service: `{}` is not a service of compose.yml",
                    hook.service.get_ref()
                ),
                Some(&known_services),
            ));
        }
        if hook.command.get_ref().is_empty() {
            errors.push(at(
                hook.command.span(),
                "hooks.before_up.command: empty".into(),
                Some("e.g. command = [\"alembic\", \"upgrade\", \"head\"]"),
            ));
        }
        if hook.command.get_ref().iter().any(|arg| arg.contains('\0')) {
            errors.push(at(
                hook.command.span(),
                "hooks.before_up.command: an argument cannot contain a NUL character".into(),
                Some("remove it: no program can receive a NUL in its arguments"),
            ));
        }
        before_up.push(Hook {
            service: hook.service.get_ref().clone(),
            command: hook.command.get_ref().clone(),
        });
    }

    Stack {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        images,
        max_scale,
        env,
        secrets,
        health,
        before_up,
        compose,
        folder: Default::default(),
        rolling: raw.rolling.as_ref().is_some_and(|r| *r.get_ref()),
        engine: swarm.engine,
        scale_services: swarm.scale_services,
    }
}

//! Reads what homectl needs from a stack's compose.yml: services, their
//! images, profiles and health checks. Real-world files (anchors, merge
//! keys, `x-` extensions, `secrets:`, `configs:`) load; the rest of the
//! file is Compose's business and is copied to the node untouched.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::config_error::{ConfigError, SourceFile};
use super::model::{Compose, ComposeService};
use super::names;
use super::yaml_locate::{locate, repeated_key};
use super::yaml_nesting::{too_deep_at, MAX_FLOW_DEPTH};

/// Merge keys inside an anchor that is itself merged (`<<: *base` in
/// `x-app`, `<<: *app` in a service) need one pass per level.
const MERGE_DEPTH: usize = 8;

pub fn parse_compose(file: &SourceFile) -> Result<Compose, ConfigError> {
    if let Some(at) = too_deep_at(&file.text) {
        return Err(file.error_at(
            at..at + 1,
            format!("invalid YAML: nested more than {MAX_FLOW_DEPTH} levels deep (`[` and `{{`)"),
            Some("no compose file needs that many levels: homectl refuses them before parsing, so a file cannot make it hang".into()),
        ));
    }
    let mut doc: Value = serde_yaml_ng::from_str(&file.text).map_err(|e| yaml_error(file, &e))?;
    for _ in 0..MERGE_DEPTH {
        doc.apply_merge().map_err(|e| yaml_error(file, &e))?;
    }
    // An error at the key path, or at its closest parent written in the file.
    let at = |path: &[&str], message: String, help: Option<&str>| {
        let help = help.map(str::to_string);
        match locate(&file.text, path) {
            Some(span) => file.error_at(span, message, help),
            None => file.error(message, help),
        }
    };

    let services = match doc.get("services") {
        None => {
            return Err(file.error(
                "no `services:` in the compose file",
                Some("a compose file lists its containers under `services:`".into()),
            ))
        }
        Some(Value::Mapping(services)) if !services.is_empty() => services,
        Some(Value::Mapping(_) | Value::Null) => {
            return Err(at(
                &["services"],
                "services: no services defined".into(),
                Some("add at least one service with an `image:`"),
            ))
        }
        Some(_) => {
            return Err(at(
                &["services"],
                "services: must be a mapping of service names to services".into(),
                None,
            ))
        }
    };

    let mut out = BTreeMap::new();
    for (name, service) in services {
        let Some(name) = name.as_str() else {
            return Err(at(
                &["services"],
                "services: a service name is not a string".into(),
                Some("quote the name"),
            ));
        };
        let path = |key: &'static str| ["services", name, key];
        names::check_service_name(name).map_err(|m| {
            at(
                &["services", name],
                format!("services.{name}: {m}"),
                Some("use letters, digits, `.`, `_` and `-`"),
            )
        })?;
        if !service.is_mapping() {
            return Err(at(
                &["services", name],
                format!("services.{name}: must be a mapping (image, ports, ...)"),
                None,
            ));
        }
        let image = match service.get("image") {
            Some(Value::String(image)) if !image.trim().is_empty() => image.clone(),
            Some(_) => {
                return Err(at(&path("image"), format!("services.{name}.image: must be an image name"), Some("e.g. image: ${REGISTRY}/NAME:${IMAGE_TAG}")))
            }
            None if service.get("build").is_some() => {
                return Err(at(
                    &path("build"),
                    format!("services.{name}: has `build:` but no `image:`; homectl deploys images, it does not build them"),
                    Some("build and push the image in CI, then set image: ${REGISTRY}/NAME:${IMAGE_TAG}"),
                ))
            }
            None => {
                return Err(at(&["services", name], format!("services.{name}: no `image:`"), Some("every service needs an image, e.g. image: ${REGISTRY}/NAME:${IMAGE_TAG}")))
            }
        };
        let profiles = match service.get("profiles") {
            None => Vec::new(),
            Some(Value::Sequence(list)) => list
                .iter()
                .map(|p| p.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    at(
                        &path("profiles"),
                        format!("services.{name}.profiles: every profile must be a string"),
                        None,
                    )
                })?,
            Some(_) => {
                return Err(at(
                    &path("profiles"),
                    format!("services.{name}.profiles: must be a list"),
                    Some("e.g. profiles: [\"scale-2\"]"),
                ))
            }
        };
        let has_healthcheck = match service.get("healthcheck") {
            None => false,
            Some(h) => !matches!(h.get("disable"), Some(Value::Bool(true))),
        };
        // What only Compose's own pull honours: the image is pulled by Compose.
        let compose_pull = ["pull_policy", "platform"]
            .iter()
            .any(|k| service.get(*k).is_some());
        out.insert(
            name.to_string(),
            ComposeService {
                image,
                profiles,
                has_healthcheck,
                compose_pull,
            },
        );
    }
    Ok(Compose {
        file_name: "compose.yml".to_string(),
        override_name: None,
        text: file.text.clone(),
        services: out,
        document: doc,
    })
}

/// What homectl reads of an override file, merged as Compose merges it
/// (docs/stacks.md, "What travels"): a service's `image`, `profiles` and
/// `healthcheck` replace the compose file's; a service only in the override
/// is added (it needs an `image`). The rest is Compose's, on the node.
pub fn merge_override(compose: &mut Compose, file: &SourceFile) -> Result<(), ConfigError> {
    let mut doc: Value = serde_yaml_ng::from_str(&file.text).map_err(|e| yaml_error(file, &e))?;
    for _ in 0..MERGE_DEPTH {
        doc.apply_merge().map_err(|e| yaml_error(file, &e))?;
    }
    let Some(Value::Mapping(services)) = doc.get("services") else {
        return Ok(());
    };
    for (name, service) in services {
        let Some(name) = name.as_str() else { continue };
        let image = service.get("image").and_then(Value::as_str);
        let profiles: Option<Vec<String>> = service.get("profiles").and_then(|p| {
            p.as_sequence().map(|l| {
                l.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
        });
        match compose.services.get_mut(name) {
            Some(known) => {
                if let Some(image) = image {
                    known.image = image.to_string();
                }
                if let Some(profiles) = profiles {
                    known.profiles = profiles;
                }
                if let Some(h) = service.get("healthcheck") {
                    known.has_healthcheck = !matches!(h.get("disable"), Some(Value::Bool(true)));
                }
            }
            None => {
                let Some(image) = image else {
                    let span = locate(&file.text, &["services", name]).unwrap_or(0..0);
                    return Err(file.error_at(
                        span,
                        format!("services.{name}: a service of the override file only, with no `image:`"),
                        Some("give it an image, or define it in the compose file too".into()),
                    ));
                };
                compose.services.insert(
                    name.to_string(),
                    ComposeService {
                        image: image.to_string(),
                        profiles: profiles.unwrap_or_default(),
                        has_healthcheck: service.get("healthcheck").is_some(),
                        compose_pull: ["pull_policy", "platform"]
                            .iter()
                            .any(|k| service.get(*k).is_some()),
                    },
                );
            }
        }
    }
    Ok(())
}

fn yaml_error(file: &SourceFile, error: &serde_yaml_ng::Error) -> ConfigError {
    // The position is in the diagnostic's location already.
    let text = error.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text);
    let message = format!("invalid YAML: {text}");
    let help = Some(
        "check the indentation and quoting here (YAML indents with spaces, never tabs)".to_string(),
    );
    let Some(loc) = error.location() else {
        return file.error(message, help);
    };
    let duplicate = text
        .split_once("duplicate entry with key \"")
        .and_then(|(_, rest)| rest.strip_suffix('"'));
    match duplicate.and_then(|key| repeated_key(&file.text, loc.index(), key)) {
        Some(span) => file.error_at(
            span,
            message,
            Some("remove or rename the second one".into()),
        ),
        None => file.error_at(loc.index()..loc.index() + 1, message, help),
    }
}

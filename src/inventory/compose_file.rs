//! Reads what homectl needs from a stack's compose.yml: services, their
//! images, profiles and health checks. Real-world files (anchors, merge
//! keys, `x-` extensions, `secrets:`, `configs:`) load; the rest of the
//! file is Compose's business and is copied to the node untouched.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::config_error::{ConfigError, SourceFile};
use super::model::{Compose, ComposeService};
use super::names;

pub fn parse_compose(file: &SourceFile) -> Result<Compose, ConfigError> {
    let mut doc: Value = serde_yaml_ng::from_str(&file.text).map_err(|e| yaml_error(file, &e))?;
    doc.apply_merge().map_err(|e| yaml_error(file, &e))?;

    let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
        return Err(file.error("no `services:` mapping", Some("a compose file lists its containers under `services:`".into())));
    };
    let mut out = BTreeMap::new();
    for (name, service) in services {
        let Some(name) = name.as_str() else {
            return Err(file.error("services: a service name is not a string", None));
        };
        let at = |msg: String, help: Option<String>| match file.find(&format!("{name}:")) {
            Some(span) => file.error_at(span, msg, help),
            None => file.error(msg, help),
        };
        names::check_service_name(name).map_err(|m| at(format!("services.{name}: {m}"), None))?;
        let image = match service.get("image") {
            Some(Value::String(image)) => image.clone(),
            Some(_) => return Err(at(format!("services.{name}.image: not a string"), None)),
            None if service.get("build").is_some() => {
                return Err(at(
                    format!("services.{name}: has `build:` but no `image:`"),
                    Some("homectl deploys images from the registry: build and push in CI, then set image: ${REGISTRY}/NAME:${IMAGE_TAG}".into()),
                ))
            }
            None => return Err(at(format!("services.{name}: no `image:`"), None)),
        };
        let profiles = match service.get("profiles") {
            None => Vec::new(),
            Some(Value::Sequence(list)) => list
                .iter()
                .map(|p| p.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| at(format!("services.{name}.profiles: every profile must be a string"), None))?,
            Some(_) => return Err(at(format!("services.{name}.profiles: must be a list"), None)),
        };
        let has_healthcheck = match service.get("healthcheck") {
            None => false,
            Some(h) => !matches!(h.get("disable"), Some(Value::Bool(true))),
        };
        out.insert(name.to_string(), ComposeService { image, profiles, has_healthcheck });
    }
    if out.is_empty() {
        return Err(file.error("`services:` is empty", None));
    }
    Ok(Compose { text: file.text.clone(), services: out })
}

fn yaml_error(file: &SourceFile, error: &serde_yaml_ng::Error) -> ConfigError {
    let message = format!("invalid YAML: {error}");
    match error.location() {
        Some(loc) => file.error_at(loc.index()..loc.index() + 1, message, None),
        None => file.error(message, None),
    }
}

//! The string values of the services a stack runs at its max_scale (those
//! without a profile and those of the `scale-N` profiles), each with its
//! key path: what Compose interpolates when homectl deploys the stack.

use serde_yaml_ng::Value;

use super::model::Stack;

/// One string value of a service: `services.web.environment.DB_URL`.
pub struct ServiceValue<'a> {
    /// The keys from `services`, e.g. `["services", "web", "environment"]`.
    pub path: Vec<String>,
    pub value: &'a str,
}

impl ServiceValue<'_> {
    pub fn key(&self) -> String {
        self.path.join(".")
    }
}

pub fn service_values(stack: &Stack) -> Vec<ServiceValue<'_>> {
    let mut out = Vec::new();
    let running = stack.compose.services_at_scale(stack.max_scale);
    let Some(Value::Mapping(services)) = stack.compose.document.get("services") else {
        return out;
    };
    for (name, service) in services {
        let Some(name) = name.as_str() else { continue };
        if !running.contains(&name) {
            continue;
        }
        let mut path = vec!["services".to_string(), name.to_string()];
        walk(service, &mut path, &mut out);
    }
    out
}

fn walk<'a>(value: &'a Value, path: &mut Vec<String>, out: &mut Vec<ServiceValue<'a>>) {
    match value {
        Value::String(s) => out.push(ServiceValue {
            path: path.clone(),
            value: s,
        }),
        Value::Sequence(list) => {
            for item in list {
                walk(item, path, out);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                let key = match key {
                    Value::String(k) => k.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                path.push(key);
                walk(item, path, out);
                path.pop();
            }
        }
        Value::Tagged(tagged) => walk(&tagged.value, path, out),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

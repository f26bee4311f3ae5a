//! homectl names each stack's compose project `<inventory name>-<stack>`
//! (docs/stacks.md): a compose file's top-level `name:` or a `.env`
//! `COMPOSE_PROJECT_NAME` that says otherwise is a warning, naming both.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::config_error::ConfigError;
use super::dotenv::DotEnv;
use super::model::{Inventory, Stack};
use super::yaml_locate::locate;

pub(super) fn check(
    inventory: &Inventory,
    stacks: &BTreeMap<String, Stack>,
    warnings: &mut Vec<ConfigError>,
) {
    for (name, stack) in stacks {
        let project = inventory.project_name(name);
        let help = Some(format!(
            "homectl runs this stack as the compose project `{project}` and finds its containers by that name; remove this, or make it `{project}`"
        ));
        if let Some(Value::String(own)) = stack.compose.document.get("name") {
            if *own != project {
                let file = stack.compose_source();
                let span = locate(&stack.compose.text, &["name"]).unwrap_or(0..0);
                warnings.push(file.error_at(
                    span,
                    format!("name: the compose file names its project `{own}`, homectl's project is `{project}`"),
                    help.clone(),
                ));
            }
        }
        if let Some(dotenv) = DotEnv::read(&stack.dir) {
            if let Some((key, value, at)) = dotenv.get("COMPOSE_PROJECT_NAME") {
                if *value != project {
                    warnings.push(dotenv.file.error_at(
                        *at..*at + key.len(),
                        format!("COMPOSE_PROJECT_NAME: .env names the project `{value}`, homectl's project is `{project}`"),
                        help,
                    ));
                }
            }
        }
    }
}

//! The app images of stack.toml's `images` follow the deploy's tag
//! (docs/stacks.md, "Images"): at least one service must use each with
//! `${IMAGE_TAG}`, or `--tag` would change nothing; a service that uses one
//! on a fixed tag gets a warning, as it will not follow `--tag`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::config_error::{ConfigError, SourceFile};
use super::interpolation::variables;
use super::model::Stack;
use super::yaml_locate::locate;

#[derive(Deserialize)]
struct Images {
    #[serde(default)]
    images: Vec<Spanned<String>>,
}

pub(super) fn check(
    stacks: &BTreeMap<String, Stack>,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<ConfigError>,
) {
    for stack in stacks.values() {
        let stack_path = stack.dir.join("stack.toml");
        let Ok(text) = std::fs::read_to_string(&stack_path) else {
            continue;
        };
        let Ok(listed) = toml::from_str::<Images>(&text) else {
            continue;
        };
        let stack_file = SourceFile::new(stack_path.display().to_string(), text);
        let compose_file = stack.compose_source();
        for image in &listed.images {
            let name = image.get_ref();
            let users: Vec<(&str, bool)> = stack
                .compose
                .services
                .iter()
                .filter_map(|(service, s)| {
                    follows_tag(&s.image, name).map(|follows| (service.as_str(), follows))
                })
                .collect();
            if !users.is_empty() && !users.iter().any(|(_, follows)| *follows) {
                errors.push(stack_file.error_at(
                    image.span(),
                    format!(
                        "images: `{name}` is never used with ${{IMAGE_TAG}}, only on a fixed tag (by {}): a deploy's --tag would change nothing",
                        users.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", ")
                    ),
                    Some(format!("use image: ${{REGISTRY}}/{name}:${{IMAGE_TAG}} in compose.yml, or remove `{name}` from images if it is not an app image built per commit")),
                ));
                continue;
            }
            for (service, follows) in users {
                if follows {
                    continue;
                }
                let image_text = &stack.compose.services[service].image;
                let span = stack
                    .compose
                    .text
                    .find(image_text.as_str())
                    .map(|at| at..at + image_text.len())
                    .or_else(|| locate(&stack.compose.text, &["services", service, "image"]))
                    .unwrap_or(0..0);
                warnings.push(compose_file.error_at(
                    span,
                    format!("services.{service}.image: `{name}` is on a fixed tag: this service will not follow --tag"),
                    Some(format!("use image: ${{REGISTRY}}/{name}:${{IMAGE_TAG}}")),
                ));
            }
        }
    }
}

/// `Some(true)` if `image` is the listed `name` with a tag that reads
/// `IMAGE_TAG`, `Some(false)` if it is `name` on another tag, `None` if it
/// is another image.
fn follows_tag(image: &str, name: &str) -> Option<bool> {
    let at = image.find(&format!("/{name}:"))?;
    let tag = &image[at + name.len() + 2..];
    Some(variables(tag).iter().any(|v| v.name == "IMAGE_TAG"))
}

#[cfg(test)]
mod tests {
    use super::follows_tag;

    #[test]
    fn an_image_follows_the_tag_when_its_tag_reads_image_tag() {
        assert_eq!(
            follows_tag("${REGISTRY}/app:${IMAGE_TAG}", "app"),
            Some(true)
        );
        assert_eq!(follows_tag("${REGISTRY}/app:$IMAGE_TAG", "app"), Some(true));
        assert_eq!(
            follows_tag("${REGISTRY}/app:${IMAGE_TAG:-dev}", "app"),
            Some(true)
        );
        assert_eq!(follows_tag("${REGISTRY}/app:1.2", "app"), Some(false));
        assert_eq!(
            follows_tag("${REGISTRY}/app:$${IMAGE_TAG}", "app"),
            Some(false)
        );
        assert_eq!(follows_tag("${REGISTRY}/other:${IMAGE_TAG}", "app"), None);
    }
}

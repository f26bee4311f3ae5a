//! The files preflight sends so that each stack is validated on the node in
//! its shipped form (docs/stacks.md, "What preflight checks on the node").
//! Like a deploy, it sends none of a stack whose files may hold a secret
//! value: not before the secrets resolved, not if a file holds one.

use crate::inventory::Stack;
use crate::remote::steps::preflight::PreflightStack;
use crate::secrets::Secrets;

use super::secrets_in_files::MIN_LEN;

pub fn preflight_stack(
    project: String,
    stack: &Stack,
    secrets: Option<&Secrets>,
) -> PreflightStack {
    PreflightStack {
        project,
        compose_files: std::iter::once(stack.compose.file_name.clone())
            .chain(stack.compose.override_name.clone())
            .collect(),
        files: shipped_files(stack, secrets),
    }
}

fn shipped_files(
    stack: &Stack,
    secrets: Option<&Secrets>,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let secrets = secrets.ok_or("the secrets did not resolve (a stack's files go to a node only once they are known to hold no secret)")?;
    let mut files = Vec::new();
    for file in &stack.folder.files {
        let path = stack.dir.join(&file.path);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if let Some(reference) = secrets.reference_found_in(&bytes, MIN_LEN) {
            return Err(format!(
                "{} holds the value of the secret {reference} (a deploy refuses it)",
                file.path
            ));
        }
        files.push((file.path.clone(), bytes));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{SecretRef, SecretValue};

    fn core() -> Stack {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml");
        crate::inventory::load(&path).unwrap().stacks["core"].clone()
    }

    fn with_value(value: &str) -> Secrets {
        let mut secrets = Secrets::default();
        let reference = SecretRef::parse("op://homelab/ktrdr-db/password").unwrap();
        secrets.insert(reference, SecretValue::new(value.to_string()));
        secrets
    }

    #[test]
    fn the_folder_travels_once_the_secrets_resolved_and_none_is_in_a_file() {
        let stack = core();
        let sent = preflight_stack(
            "ktrdr-core".into(),
            &stack,
            Some(&with_value("no-such-value-here")),
        );
        assert_eq!(sent.compose_files, ["compose.yml"]);
        let files = sent.files.unwrap();
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["compose.yml"]);
        assert_eq!(
            files[0].1,
            std::fs::read(stack.dir.join("compose.yml")).unwrap()
        );

        let why = preflight_stack("ktrdr-core".into(), &stack, None)
            .files
            .unwrap_err();
        assert!(why.starts_with("the secrets did not resolve"), "{why}");
        // A value that is in compose.yml: named by the file and the reference.
        let why = preflight_stack("ktrdr-core".into(), &stack, Some(&with_value("/app/entry")))
            .files
            .unwrap_err();
        assert_eq!(
            why,
            "compose.yml holds the value of the secret op://homelab/ktrdr-db/password (a deploy refuses it)"
        );
        assert!(!why.contains("/app/entry"));
    }
}

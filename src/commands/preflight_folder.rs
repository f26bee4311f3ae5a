//! The files preflight sends so that each stack is validated on the node in
//! its shipped form (docs/stacks.md, "What preflight checks on the node").
//! Like a deploy, it sends none of a stack whose files may hold a secret
//! value: not before the secrets resolved, not if a file holds one.

use crate::inventory::Stack;
use crate::remote::preflight_step::PreflightStack;
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

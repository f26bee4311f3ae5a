//! A stack's files are not secret: they travel to the node and stay there.
//! After the secrets resolve, and before any node is touched, a file of a
//! selected stack's folder that holds the value of any resolved secret (of
//! 6 characters or more) is refused (docs/stacks.md, "What travels"). The
//! error names the file and the reference, never the value.

use crate::error::{Error, Result};
use crate::inventory::Project;
use crate::plan::Selection;
use crate::secrets::Secrets;

/// Shorter values would match by chance (`true`, `5432`).
pub const MIN_LEN: usize = 6;

pub fn refuse_secrets_in_files(
    project: &Project,
    selection: &Selection,
    secrets: &Secrets,
) -> Result<()> {
    let stacks: std::collections::BTreeSet<&str> = selection
        .nodes
        .iter()
        .flat_map(|n| n.stacks.iter().map(|s| s.stack.as_str()))
        .collect();
    for name in stacks {
        let stack = &project.stacks[name];
        for file in &stack.folder.files {
            let path = stack.dir.join(&file.path);
            let bytes = std::fs::read(&path)
                .map_err(|e| Error::runtime(format!("cannot read {}: {e}", path.display())))?;
            if let Some(reference) = secrets.reference_found_in(&bytes, MIN_LEN) {
                return Err(Error::usage(format!(
                    "{}: holds the value of the secret {reference}; a stack's files travel to \
                     the node and stay there, so a secret must reach containers through \
                     [secrets] only (no node was touched)",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

//! Copies of the lab inventory and stacks with some text replaced.

use std::path::{Path, PathBuf};

use super::repo;

/// A copy of the lab inventory with some text replaced, in a temp folder
/// (stacks_dir made absolute so the copy still finds the stacks).
pub fn inventory_variant(dir: &Path, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo().join("inventory/lab.toml")).unwrap();
    text = text.replacen(
        "[ssh]",
        &format!(
            "stacks_dir = {:?}\n\n[ssh]",
            repo().join("stacks").display().to_string()
        ),
        1,
    );
    for (from, to) in replacements {
        assert!(text.contains(from), "{from} not in the lab inventory");
        text = text.replace(from, to);
    }
    let path = dir.join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A copy of stacks/ in `dir`/stacks with some text of one stack file
/// replaced, and a lab inventory that uses it.
pub fn stacks_variant(dir: &Path, file: &str, replacements: &[(&str, &str)]) -> PathBuf {
    let stacks = dir.join("stacks");
    for stack in ["core", "workers"] {
        std::fs::create_dir_all(stacks.join(stack)).unwrap();
        for name in ["compose.yml", "stack.toml"] {
            std::fs::copy(
                repo().join("stacks").join(stack).join(name),
                stacks.join(stack).join(name),
            )
            .unwrap();
        }
    }
    let path = stacks.join(file);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    for (from, to) in replacements {
        assert!(text.contains(from), "{from} not in stacks/{file}");
        text = text.replace(from, to);
    }
    std::fs::write(&path, text).unwrap();
    let default = format!(
        "stacks_dir = {:?}",
        repo().join("stacks").display().to_string()
    );
    let ours = format!("stacks_dir = {:?}", stacks.display().to_string());
    inventory_variant(dir, &[(default.as_str(), ours.as_str())])
}

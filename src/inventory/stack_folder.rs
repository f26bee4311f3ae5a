//! A stack is a folder (docs/stacks.md, "What travels"): its compose file
//! (one of four names, and an override file beside it), and every other
//! file of the folder, which a deploy ships to the node, except
//! `stack.toml`, `.homectlignore` and what `.homectlignore` excludes
//! (gitignore syntax). Each file is known by its content hash; the
//! folder's version is a hash over them all, so a change to any file is a
//! change of the stack.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The names Compose looks for, in its own order; a stack has exactly one.
pub const COMPOSE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The override files Compose merges over the compose file.
pub const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// Where homectl keeps its own files in the stack's folder on a node: no
/// file of the stack may live there.
pub const BOOKKEEPING_DIR: &str = ".homectl";

/// The list of what to leave behind, in the stack's folder.
pub const IGNORE_FILE: &str = ".homectlignore";

/// One file that travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFile {
    /// Relative to the stack's folder, `/`-separated.
    pub path: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub size: u64,
    pub executable: bool,
}

/// The files of a stack folder and their version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackFolder {
    /// Sorted by path.
    pub files: Vec<StackFile>,
    /// A hash over every file's path, mode and content (16 hex digits).
    pub version: String,
}

/// The compose file of a folder: exactly one of `COMPOSE_NAMES`.
pub fn compose_file_name(dir: &Path) -> Result<&'static str, String> {
    let found: Vec<&'static str> = COMPOSE_NAMES
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no compose file ({})", COMPOSE_NAMES.join(", "))),
        several => Err(format!(
            "two compose files, {}: Compose would read only the first; keep one",
            several.join(" and ")
        )),
    }
}

/// The override file beside the compose file, if any (at most one).
pub fn override_file_name(dir: &Path) -> Result<Option<&'static str>, String> {
    let found: Vec<&'static str> = OVERRIDE_NAMES
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        several => Err(format!(
            "two override files, {}: keep one",
            several.join(" and ")
        )),
    }
}

/// Every file of the folder that travels, hashed.
pub fn read_folder(dir: &Path) -> Result<StackFolder, String> {
    let mut walk = ignore::WalkBuilder::new(dir);
    walk.standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .sort_by_file_path(|a, b| a.cmp(b));
    let mut files = Vec::new();
    for entry in walk.build() {
        let entry = entry.map_err(|e| format!("cannot read the stack folder: {e}"))?;
        let path = entry.path();
        let relative = path
            .strip_prefix(dir)
            .map_err(|_| format!("{} is outside the stack folder", path.display()))?;
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if relative.is_empty() {
            continue;
        }
        let kind = entry
            .file_type()
            .ok_or_else(|| format!("{relative}: cannot tell what it is"))?;
        if kind.is_dir() {
            if relative == BOOKKEEPING_DIR {
                return Err(format!(
                    "{relative}/: the name is homectl's own folder on the node; rename it"
                ));
            }
            continue;
        }
        if relative == "stack.toml" || relative == IGNORE_FILE {
            continue;
        }
        if kind.is_symlink() {
            return Err(format!(
                "{relative}: a symbolic link; homectl ships regular files: copy the file in, \
                 or leave it out in {IGNORE_FILE}"
            ));
        }
        if !kind.is_file() {
            return Err(format!(
                "{relative}: not a regular file; leave it out in {IGNORE_FILE}"
            ));
        }
        if relative.contains(['\n', '\r', '\0']) || relative.contains("//") {
            return Err(format!(
                "{}: a file name with a line break cannot travel; rename it",
                relative.escape_debug()
            ));
        }
        files.push(hash_file(path, relative)?);
    }
    let mut version = Sha256::new();
    for file in &files {
        version.update(format!(
            "{} {} {}\n",
            file.sha256,
            u8::from(file.executable),
            file.path
        ));
    }
    let version = hex(&version.finalize())[..16].to_string();
    Ok(StackFolder { files, version })
}

fn hash_file(path: &Path, relative: String) -> Result<StackFile, String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("{relative}: cannot read: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{relative}: cannot read: {e}"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("{relative}: cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    use std::os::unix::fs::PermissionsExt;
    Ok(StackFile {
        path: relative,
        sha256: hex(&hasher.finalize()),
        size: meta.len(),
        executable: meta.permissions().mode() & 0o111 != 0,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn paths(dir: &Path) -> Vec<String> {
        read_folder(dir)
            .unwrap()
            .files
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn every_file_travels_but_stack_toml_and_what_homectlignore_leaves_out() {
        let dir = folder(&[
            ("compose.yml", "services: {}\n"),
            ("stack.toml", ""),
            (".env", "A=1\n"),
            ("conf/nginx.conf", "x"),
            ("data/db.sqlite", "x"),
            ("notes.md", "x"),
            (".homectlignore", "data/\n*.md\n"),
        ]);
        assert_eq!(
            paths(dir.path()),
            [".env", "compose.yml", "conf/nginx.conf"]
        );
    }

    #[test]
    fn a_changed_file_changes_the_version() {
        let dir = folder(&[("compose.yml", "services: {}\n"), ("conf/a", "1")]);
        let before = read_folder(dir.path()).unwrap();
        std::fs::write(dir.path().join("conf/a"), "2").unwrap();
        let after = read_folder(dir.path()).unwrap();
        assert_ne!(before.version, after.version);
        assert_eq!(before.version.len(), 16);
        assert_eq!(read_folder(dir.path()).unwrap(), after, "stable");
    }

    #[test]
    fn one_compose_file_of_four_names_and_at_most_one_override() {
        let dir = folder(&[("docker-compose.yml", "services: {}\n")]);
        assert_eq!(compose_file_name(dir.path()), Ok("docker-compose.yml"));
        assert_eq!(override_file_name(dir.path()), Ok(None));
        std::fs::write(dir.path().join("compose.yaml"), "").unwrap();
        let two = compose_file_name(dir.path()).unwrap_err();
        assert!(two.contains("compose.yaml and docker-compose.yml"), "{two}");
        std::fs::write(dir.path().join("docker-compose.override.yml"), "").unwrap();
        assert_eq!(
            override_file_name(dir.path()),
            Ok(Some("docker-compose.override.yml"))
        );
    }

    #[test]
    fn homectls_own_folder_name_and_links_are_refused() {
        let dir = folder(&[("compose.yml", ""), (".homectl/x", "")]);
        assert!(read_folder(dir.path()).unwrap_err().contains(".homectl/"));
        let dir = folder(&[("compose.yml", "")]);
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        assert!(read_folder(dir.path())
            .unwrap_err()
            .contains("symbolic link"));
    }
}

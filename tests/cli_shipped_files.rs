//! Warnings about what a stack folder ships (docs/inventory.md, "What check
//! verifies"): files git does not have, and bind-mount sources that are
//! missing where a file is meant.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn homectl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homectl"))
        .arg("-i")
        .arg(dir.join("inventory.toml"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl")
}

/// A project with one stack `app` on node-a (from the test corpus), its
/// compose file `compose`.
fn project(compose: &str) -> tempfile::TempDir {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken/47-image-not-in-compose");
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("stacks/app")).unwrap();
    fs::copy(
        case.join("inventory.toml"),
        dir.path().join("inventory.toml"),
    )
    .unwrap();
    fs::write(
        dir.path().join("stacks/app/stack.toml"),
        "images = [\"app\"]\n",
    )
    .unwrap();
    fs::write(dir.path().join("stacks/app/compose.yml"), compose).unwrap();
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdout(Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

const COMPOSE: &str = "services:\n  web:\n    image: ${REGISTRY}/app:${IMAGE_TAG}\n";

#[test]
fn a_shipped_file_git_does_not_track_or_ignores_is_named_in_a_warning() {
    let dir = project(COMPOSE);
    let stack = dir.path().join("stacks/app");
    fs::write(stack.join("tracked.conf"), "a\n").unwrap();
    fs::write(stack.join("untracked.conf"), "b\n").unwrap();
    fs::create_dir(stack.join("logs")).unwrap();
    fs::write(stack.join("logs/run.log"), "c\n").unwrap();
    fs::write(stack.join(".gitignore"), "*.log\n").unwrap();
    // Outside a git work tree: nothing to say.
    let output = homectl(dir.path(), &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");

    git(dir.path(), &["init", "-q"]);
    git(
        dir.path(),
        &[
            "add",
            "inventory.toml",
            "stacks/app/stack.toml",
            "stacks/app/compose.yml",
            "stacks/app/tracked.conf",
            "stacks/app/.gitignore",
        ],
    );
    let output = homectl(dir.path(), &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].ends_with("stack app: logs/run.log is shipped to the node, but git ignores it (.gitignore): a checkout of the repository (CI's) would not have it"),
        "{stderr}"
    );
    assert!(
        warnings[1].ends_with("stack app: untracked.conf is shipped to the node, but git does not track it: a checkout of the repository (CI's) would not have it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: commit it (git add untracked.conf)"),
        "{stderr}"
    );
    // The dry run, which lists what travels, says it too; --strict refuses.
    let output = homectl(
        dir.path(),
        &["deploy", "all", "--dry-run", "--tag", "abc1234"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("untracked.conf is shipped"), "{stderr}");
    let output = homectl(dir.path(), &["check", "--strict"]);
    assert_eq!(output.status.code(), Some(2));

    // Left out by .homectlignore: not shipped, so no warning.
    fs::write(stack.join(".homectlignore"), "untracked.conf\nlogs/\n").unwrap();
    git(dir.path(), &["add", "stacks/app/.homectlignore"]);
    let output = homectl(dir.path(), &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_missing_bind_source_that_looks_like_a_file_or_is_read_only_is_a_warning() {
    let compose = "services:
  web:
    image: ${REGISTRY}/app:${IMAGE_TAG}
    volumes:
      - ./init-data.sh:/docker-entrypoint-initdb.d/init-data.sh
      - ./configuration:/etc/app:z,ro
      - ./data:/var/lib/app
      - ./conf.d:/etc/app/conf.d
      - ./present.conf:/etc/present.conf:ro
      - app-volume:/cache:ro
      - type: bind
        source: ./certs.pem
        target: /certs
  worker:
    image: ${REGISTRY}/app:${IMAGE_TAG}
    volumes:
      - ./configuration:/etc/app:ro
volumes:
  app-volume:
";
    let dir = project(compose);
    fs::write(dir.path().join("stacks/app/present.conf"), "x\n").unwrap();
    let output = homectl(dir.path(), &["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let shown = stderr.replace(&dir.path().display().to_string(), "DIR");
    insta::assert_snapshot!(shown);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 3, "{stderr}");
    for (at, source) in [
        ("compose.yml:5:9", "./init-data.sh"),
        ("compose.yml:6:9", "./configuration"),
        ("compose.yml:12:17", "./certs.pem"),
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(at) && w.contains(&format!("`{source}`"))),
            "{at} {source}: {stderr}"
        );
    }
}

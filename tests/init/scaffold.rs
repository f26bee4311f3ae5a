//! `homectl init`: the scaffold passes `check` and plans a deploy at every
//! scale, and init never writes over a file.

use super::*;

/// Every file under `dir` with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn init_scaffolds_files_that_pass_check() {
    let tmp = tempfile::tempdir().unwrap();
    let out = homectl(tmp.path(), &["init", "lab"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for file in FILES {
        assert!(
            tmp.path().join("lab").join(file).is_file(),
            "{file} missing"
        );
        assert!(
            stdout.contains(&format!("lab/{file}")),
            "{file} not named in:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("homectl preflight"),
        "next steps missing:\n{stdout}"
    );

    let check = homectl(tmp.path(), &["-i", "lab/inventory/homelab.toml", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "check failed:\n{}",
        text(&check.stderr)
    );
    assert!(
        text(&check.stdout).contains("3 nodes, 2 stacks: core, workers"),
        "{}",
        text(&check.stdout)
    );
}

#[test]
fn init_defaults_to_the_current_folder_and_the_default_inventory_path() {
    let tmp = tempfile::tempdir().unwrap();
    let out = homectl(tmp.path(), &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // No -i: the default inventory/homelab.toml is the scaffolded one.
    let check = homectl(tmp.path(), &["check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "check failed:\n{}",
        text(&check.stderr)
    );
}

#[test]
fn init_never_overwrites_and_names_every_file_in_the_way() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(homectl(tmp.path(), &["init", "lab"]).status.code(), Some(0));
    // The operator's edit must survive a second init.
    let inventory = tmp.path().join("lab/inventory/homelab.toml");
    fs::write(&inventory, "# mine\n").unwrap();
    let before = snapshot(tmp.path());

    let again = homectl(tmp.path(), &["init", "lab"]);
    assert_eq!(again.status.code(), Some(2));
    let stderr = text(&again.stderr);
    for file in FILES {
        assert!(
            stderr.contains(&format!("lab/{file}")),
            "{file} not named in:\n{stderr}"
        );
    }
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(snapshot(tmp.path()), before, "a second init changed files");
}

#[test]
fn init_writes_nothing_when_a_single_file_is_in_the_way() {
    let tmp = tempfile::tempdir().unwrap();
    let compose = tmp.path().join("stacks/workers/compose.yml");
    fs::create_dir_all(compose.parent().unwrap()).unwrap();
    fs::write(&compose, "services: {}\n").unwrap();
    // A file where a folder must go is in the way too.
    fs::write(tmp.path().join("inventory"), "not a folder\n").unwrap();
    let before = snapshot(tmp.path());

    let out = homectl(tmp.path(), &["init"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("stacks/workers/compose.yml"), "{stderr}");
    assert!(stderr.contains("inventory"), "{stderr}");
    assert!(
        !stderr.contains("stacks/core"),
        "files not in the way are named:\n{stderr}"
    );
    assert_eq!(snapshot(tmp.path()), before, "init wrote something");
    assert!(!tmp.path().join("stacks/core").exists());
}

#[test]
fn the_scaffold_plans_a_deploy_at_every_scale() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(homectl(tmp.path(), &["init"]).status.code(), Some(0));
    let out = homectl(
        tmp.path(),
        &[
            "deploy",
            "workers",
            "node-b",
            "--scale",
            "3",
            "--dry-run",
            "--tag",
            "abc1234",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.contains("--profile scale-2 --profile scale-3"),
        "{plan}"
    );
    assert!(
        plan.contains("ghcr.io/acme/ktrdr-backend:abc1234"),
        "{plan}"
    );
    let core = homectl(
        tmp.path(),
        &["deploy", "core", "--dry-run", "--tag", "abc1234"],
    );
    assert_eq!(core.status.code(), Some(0), "{}", text(&core.stderr));
    assert!(
        text(&core.stdout).contains("# step hook core backend"),
        "{}",
        text(&core.stdout)
    );
    let too_big = homectl(
        tmp.path(),
        &[
            "deploy",
            "workers",
            "--scale",
            "4",
            "--dry-run",
            "--tag",
            "abc1234",
        ],
    );
    assert_eq!(too_big.status.code(), Some(2));
}

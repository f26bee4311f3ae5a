//! `homectl init`, `completions` and `man`, run as the built binary: the
//! scaffold passes `check`, is never written over, and the generated
//! completions and man page know the commands. Also what the scaffold's
//! commands print before any node is reached: `logs` refusing without its
//! secrets, control characters escaped. No network, no lab.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FILES: [&str; 5] = [
    "inventory/homelab.toml",
    "stacks/core/stack.toml",
    "stacks/core/compose.yml",
    "stacks/workers/stack.toml",
    "stacks/workers/compose.yml",
];

fn homectl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("HOMECTL_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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

#[test]
fn completions_know_the_commands() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = homectl(tmp.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(!script.trim().is_empty(), "{shell}: empty");
        for command in ["deploy", "preflight", "check", "init"] {
            assert!(
                script.contains(command),
                "{shell} completion does not mention {command}"
            );
        }
    }
    let bad = homectl(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_man_page_knows_the_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let out = homectl(tmp.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH homectl"),
        "not roff:\n{page}"
    );
    for command in ["deploy", "preflight", "check", "init"] {
        assert!(
            page.contains(command),
            "the man page does not mention {command}"
        );
    }

    let dir = tmp.path().join("man1");
    let out = homectl(tmp.path(), &["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for page in [
        "homectl.1",
        "homectl-deploy.1",
        "homectl-preflight.1",
        "homectl-init.1",
    ] {
        assert!(dir.join(page).is_file(), "{page} not written");
    }
    let deploy = fs::read_to_string(dir.join("homectl-deploy.1")).unwrap();
    assert!(
        deploy.contains("dry\\-run"),
        "homectl-deploy.1 lacks --dry-run"
    );
}

/// Every command's --help ends with examples.
#[test]
fn every_command_has_examples_in_its_help() {
    let tmp = tempfile::tempdir().unwrap();
    let help = text(&homectl(tmp.path(), &["--help"]).stdout);
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 6, "commands not found in --help:\n{help}");
    for command in commands {
        let out = homectl(tmp.path(), &[&command, "--help"]);
        let text = text(&out.stdout);
        assert!(
            text.contains("Examples:\n  homectl "),
            "`homectl {command} --help` has no examples:\n{text}"
        );
    }
}

/// `logs` shows nothing it cannot mask: when the stacks' secrets do not
/// resolve (here `op` is not on the PATH), it refuses before any node is
/// contacted (docs/operations.md, "logs").
#[test]
fn logs_refuses_when_the_secrets_do_not_resolve() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(homectl(tmp.path(), &["init", "lab"]).status.code(), Some(0));
    let empty = tmp.path().join("no-tools");
    fs::create_dir(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args([
            "-i",
            "lab/inventory/homelab.toml",
            "logs",
            "node-a",
            "backend",
        ])
        .current_dir(tmp.path())
        .env("NO_COLOR", "1")
        .env("PATH", &empty)
        .env_remove("HOMECTL_INVENTORY")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("op://homelab/ktrdr-db/password"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not shown unmasked"),
        "a clear refusal:\n{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

/// The scaffold, with a stack env value holding an escape sequence and a
/// carriage return (TOML `\u001b`, `\r`).
fn scaffold_with_hostile_env(tmp: &Path) -> PathBuf {
    assert_eq!(homectl(tmp, &["init", "lab"]).status.code(), Some(0));
    let lab = tmp.join("lab");
    let stack = lab.join("stacks/core/stack.toml");
    let text = fs::read_to_string(&stack).unwrap().replacen(
        "[env]\n",
        "[env]\nBANNER = \"\\u001b[31mFAKE OK\\u001b[0m\\rover\"\n",
        1,
    );
    fs::write(&stack, text).unwrap();
    lab
}

/// What homectl prints has control characters escaped, visibly
/// (docs/operations.md, "Output"): here an env value in `deploy --dry-run`.
#[test]
fn an_env_value_is_printed_with_its_control_characters_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = scaffold_with_hostile_env(tmp.path());
    let out = homectl(&lab, &["deploy", "core", "--dry-run", "--tag", "abc1234"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\r'),
        "raw control characters:\n{stdout}"
    );
    assert!(
        stdout.contains(r"export BANNER='\x1b[31mFAKE OK\x1b[0m\rover'"),
        "{stdout}"
    );
}

/// An error message quoting the command line: escaped too.
#[test]
fn an_error_message_is_printed_with_its_control_characters_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = scaffold_with_hostile_env(tmp.path());
    let out = homectl(&lab, &["logs", "node-a", "x\x1b[31my\rz"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\r'),
        "raw control characters:\n{stderr}"
    );
    assert!(
        stderr.contains(r"error: no service `x\x1b[31my\rz` on node-a"),
        "{stderr}"
    );
}

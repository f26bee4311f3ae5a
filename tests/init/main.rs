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

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// What bash offers after `words` (the last one being typed), through the
/// script `homectl completions bash` prints, run by a real bash.
fn bash_candidates(dir: &Path, words: &[&str]) -> Vec<String> {
    let script = text(&homectl(dir, &["completions", "bash"]).stdout);
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\nCOMP_TYPE=9\n\
         _clap_complete_homectl homectl \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        quoted.join(" ")
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &program])
        .current_dir(dir)
        .env_remove("HOMECTL_INVENTORY")
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn completions_know_the_commands_and_the_inventorys_names() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = homectl(tmp.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        // The script asks homectl itself, by its path.
        assert!(
            script.contains(env!("CARGO_BIN_EXE_homectl")) && script.contains("COMPLETE"),
            "{shell}: {script}"
        );
    }
    let bad = homectl(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));

    let commands = bash_candidates(tmp.path(), &["homectl", ""]);
    for command in ["deploy", "preflight", "check", "init", "config"] {
        assert!(commands.contains(&command.to_string()), "{commands:?}");
    }
    // Names from the inventory given with -i, or found in the current folder.
    let lab = repo().join("inventory/lab.toml");
    let lab = lab.to_str().unwrap();
    assert_eq!(
        bash_candidates(tmp.path(), &["homectl", "-i", lab, "deploy", "w"]),
        ["workers"]
    );
    let names = bash_candidates(tmp.path(), &["homectl", "-i", lab, "status", "workers", ""]);
    for name in ["node-b", "core", "backend", "backtest-worker-2"] {
        assert!(names.contains(&name.to_string()), "{name}: {names:?}");
    }
    assert_eq!(
        bash_candidates(
            tmp.path(),
            &["homectl", "-i", lab, "deploy", "all", "stack:"]
        ),
        ["stack:core", "stack:workers"]
    );
    assert_eq!(
        bash_candidates(tmp.path(), &["homectl", "-i", lab, "logs", "node-"]),
        ["node-a", "node-b", "node-c"]
    );
    assert_eq!(
        bash_candidates(
            repo().as_path(),
            &[
                "homectl",
                "--inventory=inventory/lab.toml",
                "unlock",
                "node-c"
            ]
        ),
        ["node-c"]
    );
    // fish and zsh ask the same way: the words after `--`.
    let fish = Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(["--", "homectl", "-i", lab, "deploy", "workers", "node-"])
        .env("COMPLETE", "fish")
        .output()
        .unwrap();
    assert_eq!(
        text(&fish.stdout).lines().collect::<Vec<_>>(),
        ["node-a", "node-b", "node-c"]
    );
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
    // Every page says what the exit codes and the environment mean.
    for page in [page.as_str(), deploy.as_str()] {
        assert!(page.contains(".SH \"EXIT STATUS\""), "no EXIT STATUS");
        assert!(page.contains("\\fB130\\fR"), "no 130 in EXIT STATUS");
        assert!(page.contains(".SH ENVIRONMENT") && page.contains("HOMECTL_INVENTORY"));
    }
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

/// `check-jsonschema` (PyPI), which scripts/test installs into
/// target/test-tools/venv, or one on PATH.
fn check_jsonschema() -> PathBuf {
    let venv = repo().join("target/test-tools/venv/bin/check-jsonschema");
    if venv.is_file() {
        return venv;
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v check-jsonschema"])
        .output()
        .unwrap();
    let path = text(&on_path.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "check-jsonschema is not installed: scripts/test installs it \
         (python3 -m venv target/test-tools/venv && target/test-tools/venv/bin/pip install check-jsonschema)"
    );
    PathBuf::from(path)
}

fn valid_github_workflow(file: &Path) -> Output {
    Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(file)
        .output()
        .expect("check-jsonschema runs")
}

#[test]
fn init_ci_github_writes_a_valid_workflow_that_checks_then_deploys_each_group() {
    let tmp = tempfile::tempdir().unwrap();
    let out = homectl(tmp.path(), &["init", "--ci", "github"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let file = tmp.path().join(".github/workflows/homectl.yml");
    let workflow = fs::read_to_string(&file).unwrap();
    let valid = valid_github_workflow(&file);
    assert!(
        valid.status.success(),
        "{}{}",
        text(&valid.stdout),
        text(&valid.stderr)
    );
    for expected in [
        "run: homectl check",
        "tag=${GITHUB_SHA::7}",
        "homectl --json preflight --tag \"$tag\"",
        "homectl --json deploy core --tag \"$TAG\"",
        "homectl --json deploy workers --tag \"$TAG\"",
        "OP_SERVICE_ACCOUNT_TOKEN: ${{ secrets.OP_SERVICE_ACCOUNT_TOKEN }}",
    ] {
        assert!(workflow.contains(expected), "{expected}:\n{workflow}");
    }
    // The validator does fail a broken workflow.
    let broken = tmp.path().join("broken.yml");
    fs::write(
        &broken,
        workflow.replace("runs-on: self-hosted", "runs-on: [1, {}]"),
    )
    .unwrap();
    assert!(!valid_github_workflow(&broken).status.success());
    // Without --ci no workflow is written; with it, init still never overwrites.
    let again = homectl(tmp.path(), &["init", "--ci", "github"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains(".github/workflows/homectl.yml"));
    let plain = tempfile::tempdir().unwrap();
    homectl(plain.path(), &["init"]);
    assert!(!plain.path().join(".github").exists());
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

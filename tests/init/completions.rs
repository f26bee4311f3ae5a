//! `homectl completions`: they know the commands and the inventory's names.

use super::*;

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

//! What the scaffold's commands print before any node is reached: `logs`
//! refusing without its secrets, control characters escaped.

use super::*;

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

//! Warnings: they do not fail `check` unless `--strict`; secret-looking
//! env names and values.

use super::*;

/// The lab's `core` stack runs its db on `ktrdr-backend` at a fixed tag, on
/// purpose: a warning on stderr (`warning: file:line:col: message`) and in
/// `--json`, exit 0; `--strict` makes it an error (exit 2).
#[test]
fn warnings_do_not_fail_check_unless_strict() {
    let output = homectl(&["-i", "inventory/lab.toml", "check"]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "warning: inventory/../stacks/core/compose.yml:12:12: services.db.image: `ktrdr-backend` is on a fixed tag"
        ),
        "{stderr}"
    );

    let output = homectl(&["-i", "inventory/lab.toml", "--json", "check"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let warnings = report["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{report}");
    assert_eq!(warnings[0]["key"], "services.db.image");
    assert_eq!(warnings[0]["line"], 12);

    let output = homectl(&["-i", "inventory/lab.toml", "--json", "check", "--strict"]);
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["error"]["key"], "services.db.image", "{report}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 1);
}

/// A secret-looking name in `[env]` warns (naming the key, suggesting
/// `[secrets]`, never showing the value); `--strict` refuses it.
#[test]
fn a_secret_looking_env_name_warns_and_strict_refuses_it() {
    let text = "images = [\"app\"]\n\n[env]\nAPI_TOKEN = \"plain-token-value\"\n";
    let (dir, output) = check_case_with("stacks/app/stack.toml", text.as_bytes());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr
            .contains("stacks/app/stack.toml:4:13: env.API_TOKEN: `API_TOKEN` looks like a secret"),
        "{stderr}"
    );
    assert!(stderr.contains("[secrets]"), "{stderr}");
    let inventory = dir.path().join("inventory.toml");
    let output = homectl(&["-i", inventory.to_str().unwrap(), "check", "--strict"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("plain-token-value"), "{stderr}");
}

/// `deploy --dry-run` shows a secret-looking `[env]` value as it is (it is
/// no secret), but the warning comes first, in the one stream a terminal
/// shows (stdout and stderr on one pipe, in the order written).
#[test]
fn deploy_dry_run_warns_of_a_secret_looking_env_value_before_showing_it() {
    let text = "images = [\"app\"]\n\n[env]\nAPI_TOKEN = \"plain-token-value\"\n";
    let (dir, _) = check_case_with("stacks/app/stack.toml", text.as_bytes());
    let inventory = dir.path().join("inventory.toml");
    let output = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$@\" 2>&1")
        .arg(env!("CARGO_BIN_EXE_homectl"))
        .args(["-i", inventory.to_str().unwrap()])
        .args(["deploy", "all", "--dry-run", "--tag", "abc1234"])
        .env("NO_COLOR", "1")
        .env_remove("HOMECTL_INVENTORY")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl");
    let both = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{both}");
    let warning = both
        .find("env.API_TOKEN: `API_TOKEN` looks like a secret")
        .unwrap_or_else(|| panic!("no warning: {both}"));
    let value = both
        .find("API_TOKEN=plain-token-value")
        .unwrap_or_else(|| panic!("the value is not shown: {both}"));
    assert!(warning < value, "{both}");
    assert!(both[..warning].starts_with("warning: "), "{both}");
}

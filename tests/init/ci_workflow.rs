//! `homectl init --ci github`: a valid workflow that checks, then deploys
//! each group.

use super::*;

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

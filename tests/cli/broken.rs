//! Every broken input of the corpus is refused with its message, every
//! error at once, and under `--json` as one object naming file, line and key.

use super::*;

/// expected.txt: the location (relative to the case folder), the message
/// (`{case}` stands for the case folder), then `absent: TEXT` lines for
/// text that must not appear anywhere in the output (a secret typed in).
struct Expected {
    location: String,
    message: String,
    absent: Vec<String>,
}

fn expected(case: &Path, case_arg: &str) -> Expected {
    let text = fs::read_to_string(case.join("expected.txt")).expect("expected.txt");
    let mut lines = text.lines();
    let (Some(location), Some(message)) = (lines.next(), lines.next()) else {
        panic!(
            "{}: expected.txt needs a location line and a message line",
            case.display()
        );
    };
    Expected {
        location: format!("{case_arg}/{location}"),
        message: message.replace("{case}", case_arg),
        absent: lines
            .filter_map(|l| l.strip_prefix("absent: "))
            .map(str::to_string)
            .collect(),
    }
}

/// miette wraps long lines and draws a frame: compare without either.
fn flatten(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '│' | '×'))
        .collect()
}

#[test]
fn every_broken_input_is_refused_with_its_message() {
    let cases = corpus("broken");
    assert!(cases.len() >= 35, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    let mut rendered = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        let case_arg = format!("tests/corpus/broken/{name}");
        let expected = expected(case, &case_arg);
        let output = homectl(&["-i", &format!("{case_arg}/inventory.toml"), "check"]);
        let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");

        let mut problems = Vec::new();
        if output.status.code() != Some(2) {
            problems.push(format!("exit code {:?}, not 2", output.status.code()));
        }
        if !output.stdout.is_empty() {
            problems.push("printed on stdout".to_string());
        }
        if !flatten(&stderr).starts_with(&flatten(&format!(
            "{}: {}",
            expected.location, expected.message
        ))) {
            problems.push(format!(
                "does not start with `{}: {}`",
                expected.location, expected.message
            ));
        }
        for secret in &expected.absent {
            if stderr.contains(secret.as_str()) {
                problems.push(format!("echoes `{secret}`"));
            }
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push("panicked".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}\n{stderr}", problems.join("; ")));
        }
        rendered.push((name.to_string(), stderr));
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The whole diagnostic, frame and hint included, pinned per case.
    for (name, stderr) in rendered {
        insta::assert_snapshot!(name, stderr);
    }
}

/// Five independent mistakes in four files: all reported at once, by file
/// then line, in the human diagnostic (snapshot `74-five-independent-mistakes`)
/// and in `--json`: `error` is the first, `errors` lists all five.
#[test]
fn every_error_of_every_file_is_reported_at_once() {
    let case = "tests/corpus/broken/74-five-independent-mistakes";
    let output = homectl(&["-i", &format!("{case}/inventory.toml"), "--json", "check"]);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let errors = report["errors"].as_array().expect("errors");
    let at: Vec<String> = errors
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap().trim_start_matches(case);
            format!("{file}:{} {}", e["line"], e["key"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        at,
        [
            "/inventory.toml:4 tag_length",
            "/inventory.toml:14 nodes.node-a.stacks",
            "/stacks/app/compose.yml:6 services.extra.profiles",
            "/stacks/app/stack.toml:4 health.url",
            "/stacks/web/compose.yml:3 services.site",
        ]
    );
    assert_eq!(report["error"], errors[0]);
    assert_eq!(report["errors_left_out"], 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("  × ").count(), 5, "{stderr}");
    assert!(stderr.trim_end().ends_with("error: 5 errors"), "{stderr}");
}

/// `--json` failures end stdout with one error object on one line, naming
/// what is known (docs/operations.md, "JSON output").
#[test]
fn json_errors_end_stdout_with_one_object_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inv.toml");
    std::fs::write(
        &inventory,
        "name = \"x\"\n[registry]\nserver = \"r.example\"\nnamespace = \"n\"\nusername = \"u\"\npassword = 3\n",
    )
    .unwrap();
    let output = homectl(&["-i", inventory.to_str().unwrap(), "--json", "check"]);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let error: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let error = &error["error"];
    assert_eq!(error["exit_code"], 2, "{error}");
    assert_eq!(error["file"], inventory.to_str().unwrap(), "{error}");
    assert_eq!(error["line"], 6, "{error}");
    assert_eq!(error["key"], "registry.password", "{error}");
    // Human text stays on stderr.
    assert!(!String::from_utf8_lossy(&output.stderr).is_empty());

    // A command-line error, found before any command runs.
    let output = homectl(&["--json", "deploy", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--no-such-flag"),
        "{error}"
    );
}

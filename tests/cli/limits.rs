//! Inputs past the loaders' limits (a column past 65535, deep nesting, a
//! huge file or key path): refused before parsing, never a panic.

use super::*;

fn assert_refused_without_panic(output: &Output, location: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(location), "not at {location}:\n{stderr}");
    stderr
}

#[test]
fn an_error_past_column_65535_is_rendered_without_panic() {
    let text = format!("images = [\"app\"]{}bogus\n", " ".repeat(70_000));
    let (_dir, output) = check_case_with("stacks/app/stack.toml", text.as_bytes());
    let stderr = assert_refused_without_panic(&output, "stacks/app/stack.toml:1:70017");
    // The excerpt is clipped around the column, not 70,000 spaces wide.
    assert!(stderr.len() < 4_000, "{} bytes of diagnostic", stderr.len());
    assert!(stderr.contains("bogus"), "{stderr}");
}

#[test]
fn a_deeply_nested_compose_file_is_refused_before_parsing() {
    // 64 KB of `[`: serde_yaml_ng's scanner took ~30 s on it (quadratic).
    let text = format!("services:\n  web: {}\n", "[".repeat(65_536));
    let (_dir, output) = check_case_with("stacks/app/compose.yml", text.as_bytes());
    let stderr = assert_refused_without_panic(&output, "stacks/app/compose.yml:2:");
    assert!(stderr.contains("nested more than 64 levels"), "{stderr}");
}

#[test]
fn a_huge_file_is_refused_before_parsing() {
    let text = format!(
        "services:\n  web:\n    image: x\n#{}\n",
        "x".repeat(5 << 20)
    );
    let (_dir, output) = check_case_with("stacks/app/compose.yml", text.as_bytes());
    let stderr = assert_refused_without_panic(&output, "stacks/app/compose.yml");
    assert!(stderr.contains("larger than"), "{stderr}");
}

#[test]
fn a_huge_key_path_does_not_make_a_huge_message() {
    let text = format!("a{} = 1\n", ".a".repeat(300_000));
    let (_dir, output) = check_case_with("stacks/app/stack.toml", text.as_bytes());
    let stderr = assert_refused_without_panic(&output, "stacks/app/stack.toml:1:1");
    assert!(stderr.len() < 4_000, "{} bytes of diagnostic", stderr.len());
}

//! No diagnostic shows a literal secret in its source excerpt: values
//! under `[secrets]`, `registry.password` and keys that look like a secret
//! are redacted in every file's shown text (docs/architecture.md, stage 1).

use super::config_error::{ConfigError, SourceFile};
use super::inventory_file::parse_inventory;
use super::stack_file::load_stack;

const LITERAL: &str = "hunter2-literal";

const COMPOSE: &str = "services:\n  web:\n    image: ${REGISTRY}/app:${IMAGE_TAG}\n";

fn inventory(registry: &str) -> String {
    format!(
        "name = \"lab\"\n\n[registry]\nserver = \"ghcr.io\"\n{registry}\n\n[nodes.node-a]\nhost = \"a.lab\"\nstacks = [\"app\"]\n"
    )
}

fn inventory_error(text: &str) -> ConfigError {
    let file = SourceFile::new("inventory.toml", text.to_string());
    let mut errors = Vec::new();
    let _ = parse_inventory(&file, &mut errors);
    match errors.into_iter().next() {
        None => panic!("the inventory loaded:\n{text}"),
        Some(err) => err,
    }
}

fn stack_error(stack_toml: &str) -> ConfigError {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("stack.toml"), stack_toml).unwrap();
    std::fs::write(dir.path().join("compose.yml"), COMPOSE).unwrap();
    let mut errors = Vec::new();
    let _ = load_stack("app", dir.path(), false, &mut errors);
    match errors.into_iter().next() {
        None => panic!("the stack loaded:\n{stack_toml}"),
        Some(err) => err,
    }
}

/// The diagnostic in every form it is printed: graphical (the CLI's),
/// narratable (screen readers, NO_GRAPHICS) and JSON.
fn renderings(err: &ConfigError) -> Vec<String> {
    let mut graphical = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut graphical, err)
        .unwrap();
    let mut narratable = String::new();
    miette::NarratableReportHandler::new()
        .render_report(&mut narratable, err)
        .unwrap();
    let mut json = String::new();
    miette::JSONReportHandler::new()
        .render_report(&mut json, err)
        .unwrap();
    vec![graphical, narratable, json]
}

/// The literal is in no rendering; the error names the file, line and key.
fn assert_redacted(err: &ConfigError, location: &str, key: &str) {
    for shown in renderings(err) {
        assert!(!shown.contains(LITERAL), "the secret is shown:\n{shown}");
        assert!(
            !shown.contains("hunter2"),
            "part of the secret is shown:\n{shown}"
        );
    }
    let graphical = &renderings(err)[0];
    assert!(
        err.location.contains(location),
        "location {} is not at {location}",
        err.location
    );
    assert!(graphical.contains(location), "{graphical}");
    assert!(err.message.contains(key), "{}", err.message);
}

#[test]
fn a_misspelt_password_key_is_not_echoed() {
    let text = inventory(&format!(
        "username = \"ci\"\npassword = \"op://a/b/c\"\npasswrod = \"{LITERAL}\""
    ));
    let err = inventory_error(&text);
    assert_redacted(&err, "inventory.toml:7:", "passwrod");
}

#[test]
fn a_secret_above_a_bad_line_of_a_stack_is_not_echoed() {
    let err = stack_error(&format!(
        "images = [\"app\"]\n[secrets]\nAPI_KEY = \"{LITERAL}\"\nDB = op://x\n"
    ));
    assert!(err.location.ends_with("stack.toml:4:6"), "{}", err.location);
    assert_redacted(&err, "stack.toml:4:", "secrets.DB");
}

#[test]
fn a_literal_password_below_a_bad_username_is_not_echoed() {
    let text = inventory(&format!("username = \"\"\npassword = \"{LITERAL}\""));
    let err = inventory_error(&text);
    assert_redacted(&err, "inventory.toml:5:", "registry.username");
}

#[test]
fn a_duplicate_password_key_is_not_echoed() {
    let text = inventory(&format!(
        "username = \"ci\"\npassword = \"{LITERAL}\"\npassword = \"{LITERAL}\""
    ));
    let err = inventory_error(&text);
    assert_redacted(&err, "inventory.toml:7:", "registry");
}

#[test]
fn a_bad_line_after_a_literal_secret_does_not_echo_it() {
    let err = stack_error(&format!(
        "images = [\"app\"]\n[secrets]\nAPI_KEY = \"{LITERAL}\"\nBOGUS = 1 2\n"
    ));
    assert_redacted(&err, "stack.toml:4:", "secrets.BOGUS");
}

#[test]
fn a_secret_looking_env_key_is_not_echoed() {
    let err = stack_error(&format!(
        "images = [\"app\"]\n[env]\nDB_PASSWORD = \"{LITERAL}\"\nREGISTRY = \"x\"\n"
    ));
    assert_redacted(&err, "stack.toml:4:", "env.REGISTRY");
}

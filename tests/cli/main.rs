//! `homectl check` on the corpus of inputs in tests/corpus/, run as the
//! built binary the way an operator runs it.
//!
//! - `broken/NN-name/`: an inventory.toml (and stacks/ when the case is
//!   about a stack) with one mistake, and expected.txt (see the README
//!   there). Exit code 2, the location and message in stderr, and the whole
//!   rendered diagnostic pinned by an insta snapshot.
//! - `valid/`: inputs that must load.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use homectl::inventory;

/// Runs the binary from the package root, so paths in messages are the
/// relative ones given here and snapshots are the same on every machine.
/// Output is made deterministic: no colour, no hyperlinks, and no terminal
/// (miette takes the width from stdout, stderr or stdin: all are pipes or
/// null here, so it wraps at 80 columns).
fn homectl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_HYPERLINK")
        .env_remove("NO_GRAPHICS")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("HOMECTL_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl")
}

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

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

#[test]
fn the_reference_inventories_pass() {
    for path in ["inventory/lab.toml", "inventory/homelab.toml"] {
        let output = homectl(&["-i", path, "check"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            stdout.trim(),
            format!("{path}: ok (3 nodes, 2 stacks: core, workers)")
        );
    }
}

#[test]
fn the_swarm_lab_inventory_passes_with_a_compose_and_a_swarm_stack() {
    let path = "inventory/lab-swarm.toml";
    let output = homectl(&["-i", path, "check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("{path}: ok (3 nodes, 2 stacks: core, swarm-workers)")
    );
}

#[test]
fn check_json_reports_success() {
    let output = homectl(&["-i", "inventory/lab.toml", "--json", "check"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["nodes"],
        serde_json::json!(["node-a", "node-b", "node-c"])
    );
    assert_eq!(report["stacks"], serde_json::json!(["core", "workers"]));
}

#[test]
fn deploy_dry_run_json_is_one_document_with_each_step_and_no_secret() {
    let output = homectl(&[
        "-i",
        "inventory/lab.toml",
        "--json",
        "deploy",
        "workers",
        "node-b",
        "--scale",
        "2",
        "--dry-run",
        "--tag",
        "abc1234",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["tag"], "abc1234");
    let plans = plan["plans"].as_array().expect("plans");
    assert_eq!(plans.len(), 1, "{plan}");
    assert_eq!(plans[0]["node"], "node-b");
    assert_eq!(plans[0]["stack"], "workers");
    assert_eq!(plans[0]["scale"], 2);
    let steps: Vec<&str> = plans[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps.first(), Some(&"stage workers"), "{steps:?}");
    assert!(
        steps.iter().any(|s| s.starts_with("up")) && steps.iter().any(|s| s.starts_with("health")),
        "{steps:?}"
    );
    let pull = plans[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"].as_str().unwrap().starts_with("pull"))
        .unwrap();
    assert!(
        pull["commands"]
            .as_str()
            .unwrap()
            .contains("PASSWORD = ***"),
        "{pull}"
    );
}

#[test]
fn every_valid_input_passes_check() {
    for case in corpus("valid") {
        let inventory = case.join("inventory.toml");
        let output = homectl(&["-i", inventory.to_str().unwrap(), "check"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            case.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Anchors, chained and listed merge keys, `x-` extensions, secrets,
/// configs, long port syntax, networks, a disabled health check.
#[test]
fn a_rich_compose_file_loads_into_the_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/valid/rich-compose");
    let project = inventory::load(&root.join("inventory.toml")).unwrap_or_else(|e| panic!("{e}"));
    let shop = &project.stacks["shop"];
    let compose = &shop.compose;

    let names: Vec<&str> = compose.services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "api",
            "db",
            "debug-shell",
            "worker-1",
            "worker-2",
            "worker-3"
        ]
    );
    // Images through one and two levels of merge keys.
    assert_eq!(
        compose.services["api"].image,
        "${REGISTRY}/shop-api:${IMAGE_TAG}"
    );
    assert_eq!(
        compose.services["worker-3"].image,
        "${REGISTRY}/shop-api:${IMAGE_TAG}"
    );
    assert_eq!(compose.services["db"].image, "postgres:16-alpine");
    // Health checks: merged in, written, or disabled (and that inherited).
    assert!(compose.services["db"].has_healthcheck);
    assert!(compose.services["api"].has_healthcheck);
    assert!(!compose.services["worker-1"].has_healthcheck);
    assert!(!compose.services["worker-2"].has_healthcheck);
    assert!(!compose.services["debug-shell"].has_healthcheck);
    // Scale by profiles; `debug` never runs through homectl.
    assert_eq!(compose.services_at_scale(1), ["api", "db", "worker-1"]);
    assert_eq!(
        compose.services_at_scale(3),
        ["api", "db", "worker-1", "worker-2", "worker-3"]
    );

    assert_eq!(shop.max_scale, 3);
    assert_eq!(shop.images, ["shop-api"]);
    assert_eq!(shop.secrets.len(), 4);
    assert_eq!(shop.before_up.len(), 2);
    assert_eq!(shop.health.timeout, std::time::Duration::from_secs(120));

    let inv = &project.inventory;
    assert_eq!(inv.tag_length, 7);
    assert_eq!(inv.registry.prefix(), "registry.home.arpa:5000/acme/shop");
    assert_eq!(inv.ssh.known_hosts, inventory::KnownHosts::AcceptNew);
    assert_eq!(inv.ssh.connect_timeout, std::time::Duration::from_secs(90));
    assert_eq!(inv.nodes["node-a"].scale, Some(3));
    assert_eq!(inv.nodes["node-a"].env["TZ"], "Europe/Paris");
    assert_eq!(inv.nodes["node-b"].host, "fe80::2");
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

/// `homectl config`: what a deploy would use per node and stack, sources
/// of env values, secrets by reference only.
#[test]
fn config_shows_each_value_with_its_source_and_no_secret_value() {
    let output = homectl(&[
        "-i",
        "inventory/lab.toml",
        "config",
        "workers",
        "node-b",
        "--tag",
        "abc1234",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!("config-workers-node-b", text);

    let output = homectl(&[
        "-i",
        "inventory/lab.toml",
        "--json",
        "config",
        "--tag",
        "abc1234",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let config: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let nodes = config["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    let workers = &nodes[1]["stacks"][0];
    let url = workers["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "WORKER_PUBLIC_BASE_URL")
        .unwrap();
    assert_eq!(url["source"], "node");
    assert_eq!(url["overrides"], serde_json::json!(["stack"]));
    assert_eq!(
        workers["secrets"][0]["reference"], "op://homelab/ktrdr-api/key",
        "{workers}"
    );
}

#[test]
fn a_missing_inventory_points_at_init_and_dash_i() {
    let output = homectl(&["-i", "no/such/inventory.toml", "status"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no/such/inventory.toml"), "{stderr}");
    assert!(
        stderr.contains("homectl init") && stderr.contains("-i PATH"),
        "{stderr}"
    );
}

/// `rollback`, `restart` and `down` change what runs: without a TARGET
/// they touch nothing and say how to name one (`all` for every node).
#[test]
fn rollback_restart_and_down_need_a_target() {
    for args in [
        vec!["-i", "inventory/lab.toml", "rollback"],
        vec!["-i", "inventory/lab.toml", "rollback", "--to", "abc1234"],
        vec!["-i", "inventory/lab.toml", "restart"],
        vec!["-i", "inventory/lab.toml", "down", "--yes"],
        vec!["-i", "inventory/lab.toml", "--json", "down"],
    ] {
        let output = homectl(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("<TARGET>") && stderr.contains("Usage: homectl"),
            "{args:?}: {stderr}"
        );
    }
}

/// `down` without `--yes` and without a terminal (stdin is null here) is
/// exit 2, before any node is contacted: this inventory's node does not
/// resolve, so a connection attempt would be exit 1, naming the node.
#[test]
fn down_without_yes_off_a_terminal_is_exit_2_and_touches_nothing() {
    let inventory = "tests/corpus/valid/files-the-compose-file-reads/inventory.toml";
    for args in [
        vec!["-i", inventory, "down", "all"],
        vec!["-i", inventory, "down", "node-a", "app"],
        // A stack the inventory does not assign there: asking the node
        // whether it is a stray of homectl's waits for --yes too.
        vec!["-i", inventory, "down", "node-a", "stack:not-here"],
        vec!["-i", inventory, "--json", "down", "all"],
    ] {
        let output = homectl(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("down stops containers: pass --yes when not on a terminal"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("node-a:"), "{args:?}: {stderr}");
    }
    let json = homectl(&["-i", inventory, "--json", "down", "all"]);
    let stdout = String::from_utf8_lossy(&json.stdout);
    let error: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a JSON line")).unwrap();
    assert_eq!(error["error"]["exit_code"], 2, "{stdout}");
}

/// A copy of `tests/corpus/broken/47-image-not-in-compose` (one node, one
/// stack `app`) in a temp folder, with `file` (relative to the case) set
/// to `text`; returns the folder and `check`'s output on it.
fn check_case_with(file: &str, text: &[u8]) -> (tempfile::TempDir, Output) {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken/47-image-not-in-compose");
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::create_dir_all(dir.path().join("stacks/app")).unwrap();
    for name in [
        "inventory.toml",
        "stacks/app/stack.toml",
        "stacks/app/compose.yml",
    ] {
        fs::copy(case.join(name), dir.path().join(name)).unwrap();
    }
    fs::write(dir.path().join(file), text).unwrap();
    let inventory = dir.path().join("inventory.toml");
    let output = homectl(&["-i", inventory.to_str().unwrap(), "check"]);
    (dir, output)
}

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

/// `--scale N` applies to the stacks that scale; a stack with max_scale 1
/// beside them deploys as it is (here: two stacks that do not scale).
#[test]
fn scale_applies_to_the_stacks_that_scale_only() {
    let inventory = "tests/corpus/valid/same-service-in-two-stacks/inventory.toml";
    let output = homectl(&[
        "-i",
        inventory,
        "--json",
        "deploy",
        "node-a",
        "--scale",
        "2",
        "--dry-run",
        "--tag",
        "abc1234",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for p in plan["plans"].as_array().unwrap() {
        assert_eq!(p["scale"], 1, "{p}");
    }
    let output = homectl(&[
        "-i",
        "inventory/lab.toml",
        "deploy",
        "workers",
        "--scale",
        "4",
        "--dry-run",
        "--tag",
        "abc1234",
    ]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "above max_scale of a stack that scales"
    );
}

//! Hostile input: quotes, `$( )`, backticks, `;`, newlines, leading dashes
//! and non-ASCII in tags, names, hosts, env values, secret values and hook
//! commands. Each is refused with exit 2 or carried as data; a canary
//! (`touch` of a marker file) hidden in each must never run anywhere.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Canaries live under the lab folder: the host and every node see it (the
/// nodes' /tmp and /root are private), so a canary that ran anywhere shows.
fn canary(name: &str) -> String {
    format!("{LAB}/canary-{name}")
}

fn assert_no_canary() {
    let found: Vec<String> = std::fs::read_dir(LAB)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("canary-"))
        .collect();
    assert!(found.is_empty(), "a canary ran: {found:?}");
    // The lab's hostile secret carries its own canaries in /tmp.
    for dir in [
        "/tmp".to_string(),
        format!("{LAB}/nodes/node-a/tmp"),
        format!("{LAB}/nodes/node-b/tmp"),
        format!("{LAB}/nodes/node-c/tmp"),
    ] {
        for name in ["pwned", "pwned2"] {
            assert!(
                !Path::new(&dir).join(name).exists(),
                "{dir}/{name} exists: a secret value ran as code"
            );
        }
    }
}

/// The values hidden in every hostile case.
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        (
            "QUOTES",
            format!("it's \"quoted\" $(touch {})", canary("quotes")),
        ),
        (
            "BACKTICKS",
            format!("`touch {}` and \\` too", canary("backticks")),
        ),
        ("SEMICOLON", format!("a; touch {}; b", canary("semicolon"))),
        (
            "NEWLINE",
            format!("line one\ntouch {}\nline three", canary("newline")),
        ),
        ("DASH", "-rf --version".to_string()),
        ("UNICODE", "é ü € 日本 🚀".to_string()),
        ("DOLLAR", "$HOME ${PATH} $$ $1".to_string()),
    ]
}

#[test]
fn hostile_tags_names_and_targets_are_refused_before_anything_runs() {
    let _lab = lab_lock();
    for tag in [
        format!("$(touch {})", canary("tag")),
        "a;b".into(),
        "-x".into(),
        "x\ny".into(),
        "é".into(),
        "`id`".into(),
    ] {
        Homectl::new()
            .args(["deploy", "core", "--tag", &tag])
            .run()
            .code(2);
        Homectl::new()
            .args(["preflight", "core", "--tag", &tag])
            .run()
            .code(2);
    }
    for target in [
        format!("core;touch {}", canary("target")),
        "$(id)".into(),
        "-rf".into(),
    ] {
        let run = Homectl::new()
            .args(["deploy", &target, "--tag", "x", "--dry-run"])
            .run();
        assert_eq!(run.code, 2, "{target}: {}", run.all());
    }
    Homectl::new()
        .args(["unlock", &format!("node-a;touch {}", canary("unlock"))])
        .run()
        .code(2);
    assert_no_canary();
}

#[test]
fn hostile_inventory_names_and_hosts_are_refused() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[nodes.node-a]",
            format!("[nodes.\"a;touch {}\"]", canary("node")),
        ),
        (
            "host = \"core.lab.home.arpa\"",
            "host = \"-oProxyCommand=touch /tmp/x\"".into(),
        ),
        (
            "host = \"core.lab.home.arpa\"",
            format!("host = \"core$(touch {})\"", canary("host")),
        ),
        ("groups = [\"core\"]", "groups = [\"core`id`\"]".into()),
        ("stacks = [\"core\"]", "stacks = [\"../core\"]".into()),
        ("name = \"ktrdr\"", "name = \"k'trdr\"".into()),
    ];
    for (from, to) in cases {
        let inventory = inventory_variant(dir.path(), &[(from, &to)]);
        let run = Homectl::with_inventory(&inventory).args(["check"]).run();
        assert_eq!(run.code, 2, "{to}: {}", run.all());
        let run = Homectl::with_inventory(&inventory)
            .args(["deploy", "all", "--tag", "x"])
            .run();
        assert_eq!(run.code, 2, "{to}: {}", run.all());
    }
    assert_no_canary();
}

/// A copy of stacks/ whose core stack carries the hostile values in its
/// env and in a hook's arguments, and an inventory whose node-a env does too.
fn hostile_lab(dir: &Path) -> PathBuf {
    let stacks = dir.join("stacks");
    for stack in ["core", "workers"] {
        std::fs::create_dir_all(stacks.join(stack)).unwrap();
        for file in ["compose.yml", "stack.toml"] {
            std::fs::copy(
                repo().join("stacks").join(stack).join(file),
                stacks.join(stack).join(file),
            )
            .unwrap();
        }
    }
    let toml_str = |v: &str| toml_quote(v);
    let mut stack_toml = std::fs::read_to_string(stacks.join("core/stack.toml")).unwrap();
    let mut env_lines = String::new();
    for (name, value) in hostile_values() {
        env_lines.push_str(&format!("STACK_{name} = {}\n", toml_str(&value)));
    }
    stack_toml = stack_toml.replace("[env]\n", &format!("[env]\n{env_lines}"));
    // A second hook whose argument is hostile: it must arrive as one literal argument.
    let hook_arg = format!(
        "$(touch {}); `touch {}` 'x' \"y\"\nz",
        canary("hook"),
        canary("hook2")
    );
    stack_toml.push_str(&format!(
        "\n[[hooks.before_up]]\nservice = \"backend\"\ncommand = [\"sh\", \"-c\", \"printf %s \\\"$1\\\" > /data/hostile-arg\", \"sh\", {}]\n",
        toml_str(&hook_arg)
    ));
    std::fs::write(stacks.join("core/stack.toml"), stack_toml).unwrap();
    // The backend passes every STACK_ and NODE_ variable through.
    let mut compose = std::fs::read_to_string(stacks.join("core/compose.yml")).unwrap();
    let mut passes = String::new();
    for (name, _) in hostile_values() {
        passes.push_str(&format!(
            "      STACK_{name}: ${{STACK_{name}}}\n      NODE_{name}: ${{NODE_{name}}}\n"
        ));
    }
    compose = compose.replace(
        "      ROLE: backend\n",
        &format!("      ROLE: backend\n{passes}"),
    );
    std::fs::write(stacks.join("core/compose.yml"), compose).unwrap();

    let node_env: Vec<String> = hostile_values()
        .iter()
        .map(|(n, v)| format!("NODE_{n} = {}", toml_str(v)))
        .collect();
    let text = std::fs::read_to_string(repo().join("inventory/lab.toml")).unwrap();
    let text = text.replacen(
        "[ssh]",
        &format!(
            "stacks_dir = {}\n\n[ssh]",
            toml_str(&stacks.display().to_string())
        ),
        1,
    );
    let text = text.replacen(
        "stacks = [\"core\"]\n",
        &format!("stacks = [\"core\"]\nenv = {{ {} }}\n", node_env.join(", ")),
        1,
    );
    let path = dir.join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn toml_quote(v: &str) -> String {
    let mut out = String::from("\"");
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn hostile_env_values_secrets_and_hook_arguments_arrive_as_data() {
    let _lab = lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let inventory = hostile_lab(dir.path());
    Homectl::with_inventory(&inventory)
        .args(["check"])
        .run()
        .success();
    let dry = Homectl::with_inventory(&inventory)
        .args([
            "deploy",
            "core",
            "--tag",
            &lab_var("LAB_TAG_OLD"),
            "--dry-run",
        ])
        .run();
    dry.success();
    let run = Homectl::with_inventory(&inventory)
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run();
    run.success();
    assert_no_canary();

    let read = |var: &str| {
        on_node_ok(
            "core.lab.home.arpa",
            &format!("docker exec ktrdr-core-backend-1 sh -c 'printf %s \"${var}\"'"),
        )
    };
    for (name, value) in hostile_values() {
        assert_eq!(
            read(&format!("STACK_{name}")),
            value,
            "STACK_{name} is not byte-exact"
        );
        assert_eq!(
            read(&format!("NODE_{name}")),
            value,
            "NODE_{name} is not byte-exact"
        );
    }
    let hook_arg = on_node_ok(
        "core.lab.home.arpa",
        "docker exec ktrdr-core-backend-1 cat /data/hostile-arg",
    );
    assert_eq!(
        hook_arg,
        format!(
            "$(touch {}); `touch {}` 'x' \"y\"\nz",
            canary("hook"),
            canary("hook2")
        )
    );
    // The lab's hostile secret (API_KEY) too.
    let vault: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{LAB}/op/vault.json")).unwrap())
            .unwrap();
    assert_eq!(
        read("API_KEY"),
        vault["homelab/ktrdr-api/key"].as_str().unwrap()
    );
    // Back to the plain lab stack.
    Homectl::new()
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    assert_no_canary();
}

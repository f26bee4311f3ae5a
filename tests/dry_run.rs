//! `homectl deploy --dry-run` of the lab inventory, run as the built
//! binary, pinned by insta snapshots: the plan of every node and the step
//! text it would send, secrets as `***`. The remote scripts' bodies are
//! shown by name (they are tested by running them: the flow tests in
//! src/execution/flow_tests/ and the lab's e2e tests); what homectl writes
//! in front of each (its inputs, quoted) is in full.

use std::process::{Command, Stdio};

/// Each script body, and the name shown in its place.
const BODIES: [(&str, &str); 10] = [
    (include_str!("../src/remote/scripts/lib.sh"), "<lib.sh>"),
    (include_str!("../src/remote/scripts/state.sh"), "<state.sh>"),
    (include_str!("../src/remote/scripts/stage.sh"), "<stage.sh>"),
    (include_str!("../src/remote/scripts/pull.sh"), "<pull.sh>"),
    (include_str!("../src/remote/scripts/hooks.sh"), "<hooks.sh>"),
    (include_str!("../src/remote/scripts/up.sh"), "<up.sh>"),
    (
        include_str!("../src/remote/scripts/health.sh"),
        "<health.sh>",
    ),
    (
        include_str!("../src/remote/scripts/rollback.sh"),
        "<rollback.sh>",
    ),
    (
        include_str!("../src/remote/scripts/record.sh"),
        "<record.sh>",
    ),
    (include_str!("../src/remote/scripts/pin.sh"), "<pin.sh>"),
];

fn dry_run(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(["-i", "inventory/lab.toml", "deploy"])
        .args(args)
        .args(["--dry-run", "--tag", "abc1234"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("HOMECTL_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut text = String::from_utf8(output.stdout).expect("UTF-8");
    for (body, name) in BODIES {
        text = text.replace(body.trim_end(), name);
    }
    text
}

#[test]
fn deploy_dry_run_of_the_whole_lab() {
    let text = dry_run(&["all"]);
    // Nothing secret is resolved for a dry run: the secrets are `***`.
    assert!(text.contains("***"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn deploy_dry_run_of_one_service_at_scale_2() {
    insta::assert_snapshot!(dry_run(&["workers", "node-b", "--scale", "2"]));
}

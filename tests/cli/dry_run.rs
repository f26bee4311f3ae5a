//! `deploy --dry-run --json`: one document with each step and no secret;
//! `--scale` applies to the stacks that scale only.

use super::*;

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

//! `homectl config`: each value with its source, no secret value.

use super::*;

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

//! The history record each deploy writes on its node.

use super::*;

#[test]
fn history_lists_the_deploys_in_order_with_digests() {
    let _lab = lab_lock();
    let before = history(CORE).len();
    core_at(&old());
    core_at(&new());
    deploy(&["core", "backend", "--tag", &old()]).success();
    let all = history(CORE);
    assert_eq!(all.len(), before + 3, "one record per deploy");
    let records = &all[before..];
    let expect = [(old(), vec![]), (new(), vec![]), (old(), vec!["backend"])];
    for (record, (tag, services)) in records.iter().zip(&expect) {
        assert_eq!(record["tag"], tag.as_str(), "{record}");
        assert_eq!(record["services"], serde_json::json!(services), "{record}");
        assert_eq!(record["kind"], "deploy");
        assert_eq!(record["node"], "node-a");
        assert_eq!(record["stack"], "core");
        assert_eq!(record["scale"], 1);
        assert_eq!(record["result"], "ok", "{record}");
        assert!(record["operator"].as_str().unwrap().contains('@'));
        let digest = record["images"]["backend"]["digests"][0]
            .as_str()
            .unwrap_or_default();
        assert!(
            digest.starts_with("10.77.0.1:5000/lab/ktrdr-backend@sha256:"),
            "{record}"
        );
    }
    let times: Vec<&str> = records
        .iter()
        .map(|r| r["time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // The digests are what the node's engine says of the running image.
    let running = container_of(CORE, CORE_PROJECT, "backend");
    let last = &records[2];
    assert_eq!(last["images"]["backend"]["id"], running.image_id.as_str());
    let digests = on_node_ok(
        CORE,
        &format!(
            "docker image inspect --format '{{{{join .RepoDigests \" \"}}}}' {}",
            running.image_id
        ),
    );
    assert!(
        digests
            .split_whitespace()
            .any(|d| d == last["images"]["backend"]["digests"][0]),
        "{digests} vs {last}"
    );
    assert_ne!(
        records[0]["images"]["backend"]["id"], records[1]["images"]["backend"]["id"],
        "two tags, one image?"
    );
    // No secret value, in any form, anywhere in the file.
    let text = on_node_ok(CORE, "cat /var/lib/homectl/history.jsonl");
    assert_eq!(
        find_secret(text.as_bytes(), &secret_needles()),
        None,
        "a secret in the history"
    );
    let json_escaped: Vec<String> = secret_needles()
        .iter()
        .map(|n| {
            serde_json::to_string(n)
                .unwrap()
                .trim_matches('"')
                .to_string()
        })
        .collect();
    assert_eq!(
        find_secret(text.as_bytes(), &json_escaped),
        None,
        "a secret in the history (JSON-escaped)"
    );
}

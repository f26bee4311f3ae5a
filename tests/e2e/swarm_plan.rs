//! `plan` of a swarm stack on the lab's Swarm (docs/swarm.md, "plan"):
//! read-only through the manager; `no change` after a deploy, the digest
//! change of another tag, the replicas of `--scale`; Swarm's services
//! untouched by it.

use crate::common::*;
use crate::swarm_common::*;

/// Each service's spec version on the manager: a plan must not move it.
fn spec_versions() -> String {
    on_node_ok(
        CORE,
        &format!("docker service inspect --format '{{{{.Spec.Name}}}} {{{{.Version.Index}}}}' {PROJECT}_backtest-worker {PROJECT}_training-worker"),
    )
}

/// `plan swarm ARGS --json`: the swarm stack's plan.
fn plan_json(args: &[&str]) -> serde_json::Value {
    let run = swarm_homectl()
        .args(["plan", "swarm"])
        .args(args)
        .args(["--json"])
        .run();
    run.success();
    let doc: serde_json::Value =
        serde_json::from_str(run.stdout.trim()).expect("one JSON document");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    let swarm = doc["swarm"].as_array().expect("a swarm list");
    assert_eq!(swarm.len(), 1, "{doc}");
    assert_eq!(swarm[0]["stack"], "swarm-workers");
    assert_eq!(swarm[0]["manager"], "node-a");
    swarm[0].clone()
}

fn service<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == name)
        .unwrap_or_else(|| panic!("{name} in {plan}"))
}

#[test]
fn swarm_plan_says_no_change_after_a_deploy_then_the_digest_and_replicas_a_deploy_would_set() {
    let _lab = lab_lock();
    let _swarm = SwarmUp::new();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    let image = lab_var("LAB_IMAGE");
    deploy_at(&old, "3");
    let old_digest = digest_of(&old);
    let old_sha = old_digest.split_once('@').unwrap().1;
    let versions = spec_versions();

    // As deployed: no change, in text and JSON; the tag from the manager's history.
    let text = swarm_homectl().args(["plan", "swarm", "--tag", &old]).run();
    text.success();
    eprintln!("plan of the swarm stack, no change: {:?}", text.elapsed);
    assert!(
        text.stdout
            .contains("swarm stack swarm-workers (manager node-a): no change"),
        "{}",
        text.all()
    );
    let same = plan_json(&["--tag", &old]);
    assert_eq!(same["no_change"], true, "{same}");
    for name in SERVICES {
        let s = service(&same, name);
        let running = format!("{image}:{old}@{old_sha}");
        assert_eq!(s["from"], running.as_str(), "{same}");
        assert_eq!(s["to"], running.as_str(), "{same}");
        assert_eq!(
            (s["replicas_from"].as_u64(), s["replicas_to"].as_u64()),
            (Some(3), Some(3))
        );
    }

    // Another tag: the digest change, for every service; nothing changes.
    let other = plan_json(&["--tag", &new]);
    assert_eq!(other["no_change"], false, "{other}");
    let to = service(&other, "backtest-worker")["to"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(to.starts_with(&format!("{image}:{new}@sha256:")), "{other}");
    assert!(!to.ends_with(old_sha), "{other}");
    let text = swarm_homectl().args(["plan", "swarm", "--tag", &new]).run();
    text.success();
    eprintln!("plan of the swarm stack, another tag: {:?}", text.elapsed);
    assert!(
        text.stdout.contains(&format!(
            "image backtest-worker: {image}:{old}@{old_sha} → {to}"
        )),
        "{}",
        text.all()
    );

    // --scale: the replicas; a NAME narrowing: the other service keeps its image.
    let scaled = plan_json(&["--tag", &old, "--scale", "5"]);
    assert_eq!(scaled["no_change"], false, "{scaled}");
    for name in SERVICES {
        let s = service(&scaled, name);
        assert_eq!(
            (s["replicas_from"].as_u64(), s["replicas_to"].as_u64()),
            (Some(3), Some(5))
        );
    }
    let text = swarm_homectl()
        .args(["plan", "swarm", "--tag", &old, "--scale", "5"])
        .run();
    assert!(
        text.stdout.contains("replicas training-worker: 3 → 5"),
        "{}",
        text.all()
    );
    let one = plan_json(&["training-worker", "--tag", &new]);
    assert_eq!(
        service(&one, "backtest-worker")["to"],
        format!("{image}:{old}@{old_sha}").as_str(),
        "{one}"
    );
    assert_eq!(service(&one, "training-worker")["to"], to.as_str(), "{one}");

    // The plans changed nothing in the Swarm.
    assert_eq!(spec_versions(), versions);
    assert_tasks("backtest-worker", 3, &old_digest);

    // The deploy of the new tag runs the digest the plan named; then no change.
    swarm_homectl()
        .args(["deploy", "swarm", "stack:swarm-workers", "--tag", &new])
        .run()
        .success();
    assert_eq!(
        format!(
            "{image}:{new}@{}",
            digest_of(&new).split_once('@').unwrap().1
        ),
        to
    );
    let after = plan_json(&["--tag", &new]);
    assert_eq!(after["no_change"], true, "{after}");
}

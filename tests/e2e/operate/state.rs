//! What homectl keeps on a node: the history, the state folder (private,
//! no secret in it).

use super::*;

#[test]
fn history_lists_records_newest_first_without_secrets() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let new = lab_var("LAB_TAG_NEW");
    Homectl::new()
        .args(["deploy", "core", "--tag", &old])
        .run()
        .success();
    Homectl::new()
        .args(["deploy", "core", "--tag", &new])
        .run()
        .success();
    let run = Homectl::new()
        .args(["--json", "history", "core", "-n", "2"])
        .run();
    run.success();
    let records = run.json();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["tag"], new.as_str());
    assert_eq!(records[1]["tag"], old.as_str());
    assert!(records[0]["time"].as_str() >= records[1]["time"].as_str());
    assert!(!records[0]["images"]["backend"]["digests"]
        .as_array()
        .unwrap()
        .is_empty());
    let everything = Homectl::new()
        .args(["--json", "history", "-n", "500"])
        .run();
    for secret in secret_values() {
        assert!(
            !everything.all().contains(&secret),
            "a secret value is in the history"
        );
    }
}

#[test]
fn state_folders_and_files_are_private_and_hold_no_secret() {
    let _lab = lab_lock();
    Homectl::new()
        .args(["deploy", "core", "--tag", &lab_var("LAB_TAG_OLD")])
        .run()
        .success();
    let listing = on_node_ok(
        "core.lab.home.arpa",
        "find /var/lib/homectl -printf '%m %y %p\\n'",
    );
    for line in listing.lines() {
        let (mode, rest) = line.split_once(' ').unwrap();
        if rest.contains("/var/lib/homectl/stacks") {
            // The stacks' folders are not secret (a file holding a secret is
            // refused) and readable for containers running as another user,
            // behind the private state folder; never writable by others.
            let bits = u32::from_str_radix(mode, 8).unwrap();
            assert_eq!(bits & 0o022, 0, "{line}");
            continue;
        }
        let expected = if rest.starts_with("d ") { "700" } else { "600" };
        assert_eq!(mode, expected, "{line}");
    }
    let contents = on_node_ok(
        "core.lab.home.arpa",
        "find /var/lib/homectl -type f -exec cat {} +",
    );
    for secret in secret_values() {
        assert!(
            !contents.contains(&secret),
            "a secret value is in the node's state folder"
        );
    }
}

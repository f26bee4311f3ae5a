//! Bad usage refused before any node is reached: no inventory, no target,
//! `down` without `--yes` off a terminal.

use super::*;

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

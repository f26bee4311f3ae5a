//! Who runs homectl: `user@host`, recorded in locks and history.

pub fn operator() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    // Keep it printable and free of shell syntax: it travels as an argument.
    format!("{user}@{host}").chars().filter(|c| c.is_ascii_graphic()).collect()
}

/// The node's state folders in the order product.md gives.
pub fn state_dir_candidates(node: &crate::inventory::Node) -> Vec<String> {
    let mut dirs: Vec<String> = node.state_dir.iter().cloned().collect();
    dirs.push("/var/lib/homectl".into());
    dirs.push("~/.local/state/homectl".into());
    dirs
}

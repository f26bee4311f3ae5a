//! Who runs homectl: `user@host`, recorded in locks and history.

pub fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    // Keep it printable and free of shell syntax: it travels as an argument.
    format!("{user}@{host}")
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .collect()
}

/// The name of this process's uid in /etc/passwd (CI has no $USER).
fn user_from_passwd() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let fields: Vec<&str> = l.split(':').collect();
        (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
    })
}

/// The node's state folders in the order docs/inventory.md gives ("The state folder").
pub fn state_dir_candidates(node: &crate::inventory::Node) -> Vec<String> {
    let mut dirs: Vec<String> = node.state_dir.iter().cloned().collect();
    dirs.push("/var/lib/homectl".into());
    dirs.push("~/.local/state/homectl".into());
    dirs
}

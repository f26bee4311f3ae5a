//! The lab vault's secret values, and finding them where they must not be.

use super::LAB;

/// The lab vault's secret values (what the `op` stand-in resolves), by path.
pub fn lab_secrets() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(format!("{LAB}/op/vault.json")).expect("the lab's vault");
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("vault.json is a JSON object");
    map.into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect()
}

/// The strings that must never be seen: every secret value that is long
/// and distinctive enough (the registry user name is no secret), and each
/// line of a multi-line one, so a partial leak is caught too.
pub fn secret_needles() -> Vec<String> {
    let mut needles = Vec::new();
    for (path, value) in lab_secrets() {
        if path.ends_with("/username") {
            continue;
        }
        needles.push(value.clone());
        if value.contains('\n') {
            needles.extend(
                value
                    .lines()
                    .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
                    .map(str::to_string),
            );
        }
    }
    needles
}

/// Whether `haystack` holds a secret; says which (by position and
/// length, never by value: test output must not leak it either).
pub fn find_secret(haystack: &[u8], needles: &[String]) -> Option<String> {
    needles
        .iter()
        .enumerate()
        .find(|(_, n)| !n.is_empty() && haystack.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|(i, n)| format!("secret #{i} ({} bytes)", n.len()))
}

/// Every secret value of the lab's op vault.
pub fn secret_values() -> Vec<String> {
    let vault: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{LAB}/op/vault.json")).unwrap())
            .unwrap();
    vault
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|v| v.len() >= 6)
        .collect()
}

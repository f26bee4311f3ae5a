//! The image a service's `image:` names once Compose has interpolated it,
//! for the forms homectl can be sure of (`$VAR`, `${VAR}`, `${VAR:-d}`,
//! `${VAR-d}`, `$$`), so that the pull can be `docker pull` (no Compose
//! start: about a second of Python on a Compose v1 node). Anything else
//! (a variable that is not the deploy's, `:?`, `:+`, nesting): `None`, and
//! Compose pulls.

use std::collections::BTreeMap;

/// `image` with the deploy's variables put in, or `None` if unsure.
pub fn interpolate(image: &str, env: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = image;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = after.find('}')?;
            let inner = &after[..end];
            rest = &after[end + 1..];
            out.push_str(&braced(inner, env)?);
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            out.push_str(env.get(&rest[..len])?);
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// `VAR`, `VAR:-default` or `VAR-default` (defaults without `$`).
fn braced(inner: &str, env: &BTreeMap<String, String>) -> Option<String> {
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(name_len);
    if name.is_empty() {
        return None;
    }
    let value = env.get(name);
    match op {
        "" => value.cloned(),
        _ if op.contains('$') => None,
        _ if op.starts_with(":-") => Some(
            value
                .filter(|v| !v.is_empty())
                .cloned()
                .unwrap_or_else(|| op[2..].to_string()),
        ),
        _ if op.starts_with('-') => Some(value.cloned().unwrap_or_else(|| op[1..].to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("REGISTRY".into(), "r:5000/lab".into()),
            ("IMAGE_TAG".into(), "abc".into()),
            ("EMPTY".into(), String::new()),
        ])
    }

    #[test]
    fn the_forms_compose_interpolates() {
        let e = env();
        assert_eq!(
            interpolate("${REGISTRY}/app:${IMAGE_TAG}", &e).as_deref(),
            Some("r:5000/lab/app:abc")
        );
        assert_eq!(
            interpolate("$REGISTRY/app:$IMAGE_TAG", &e).as_deref(),
            Some("r:5000/lab/app:abc")
        );
        assert_eq!(
            interpolate("postgres:16", &e).as_deref(),
            Some("postgres:16")
        );
        assert_eq!(
            interpolate("app:${MISSING:-latest}", &e).as_deref(),
            Some("app:latest")
        );
        assert_eq!(
            interpolate("app:${EMPTY:-latest}", &e).as_deref(),
            Some("app:latest")
        );
        assert_eq!(
            interpolate("app:${EMPTY-latest}", &e).as_deref(),
            Some("app:")
        );
        assert_eq!(interpolate("a$$b", &e).as_deref(), Some("a$b"));
    }

    #[test]
    fn unsure_means_none() {
        let e = env();
        assert_eq!(
            interpolate("${MISSING}/app", &e),
            None,
            "a variable of the node's environment"
        );
        assert_eq!(interpolate("$MISSING/app", &e), None);
        assert_eq!(interpolate("app:${IMAGE_TAG:?needed}", &e), None);
        assert_eq!(interpolate("app:${IMAGE_TAG:+x}", &e), None);
        assert_eq!(interpolate("app:${X:-${IMAGE_TAG}}", &e), None, "nested");
        assert_eq!(interpolate("app:${IMAGE_TAG", &e), None, "unclosed");
        assert_eq!(interpolate("app:$", &e), None);
        assert_eq!(interpolate("app:${}", &e), None);
    }
}

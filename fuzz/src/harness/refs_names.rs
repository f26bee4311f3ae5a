//! Target `refs_names`: secret references, names, hosts and tags.

use homectl::inventory::{self, names};
use homectl::secrets::{is_env_name, SecretRef};

/// Every line of the input through the reference parser and the name
/// checks. A reference that parses prints back to itself; a name, host or
/// tag that passes holds no character a shell or a path would read.
pub fn check_refs_names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in std::iter::once(text.as_ref())
        .chain(text.split('\n'))
        .take(64)
    {
        check_one_string(line);
    }
}

pub fn check_one_string(s: &str) {
    if let Ok(reference) = SecretRef::parse(s) {
        let printed = reference.to_string();
        assert_eq!(printed, s, "a reference does not print back to its text");
        assert_eq!(
            SecretRef::parse(&printed).as_ref(),
            Ok(&reference),
            "a printed reference parses differently"
        );
        assert!(
            !s.chars().any(char::is_control),
            "a reference with a control character was accepted: {s:?}"
        );
    }
    let shell_safe = |x: &str| {
        x.chars().all(|c| {
            c.is_ascii()
                && !c.is_ascii_control()
                && !c.is_ascii_whitespace()
                && !"\"'`$\\;&|<>(){}*?[]!#~%".contains(c)
        })
    };
    if names::check_name(s).is_ok() {
        assert!(
            !s.is_empty()
                && s.len() <= 63
                && shell_safe(s)
                && !s.starts_with('-')
                && !s.contains('/'),
            "check_name accepted {s:?}"
        );
    }
    if names::check_service_name(s).is_ok() {
        assert!(
            !s.is_empty() && shell_safe(s) && !s.starts_with('-') && !s.contains('/'),
            "check_service_name accepted {s:?}"
        );
    }
    if names::check_host(s).is_ok() {
        assert!(
            !s.is_empty() && s.len() <= 253 && shell_safe(s) && !s.starts_with('-'),
            "check_host accepted {s:?}"
        );
    }
    for allow_slash in [false, true] {
        if names::check_registry_part(s, allow_slash).is_ok() {
            assert!(
                shell_safe(s) && !s.starts_with('-'),
                "check_registry_part accepted {s:?}"
            );
        }
    }
    if names::check_tag(s).is_ok() {
        assert!(
            (1..=128).contains(&s.len()) && shell_safe(s) && !s.starts_with(['-', '.']),
            "check_tag accepted {s:?}"
        );
    }
    if is_env_name(s) {
        assert!(
            !s.is_empty() && shell_safe(s) && !s.starts_with(|c: char| c.is_ascii_digit()),
            "is_env_name accepted {s:?}"
        );
    }
    let _ = inventory::profile_scale(s);
    // Its one caller clamps the offset to a character boundary first (it
    // panics on a byte inside a character, like any `str` slicing).
    let mut offset = s.len() / 2;
    while !s.is_char_boundary(offset) {
        offset -= 1;
    }
    let _ = inventory::line_column(s, offset);
}

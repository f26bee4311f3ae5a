//! What a name may look like. Names end up in remote shell commands, file
//! paths and compose project names, so they are restricted to characters
//! that are safe everywhere; anything else is refused at load time.

/// Node, group and stack names, and the inventory name: lowercase letters,
/// digits, `-` and `_`, starting with a letter or digit (compose's rule for
/// project names, which `<inventory name>-<stack>` must follow).
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid name: use lowercase letters, digits, `-` and `_`, starting with a letter or digit (at most 63)",
            name.escape_debug()
        ))
    }
}

/// Compose service names: letters, digits, `.`, `_`, `-` (compose's rule).
pub fn check_service_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid compose service name",
            name.escape_debug()
        ))
    }
}

/// A DNS name or an IPv4/IPv6 address: never an ssh option.
pub fn check_host(host: &str) -> Result<(), String> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && !host.starts_with('-')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a DNS name or an address",
            host.escape_debug()
        ))
    }
}

/// A registry server (`ghcr.io`, `10.0.0.1:5000`) or namespace (`acme/team`).
pub fn check_registry_part(value: &str, allow_slash: bool) -> Result<(), String> {
    let ok = !value.starts_with(['-', '/', '.'])
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '-' | '_' | ':')
                || (allow_slash && c == '/')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` has characters a registry address cannot have",
            value.escape_debug()
        ))
    }
}

/// An image tag (docs/operations.md, "Tags").
pub fn check_tag(tag: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid tag: it must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}",
            tag.escape_debug()
        ))
    }
}

/// A repository path as Docker's reference grammar has it (a namespace,
/// `acme/team`, or an image name, `shop-api`): `/`-separated components of
/// lowercase letters and digits, joined inside by `.`, `_`, `__` or dashes.
/// The error suggests the lowercase spelling when that one is valid.
pub fn check_repository_path(value: &str) -> Result<(), String> {
    fn component_ok(c: &str) -> bool {
        let bytes = c.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
            return false;
        }
        // Separators: `.`, `_`, `__` or one or more `-`, between alnum runs.
        let mut i = 0;
        while i < bytes.len() {
            if alnum(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let sep = &c[start..i];
            let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
            if !ok {
                return false;
            }
        }
        true
    }
    let ok = |v: &str| v.split('/').all(component_ok);
    if ok(value) {
        return Ok(());
    }
    let lower = value.to_ascii_lowercase();
    if ok(&lower) {
        Err(format!(
            "`{}` is not a valid repository name: registries take lowercase only; use \"{lower}\"",
            value.escape_debug()
        ))
    } else {
        Err(format!(
            "`{}` is not a valid repository name: use lowercase letters and digits, separated by `.`, `_`, `__` or `-` (and `/` between parts)",
            value.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths() {
        for good in ["acme", "acme/team", "shop-api", "a.b_c__d--e", "x1/2y"] {
            assert!(check_repository_path(good).is_ok(), "{good}");
        }
        let err = check_repository_path("MyUser").unwrap_err();
        assert!(err.contains("use \"myuser\""), "{err}");
        for bad in [
            "", "a/", "/a", "a//b", "-a", "a-", "a..b", "a___b", "a b", "a:b",
        ] {
            assert!(check_repository_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        assert!(check_name("node-a").is_ok());
        assert!(check_name("w_2").is_ok());
        for bad in [
            "",
            "Node",
            "-x",
            "a b",
            "a;b",
            "a$(x)",
            "é",
            "a/b",
            &"x".repeat(64),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags() {
        assert!(check_tag("0a1b2c3").is_ok());
        assert!(check_tag("_v1.2-rc").is_ok());
        assert!(check_tag(&"a".repeat(128)).is_ok());
        for bad in [
            "",
            "-x",
            ".x",
            "a b",
            "a;b",
            "a\nb",
            "$(x)",
            "é",
            &"a".repeat(129),
        ] {
            assert!(check_tag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hosts() {
        assert!(check_host("core.lab.home.arpa").is_ok());
        assert!(check_host("10.0.0.1").is_ok());
        assert!(check_host("fe80::1").is_ok());
        for bad in ["", "-oProxyCommand=x", "a b", "a;b", "h`x`"] {
            assert!(check_host(bad).is_err(), "{bad:?}");
        }
    }
}

//! The fingerprint of a deploy's inputs: the compose file, the plan (scale,
//! services, hooks), the environment and the secret values. Kept in the
//! history so that a redeploy can tell that nothing it controls changed.
//!
//! Stored as `v1:SALT:SHA256` with a fresh random salt per record, so the
//! history holds no unsalted hash of a secret (a short secret could be
//! guessed from one).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::deploy_plan::StackDeploy;
use crate::secrets::Secrets;

/// A new fingerprint of these inputs, with a fresh salt.
pub fn fingerprint(deploy: &StackDeploy, compose_text: &str, secrets: &Secrets) -> String {
    let mut salt = [0u8; 16];
    // Without randomness the salt is all zeros: still a correct fingerprint.
    let _ = getrandom::getrandom(&mut salt);
    with_salt(deploy, compose_text, secrets, &hex(&salt))
}

/// Whether `stored` (a history record's fingerprint) is of these inputs.
pub fn matches(stored: &str, deploy: &StackDeploy, compose_text: &str, secrets: &Secrets) -> bool {
    match stored.split(':').collect::<Vec<_>>().as_slice() {
        ["v1", salt, _] if !salt.is_empty() => {
            with_salt(deploy, compose_text, secrets, salt) == stored
        }
        _ => false,
    }
}

fn with_salt(deploy: &StackDeploy, compose_text: &str, secrets: &Secrets, salt: &str) -> String {
    let mut h = Sha256::new();
    // Every field is length-prefixed: no two different inputs read the same.
    let field = |h: &mut Sha256, text: &str| {
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    };
    field(&mut h, salt);
    field(&mut h, compose_text);
    field(&mut h, &deploy.project);
    field(&mut h, &deploy.version);
    field(&mut h, &deploy.scale.to_string());
    for list in [
        &deploy.profiles,
        &deploy.services,
        &deploy.remove,
        &deploy.up_args,
        &deploy.image_refs,
    ] {
        field(&mut h, &list.len().to_string());
        list.iter().for_each(|item| field(&mut h, item));
    }
    for hook in &deploy.hooks {
        field(&mut h, &hook.service);
        hook.command.iter().for_each(|arg| field(&mut h, arg));
    }
    for (key, value) in &deploy.env {
        field(&mut h, key);
        field(&mut h, value);
    }
    for (key, reference) in &deploy.secrets {
        field(&mut h, key);
        match secrets.get(reference) {
            Some(value) => value.hash_into(&mut h),
            None => field(&mut h, "(unresolved)"),
        }
    }
    format!("v1:{salt}:{}", hex(&h.finalize()))
}

/// Per env and secret name, a fingerprint of its value salted as `inputs`
/// (a stored fingerprint) is: what `plan` compares to name the values that
/// changed, never the values (docs/operations.md, "plan"). Empty if
/// `inputs` holds no salt.
pub fn value_prints(
    inputs: &str,
    deploy: &StackDeploy,
    secrets: &Secrets,
) -> BTreeMap<String, String> {
    let Some(salt) = salt_of(inputs) else {
        return BTreeMap::new();
    };
    let print = |name: &str, feed: &dyn Fn(&mut Sha256)| {
        let mut h = Sha256::new();
        for text in [salt, name] {
            h.update((text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        feed(&mut h);
        hex(&h.finalize()[..12])
    };
    let mut out = BTreeMap::new();
    for (key, value) in &deploy.env {
        let v = print(key, &|h| {
            h.update((value.len() as u64).to_le_bytes());
            h.update(value.as_bytes());
        });
        out.insert(key.clone(), v);
    }
    for (key, reference) in &deploy.secrets {
        let v = print(key, &|h| match secrets.get(reference) {
            Some(value) => value.hash_into(h),
            None => h.update(b"(unresolved)"),
        });
        out.insert(key.clone(), v);
    }
    out
}

/// The names whose value differs between `recorded` (a record's per-name
/// prints) and `now` (the same salt): changed, added or gone. Sorted.
pub fn changed_names(
    recorded: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut names: Vec<String> = now
        .iter()
        .filter(|(k, v)| recorded.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .chain(recorded.keys().filter(|k| !now.contains_key(*k)).cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn salt_of(stored: &str) -> Option<&str> {
    match stored.split(':').collect::<Vec<_>>().as_slice() {
        ["v1", salt, _] if !salt.is_empty() => Some(salt),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::deploy_plan::plan_stack;
    use crate::secrets::{SecretValue, Secrets};

    fn lab() -> crate::inventory::Project {
        crate::inventory::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
        )
        .unwrap()
    }

    fn secrets(p: &crate::inventory::Project, value: &str) -> Secrets {
        p.stacks["core"]
            .secrets
            .values()
            .map(|r| (r.clone(), SecretValue::new(value.to_string())))
            .collect()
    }

    #[test]
    fn the_same_inputs_match_and_any_change_does_not() {
        let p = lab();
        let node = &p.inventory.nodes["node-a"];
        let stack = &p.stacks["core"];
        let deploy = plan_stack(&p.inventory, node, stack, None, "abc1234", 1);
        let text = &stack.compose.text;
        let stored = fingerprint(&deploy, text, &secrets(&p, "s3cret"));
        assert!(matches(&stored, &deploy, text, &secrets(&p, "s3cret")));

        assert!(
            !matches(&stored, &deploy, text, &secrets(&p, "s3cret2")),
            "a changed secret"
        );
        assert!(
            !matches(
                &stored,
                &deploy,
                &format!("{text}\n# edited\n"),
                &secrets(&p, "s3cret")
            ),
            "a changed compose file"
        );
        let other_tag = plan_stack(&p.inventory, node, stack, None, "def5678", 1);
        assert!(
            !matches(&stored, &other_tag, text, &secrets(&p, "s3cret")),
            "another tag"
        );
        let mut env = deploy.clone();
        env.env.insert("LOG_LEVEL".into(), "debug".into());
        assert!(
            !matches(&stored, &env, text, &secrets(&p, "s3cret")),
            "a changed env value"
        );
        let backend = plan_stack(
            &p.inventory,
            node,
            stack,
            Some(&["backend".to_string()]),
            "abc1234",
            1,
        );
        assert!(
            !matches(&stored, &backend, text, &secrets(&p, "s3cret")),
            "another selection"
        );
    }

    #[test]
    fn value_prints_name_what_changed_never_the_value() {
        let p = lab();
        let stack = &p.stacks["core"];
        let node = &p.inventory.nodes["node-a"];
        let deploy = plan_stack(&p.inventory, node, stack, None, "abc1234", 1);
        let stored = fingerprint(&deploy, &stack.compose.text, &secrets(&p, "s3cret"));
        let before = value_prints(&stored, &deploy, &secrets(&p, "s3cret"));
        assert!(before.contains_key("IMAGE_TAG") && before.contains_key("API_KEY"));
        assert!(before
            .values()
            .all(|v| v.len() == 24 && !v.contains("s3cret")));
        let mut env = deploy.clone();
        env.env.insert("LOG_LEVEL".into(), "debug".into());
        env.env.remove("HOMECTL_NODE");
        let after = value_prints(&stored, &env, &secrets(&p, "other"));
        let mut expected = vec!["HOMECTL_NODE".to_string(), "LOG_LEVEL".to_string()];
        expected.extend(stack.secrets.keys().cloned());
        expected.sort();
        assert_eq!(changed_names(&before, &after), expected);
        assert!(changed_names(&before, &before).is_empty());
        // Another salt (another record, another node): other prints.
        let again = fingerprint(&deploy, &stack.compose.text, &secrets(&p, "s3cret"));
        assert_ne!(
            value_prints(&again, &deploy, &secrets(&p, "s3cret")),
            before
        );
        assert!(value_prints("", &deploy, &secrets(&p, "s3cret")).is_empty());
    }

    #[test]
    fn the_salt_differs_each_time_and_the_secret_is_not_in_it() {
        let p = lab();
        let stack = &p.stacks["core"];
        let deploy = plan_stack(
            &p.inventory,
            &p.inventory.nodes["node-a"],
            stack,
            None,
            "abc1234",
            1,
        );
        let a = fingerprint(&deploy, &stack.compose.text, &secrets(&p, "s3cret"));
        let b = fingerprint(&deploy, &stack.compose.text, &secrets(&p, "s3cret"));
        assert_ne!(a, b);
        assert!(!a.contains("s3cret"));
        assert!(!matches(
            "",
            &deploy,
            &stack.compose.text,
            &secrets(&p, "s3cret")
        ));
        assert!(!matches(
            "v1::",
            &deploy,
            &stack.compose.text,
            &secrets(&p, "s3cret")
        ));
    }
}

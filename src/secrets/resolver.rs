//! Resolving every secret reference of a command, locally, each by the
//! provider its scheme names.

use std::collections::BTreeSet;

use super::process::SearchPath;
use super::{env, exec, op, pass};
use super::{ProviderSettings, SecretError, SecretRef, SecretValue, Secrets};

/// Resolves every reference in `refs` on this machine: all `op://` ones in
/// a single `op inject` call (after `op whoami`), the others one by one.
/// Providers are found on PATH and get this process's environment. Every
/// reference that fails is reported, none with a value.
///
/// Blocking (it waits for the providers): from async code, call it inside
/// `spawn_blocking`.
pub fn resolve_all(
    refs: &BTreeSet<SecretRef>,
    settings: &ProviderSettings,
) -> Result<Secrets, SecretError> {
    resolve_all_in(refs, settings, &SearchPath::Inherit)
}

pub(crate) fn resolve_all_in(
    refs: &BTreeSet<SecretRef>,
    settings: &ProviderSettings,
    search: &SearchPath,
) -> Result<Secrets, SecretError> {
    let mut secrets = Secrets::new();
    let mut errors = Vec::new();

    let op_refs: Vec<&SecretRef> = refs
        .iter()
        .filter(|r| matches!(r, SecretRef::Op(_)))
        .collect();
    match op::resolve(&op_refs, search) {
        Ok(values) => {
            for (reference, value) in op_refs.into_iter().zip(values) {
                match without_nul(reference, value) {
                    Ok(value) => secrets.insert(reference.clone(), value),
                    Err(e) => errors.push(e),
                }
            }
        }
        Err(e) => errors.push(e),
    }

    for reference in refs {
        let resolved = match reference {
            SecretRef::Op(_) => continue,
            SecretRef::Pass(entry) => pass::resolve(reference, entry, search),
            SecretRef::Env(name) => env::resolve(reference, name, |n| std::env::var_os(n)),
            SecretRef::Exec(arg) => exec::resolve(reference, arg, settings, search),
        };
        match resolved.and_then(|value| without_nul(reference, value)) {
            Ok(value) => secrets.insert(reference.clone(), value),
            Err(e) => errors.push(e),
        }
    }

    if errors.is_empty() {
        Ok(secrets)
    } else {
        Err(SecretError::combine(errors))
    }
}

/// A value goes into an environment variable on the node, which cannot
/// hold a NUL byte: such a value is refused, by its reference, rather than
/// cut or changed on the way.
fn without_nul(reference: &SecretRef, value: SecretValue) -> Result<SecretValue, SecretError> {
    if value.expose_for_channel().contains('\0') {
        return Err(SecretError::unresolved(
            reference,
            "the value contains a NUL byte, which no environment variable can hold",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    use super::*;

    /// A stand-in for 1Password's `op` (whoami, read, inject), reading its
    /// items from `store/VAULT/ITEM/FIELD` files and logging each call's
    /// argv to `calls.log`.
    struct FakeOp {
        dir: tempfile::TempDir,
    }

    const FAKE_OP: &str = r#"#!/bin/sh
dir=__DIR__
printf '%s\n' "$*" >> "$dir/calls.log"
case "$1" in
whoami)
  if [ -e "$dir/signed-out" ]; then
    echo "[ERROR] 2024/01/01 00:00:00 You are not currently signed in." >&2; exit 1
  fi
  echo "URL: https://example.1password.com"; echo "Email: t@example.invalid" ;;
read)
  f="$dir/store/${2#op://}"
  [ -f "$f" ] || { echo "[ERROR] could not read secret '$2'" >&2; exit 1; }
  cat "$f" ;;
inject)
  out="$dir/inject.out"; : > "$out"
  while IFS= read -r line; do
    case "$line" in
      '{{ op://'*' }}')
        ref=${line#'{{ '}; ref=${ref%' }}'}
        f="$dir/store/${ref#op://}"
        if [ ! -f "$f" ]; then
          echo "[ERROR] 2024/01/01 00:00:00 could not resolve secret reference \"$ref\": item not found" >&2
          echo "partial output that must not be shown" ; exit 1
        fi
        cat "$f" >> "$out"; printf '\n' >> "$out" ;;
      *) printf '%s\n' "$line" >> "$out" ;;
    esac
  done
  cat "$out" ;;
*) echo "unknown command $1" >&2; exit 2 ;;
esac
"#;

    impl FakeOp {
        fn new() -> FakeOp {
            let dir = tempfile::tempdir().unwrap();
            let quoted = shlex::try_quote(dir.path().to_str().unwrap())
                .unwrap()
                .into_owned();
            let script = dir.path().join("bin/op");
            fs::create_dir_all(script.parent().unwrap()).unwrap();
            // Written by `cp`, not by this process: a file this process held
            // open for writing could leak into a child that another test
            // thread forks meanwhile, and exec would then fail with ETXTBSY.
            let source = dir.path().join("op.src");
            fs::write(&source, FAKE_OP.replace("__DIR__", &quoted)).unwrap();
            let copied = std::process::Command::new("cp")
                .arg(&source)
                .arg(&script)
                .status()
                .unwrap();
            assert!(copied.success());
            fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
            FakeOp { dir }
        }

        fn item(&self, reference: &str, value: &str) -> SecretRef {
            let path = self
                .dir
                .path()
                .join("store")
                .join(reference.strip_prefix("op://").unwrap());
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, value.as_bytes()).unwrap();
            SecretRef::parse(reference).unwrap()
        }

        fn sign_out(&self) {
            fs::write(self.dir.path().join("signed-out"), "").unwrap();
        }

        /// PATH with the fake first.
        fn search(&self) -> SearchPath {
            SearchPath::Explicit(path_with(&self.dir.path().join("bin")))
        }

        fn calls(&self) -> Vec<String> {
            match fs::read_to_string(self.dir.path().join("calls.log")) {
                Ok(log) => log.lines().map(String::from).collect(),
                Err(_) => Vec::new(),
            }
        }
    }

    fn path_with(first: &Path) -> OsString {
        let mut dirs = vec![PathBuf::from(first)];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(dirs).unwrap()
    }

    fn set(refs: &[&SecretRef]) -> BTreeSet<SecretRef> {
        refs.iter().map(|r| (*r).clone()).collect()
    }

    fn reference(text: &str) -> SecretRef {
        SecretRef::parse(text).unwrap()
    }

    const HOSTILE: &str =
        "it's \"q\" $(touch /tmp/homectl-pwned) `id` ; a=b é \\ {{ x }} HOMECTL-0-END-0";

    #[test]
    fn all_op_references_in_one_inject_call() {
        let op = FakeOp::new();
        let a = op.item("op://homelab/ghcr/token", "ghp_token1");
        let b = op.item("op://homelab/db/password", "db-pass");
        let c = op.item("op://homelab/db/section/user", "ktrdr");
        let secrets = resolve_all_in(
            &set(&[&a, &b, &c]),
            &ProviderSettings::default(),
            &op.search(),
        )
        .unwrap();
        assert_eq!(secrets.len(), 3);
        assert_eq!(secrets.get(&a).unwrap().expose_for_channel(), "ghp_token1");
        assert_eq!(secrets.get(&b).unwrap().expose_for_channel(), "db-pass");
        assert_eq!(secrets.get(&c).unwrap().expose_for_channel(), "ktrdr");
        assert_eq!(op.calls(), ["whoami", "inject"]);
    }

    #[test]
    fn op_values_come_back_byte_exact() {
        let op = FakeOp::new();
        let key = "-----BEGIN KEY-----\nline one\n\nline 3 é\n-----END KEY-----\n";
        let multi = op.item("op://v/key/private", key);
        let hostile = op.item("op://v/hostile/value", HOSTILE);
        let crlf = op.item("op://v/crlf/value", "a\r\nb\r\n");
        let empty = op.item("op://v/empty/value", "");
        let refs = set(&[&multi, &hostile, &crlf, &empty]);
        let secrets = resolve_all_in(&refs, &ProviderSettings::default(), &op.search()).unwrap();
        assert_eq!(secrets.get(&multi).unwrap().expose_for_channel(), key);
        assert_eq!(secrets.get(&hostile).unwrap().expose_for_channel(), HOSTILE);
        assert_eq!(
            secrets.get(&crlf).unwrap().expose_for_channel(),
            "a\r\nb\r\n"
        );
        assert_eq!(secrets.get(&empty).unwrap().expose_for_channel(), "");
        assert!(!Path::new("/tmp/homectl-pwned").exists());
        // No value ever went into op's argv.
        let calls = op.calls().join("\n");
        assert_eq!(calls, "whoami\ninject");
        for value in [key, HOSTILE] {
            assert!(!calls.contains(value));
        }
        assert!(!format!("{secrets:?}").contains("line one"));
    }

    #[test]
    fn signed_out_op_asks_to_sign_in() {
        let op = FakeOp::new();
        let a = op.item("op://v/i/f", "value-1");
        op.sign_out();
        let err =
            resolve_all_in(&set(&[&a]), &ProviderSettings::default(), &op.search()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "1Password CLI is not signed in (op whoami failed): run `eval $(op signin)`"
            ),
            "{text}"
        );
        assert!(text.contains("op://v/i/f"), "{text}");
        assert!(
            !text.contains("example.1password.com"),
            "op's stdout must not show: {text}"
        );
        assert_eq!(op.calls(), ["whoami"]);
    }

    #[test]
    fn unknown_op_reference_is_named() {
        let op = FakeOp::new();
        let known = op.item("op://v/known/f", "value-known");
        let unknown = reference("op://v/missing/f");
        let err = resolve_all_in(
            &set(&[&known, &unknown]),
            &ProviderSettings::default(),
            &op.search(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("op://v/missing/f"), "{text}");
        assert!(
            !text.contains("op://v/known/f"),
            "only the named one: {text}"
        );
        assert!(
            !text.contains("value-known") && !text.contains("partial output"),
            "{text}"
        );
        assert_eq!(err.references(), [&unknown]);
        assert_eq!(op.calls(), ["whoami", "inject"]);
    }

    #[test]
    fn op_missing_from_path_is_a_clear_error() {
        let empty = tempfile::tempdir().unwrap();
        let a = reference("op://v/i/f");
        let search = SearchPath::Explicit(empty.path().as_os_str().to_owned());
        let err = resolve_all_in(&set(&[&a]), &ProviderSettings::default(), &search).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`op`") && text.contains("not found on PATH"),
            "{text}"
        );
        assert!(text.contains("op://v/i/f"), "{text}");
    }

    #[test]
    fn op_is_not_run_without_op_references() {
        let op = FakeOp::new();
        let path = reference("env://PATH");
        let refs = set(&[&path]);
        let secrets = resolve_all_in(&refs, &ProviderSettings::default(), &op.search()).unwrap();
        assert_eq!(secrets.len(), 1);
        assert!(op.calls().is_empty());
    }

    #[test]
    fn env_references() {
        let path = reference("env://PATH");
        let secrets = resolve_all(&set(&[&path]), &ProviderSettings::default()).unwrap();
        assert_eq!(
            secrets.get(&path).unwrap().expose_for_channel(),
            std::env::var("PATH").unwrap()
        );

        let missing = reference("env://HOMECTL_TEST_SURELY_UNSET_5F3A");
        let err = resolve_all(&set(&[&missing]), &ProviderSettings::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("env://HOMECTL_TEST_SURELY_UNSET_5F3A"),
            "{err}"
        );

        let lookup = |n: &str| (n == "DB_PW").then(|| OsString::from("multi\nline é"));
        let value = env::resolve(&reference("env://DB_PW"), "DB_PW", lookup).unwrap();
        assert_eq!(value.expose_for_channel(), "multi\nline é");
    }

    fn exec_settings(argv: &[&str]) -> ProviderSettings {
        ProviderSettings {
            exec: Some(argv.iter().map(|a| a.to_string()).collect()),
        }
    }

    #[test]
    fn exec_references() {
        let echo = exec_settings(&["sh", "-c", "printf '%s' \"$1\"", "sh", "{}"]);
        let r = reference("exec://team/db password");
        let secrets = resolve_all(&set(&[&r]), &echo).unwrap();
        assert_eq!(
            secrets.get(&r).unwrap().expose_for_channel(),
            "team/db password"
        );

        // The value is the file's content, minus exactly one final newline.
        let dir = tempfile::tempdir().unwrap();
        let cat = exec_settings(&["cat", "--", "{}"]);
        let cases = [
            ("one", "hunter2\n", "hunter2"),
            ("two", "a\nb\n\n", "a\nb\n"),
            ("crlf", "a\r\nb\r\n", "a\r\nb"),
            ("bare", "no newline", "no newline"),
            ("hostile", HOSTILE, HOSTILE),
        ];
        let mut refs = BTreeSet::new();
        for (name, content, _) in cases {
            let file = dir.path().join(name);
            fs::write(&file, content).unwrap();
            refs.insert(reference(&format!("exec://{}", file.display())));
        }
        let secrets = resolve_all(&refs, &cat).unwrap();
        for (name, _, want) in cases {
            let r = reference(&format!("exec://{}", dir.path().join(name).display()));
            assert_eq!(
                secrets.get(&r).unwrap().expose_for_channel(),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn exec_failure_names_the_reference_and_status_but_not_stdout() {
        let failing = exec_settings(&[
            "sh",
            "-c",
            "echo 'vault: secret not found' >&2; printf 'leaked-value'; exit 3",
            "sh",
            "{}",
        ]);
        let r = reference("exec://kv/db");
        let err = resolve_all(&set(&[&r]), &failing).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("exec://kv/db"), "{text}");
        assert!(text.contains("status 3"), "{text}");
        assert!(text.contains("vault: secret not found"), "{text}");
        assert!(!text.contains("leaked-value"), "{text}");

        let missing = exec_settings(&["homectl-no-such-program", "{}"]);
        let err = resolve_all(&set(&[&r]), &missing).unwrap_err().to_string();
        assert!(
            err.contains("exec://kv/db") && err.contains("homectl-no-such-program"),
            "{err}"
        );

        let err = resolve_all(&set(&[&r]), &ProviderSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("exec://kv/db") && err.contains("[secrets]"),
            "{err}"
        );
    }

    #[test]
    fn a_value_with_a_nul_byte_is_refused_by_reference() {
        let nul = exec_settings(&["sh", "-c", "printf 'hunter2\\000tail'", "sh", "{}"]);
        let r = reference("exec://kv/db");
        let err = resolve_all(&set(&[&r]), &nul).unwrap_err().to_string();
        assert!(err.contains("exec://kv/db") && err.contains("NUL"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("tail"), "{err}");

        let op = FakeOp::new();
        let pw = op.item("op://v/db/password", "hunter2\0tail");
        let err = resolve_all_in(&set(&[&pw]), &ProviderSettings::default(), &op.search())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("op://v/db/password") && err.contains("NUL"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn every_failure_is_reported() {
        let a = reference("env://HOMECTL_TEST_SURELY_UNSET_A1");
        let b = reference("exec://x");
        let err = resolve_all(&set(&[&a, &b]), &ProviderSettings::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("2 secret references did not resolve"),
            "{text}"
        );
        assert!(
            text.contains("env://HOMECTL_TEST_SURELY_UNSET_A1") && text.contains("exec://x"),
            "{text}"
        );
        assert_eq!(err.references().len(), 2);
    }

    #[test]
    fn resolved_secrets_mask_remote_output() {
        let op = FakeOp::new();
        let pw = op.item("op://v/db/password", "s3cr3t-pw");
        let key = op.item(
            "op://v/ssh/key",
            "-----BEGIN-----\nAAAAB3Nza\nzzzzQQ\n-----END-----",
        );
        let empty = op.item("op://v/empty/value", "");
        let secrets = resolve_all_in(
            &set(&[&pw, &key, &empty]),
            &ProviderSettings::default(),
            &op.search(),
        )
        .unwrap();
        let remote = "Error: password s3cr3t-pw rejected\n  near AAAAB3Nza in key\nall fine";
        assert_eq!(
            secrets.mask(remote),
            "Error: password *** rejected\n  near *** in key\nall fine"
        );
    }
}

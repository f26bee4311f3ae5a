//! `pass://` references against Debian's real `pass` and `gpg`, in a
//! throw-away GnuPG home and password store.
//!
//! This binary holds one test on purpose: it points the process environment
//! (GNUPGHOME, PASSWORD_STORE_DIR) at the temporary store, which the
//! provider passes on to `pass`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use homectl::secrets::{resolve_all, ProviderSettings, SecretRef};

/// Stops the gpg-agent of the temporary GnuPG home, whatever happens.
struct AgentGuard<'a>(&'a Path);

impl Drop for AgentGuard<'_> {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.0)
            .status();
    }
}

fn require(program: &str) {
    if which::which(program).is_err() {
        panic!(
            "`{program}` is not installed: this test needs Debian's `pass` and `gnupg` \
             (apt-get install pass gnupg; scripts/test installs them)"
        );
    }
}

fn run(command: &mut Command, stdin: &str) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn reference(text: &str) -> SecretRef {
    SecretRef::parse(text).unwrap()
}

#[test]
fn pass_references_resolve_to_the_first_line() {
    for program in ["pass", "gpg", "gpgconf"] {
        require(program);
    }
    let temp = tempfile::tempdir().unwrap();
    let gnupg = temp.path().join("gnupg");
    let store = temp.path().join("store");
    std::fs::create_dir(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let _agent = AgentGuard(&gnupg);
    // The only test of this binary: no other thread reads the environment.
    std::env::set_var("GNUPGHOME", &gnupg);
    std::env::set_var("PASSWORD_STORE_DIR", &store);

    run(
        Command::new("gpg").args([
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "homectl test <t@example.invalid>",
            "default",
            "default",
            "never",
        ]),
        "",
    );
    run(Command::new("pass").args(["init", "t@example.invalid"]), "");
    let first = "pa$$ 'w\"ord' $(touch /tmp/homectl-pwned) `id`; a=b é";
    let entry = format!("{first}\nuser: ktrdr\nurl: https://db.example.invalid\n");
    run(
        Command::new("pass").args(["insert", "-m", "homelab/db"]),
        &entry,
    );
    run(
        Command::new("pass").args(["insert", "-m", "homelab/token"]),
        "tok-123\n",
    );

    let db = reference("pass://homelab/db");
    let token = reference("pass://homelab/token");
    let refs: BTreeSet<SecretRef> = [db.clone(), token.clone()].into();
    let secrets =
        resolve_all(&refs, &ProviderSettings::default()).expect("pass:// references resolve");
    assert_eq!(secrets.len(), 2);
    assert_eq!(secrets.get(&db).unwrap().expose_for_channel(), first);
    assert_eq!(secrets.get(&token).unwrap().expose_for_channel(), "tok-123");
    assert!(!Path::new("/tmp/homectl-pwned").exists());

    // A missing entry: an error naming the reference, with pass's reason.
    let missing = reference("pass://homelab/missing");
    let err = resolve_all(&[missing, db.clone()].into(), &ProviderSettings::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("pass://homelab/missing"), "{text}");
    assert!(text.contains("not in the password store"), "{text}");
    assert!(
        !text.contains("pass://homelab/db"),
        "only the failing reference: {text}"
    );
    assert!(
        !text.contains("tok-123") && !text.contains("ktrdr"),
        "{text}"
    );

    // A folder is not a password (pass would print its tree).
    let folder = reference("pass://homelab");
    let err = resolve_all(&[folder].into(), &ProviderSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("pass://homelab") && err.contains("folder"),
        "{err}"
    );
}

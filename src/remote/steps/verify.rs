//! `scripts/verify.sh`: for a redeploy that looks like it changes nothing,
//! pulls the image references that run and tells what each names now
//! (`REF ref id`), then whether the health url answers (`URL ok|fail`).

use std::collections::BTreeMap;

use super::lib::{Login, LIB};
use super::{lines_of, StepInput};
use crate::remote::step::Step;

pub(crate) const VERIFY: &str = include_str!("../scripts/verify.sh");

pub fn step(stack: &str, login: &Login, refs: &[String], url: Option<&str>) -> Step {
    StepInput::new(format!("verify {stack}"))
        .code(LIB)
        .login(login)
        .list("HC_REFS", refs)
        .var("HC_URL", url.unwrap_or(""))
        .step(VERIFY)
}

/// What the verify step found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Reference → the image id it names now.
    pub refs: BTreeMap<String, String>,
    /// Whether the health url answered (`None`: no `URL` line).
    pub url_ok: Option<bool>,
}

impl Verified {
    /// Whether the stack's health url answered (true when it has none).
    pub fn url_answers(&self, url: Option<&str>) -> bool {
        url.is_none() || self.url_ok == Some(true)
    }
}

pub fn parse(output: &str) -> Verified {
    Verified {
        refs: lines_of(output, "REF")
            .filter_map(|l| l.split_once(' '))
            .map(|(r, id)| (r.to_string(), id.trim().to_string()))
            .collect(),
        url_ok: lines_of(output, "URL")
            .map(str::trim)
            .find_map(|v| match v {
                "ok" => Some(true),
                "fail" => Some(false),
                _ => None,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::quote;

    /// verify.sh run by a real `sh`, with stand-ins for docker and curl and
    /// lib.sh's login functions stubbed: its output.
    fn verify_output(url: &str, curl_exit: i32) -> String {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, body: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
        };
        write(
            "docker",
            r#"case "$1 $2" in "image inspect") echo sha256:abc ;; esac; exit 0"#,
        );
        write("curl", &format!("exit {curl_exit}"));
        // lib.sh as it is, with its login functions then stubbed.
        let stubs = "hc_tmpfs_docker_config() { HC_DOCKER_CONFIG=$(mktemp -d); echo '{}' > \"$HC_DOCKER_CONFIG/config.json\"; }\n\
                     hc_login() { :; }\nhc_drop_docker_config() { rm -rf \"$HC_DOCKER_CONFIG\"; }\n";
        let script = format!(
            "{LIB}{stubs}HC_SERVER=s HC_USERNAME=u HC_PASSWORD=p HC_REFS=r:1 HC_URL={}\n{VERIFY}",
            quote(url)
        );
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &script])
            .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn the_verify_step_asks_the_health_url_once_when_the_stack_has_one() {
        let answering = verify_output("http://127.0.0.1:8000/health", 0);
        let verified = parse(&answering);
        assert_eq!(
            verified.refs.get("r:1").map(String::as_str),
            Some("sha256:abc"),
            "{answering}"
        );
        assert!(
            verified.url_answers(Some("http://127.0.0.1:8000/health")),
            "{answering}"
        );
        let silent = verify_output("http://127.0.0.1:8000/health", 7);
        assert!(
            silent.contains("URL fail") && !parse(&silent).url_answers(Some("http://x")),
            "{silent}"
        );
        let none = verify_output("", 7);
        assert!(!none.contains("URL"), "{none}");
        assert!(parse(&none).url_answers(None));
        assert!(
            !parse(&none).url_answers(Some("http://x")),
            "a url with no answer line is no answer"
        );
    }

    #[test]
    fn ref_and_url_lines_become_what_was_verified() {
        insta::assert_debug_snapshot!(parse(
            "REF reg/lab/app:t1 sha256:1\nREF reg/lab/db:t1 sha256:2\nREF broken\nURL ok\n"
        ));
    }
}

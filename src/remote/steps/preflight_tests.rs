//! preflight.sh run through holder.sh on a fake node: stand-ins for
//! docker, Compose, dpkg-query and df, each start of one logged.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;
use crate::remote::HOLDER_SCRIPT;

fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A node with stand-ins for docker, Compose and dpkg-query; every
/// start of a stand-in is logged to `starts`.
struct FakeNode {
    dir: tempfile::TempDir,
}

impl FakeNode {
    /// `plugin`: a Compose v2 plugin; `v1`: a `docker-compose` v1;
    /// `dpkg_owns_v1`: dpkg's docker-compose package lists it.
    fn new(plugin: bool, v1: bool, dpkg_owns_v1: bool) -> FakeNode {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        // Only the stand-ins and the basic tools: not this machine's docker.
        let tools = dir.path().join("tools");
        std::fs::create_dir(&tools).unwrap();
        for tool in [
            "sh", "cat", "grep", "tail", "head", "cut", "env", "mkdir", "chmod", "mktemp", "stat",
            "id", "rm", "ln", "readlink", "wc", "dd", "base64", "dirname", "find", "sort", "tr",
            "kill",
        ] {
            if let Some(path) = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| Path::new(d).join(tool))
                .find(|p| p.exists())
            {
                std::os::unix::fs::symlink(path, tools.join(tool)).unwrap();
            }
        }
        std::fs::create_dir(dir.path().join("state")).unwrap();
        let log = dir.path().join("starts");
        let plugin_path = bin.join("compose-plugin");
        let info_plugin = if plugin {
            format!("v2.40.3|{}", plugin_path.display())
        } else {
            String::new()
        };
        // Compose validates the folder it runs in: the shipped files
        // are there (their list and the env file's text are logged).
        let validate = r#"find . -type f | sort | tr '\n' ' ' >> "$LOG.files"; echo >> "$LOG.files"; [ -f app.env ] && cat app.env >> "$LOG.files"; grep -q BROKEN compose.yml && { echo "services.x Additional property bad" >&2; exit 1; }; [ ! -f needs-env ] || [ -f app.env ] || { echo "env file $PWD/app.env not found" >&2; exit 1; }; exit 0"#;
        script(
            &bin,
            "docker",
            &format!(
                r#"LOG={log}; echo "docker $1 $2" >> "$LOG"
case "$1 $2" in
  "info --format") echo "20.10.24|{root}|10.77.0.1:5000 |{info_plugin}" ;;
  "network inspect") [ -e "{here}/networks/$3" ] ;;
  "volume inspect") [ -e "{here}/volumes/$3" ] ;;
  "version --format") echo 20.10.24 ;;
  "login --username") cat >/dev/null; echo '{{"auths":{{"s":{{"auth":"eA=="}}}}}}' > "$DOCKER_CONFIG/config.json" ;;
  "manifest inspect") [ "$3" = --insecure ] || exit 1; case "$4" in *missing*) exit 1 ;; esac ;;
  "compose version") {plugin_version} ;;
  "compose "*) shift; {validate} ;;
  *) exit 1 ;;
esac
"#,
                log = log.display(),
                root = dir.path().join("docker-root").display(),
                here = dir.path().display(),
                plugin_version = if plugin {
                    "echo 2.40.3"
                } else {
                    "echo unknown command >&2; exit 1"
                },
            ),
        );
        if plugin {
            script(
                &bin,
                "compose-plugin",
                &format!(
                    "LOG={}; echo \"plugin $*\" >> \"$LOG\"; {validate}",
                    log.display()
                ),
            );
        }
        if v1 {
            script(
                &bin,
                "docker-compose",
                &format!(
                    "LOG={}; echo \"docker-compose $*\" >> \"$LOG\"; [ \"$1\" = version ] && {{ echo 1.29.2; exit 0; }}; {validate}",
                    log.display()
                ),
            );
        }
        let listed = if dpkg_owns_v1 {
            bin.join("docker-compose").display().to_string()
        } else {
            "/usr/share/doc/docker-compose".into()
        };
        script(
            &bin,
            "dpkg-query",
            &format!(
                "case \"$1\" in -L) echo /usr/share/man/man1/docker-compose.1.gz; echo {listed} ;; -W) printf 'ii |1:1.29.2-3' ;; *) exit 1 ;; esac"
            ),
        );
        // df -Pk: the data root's 1024-blocks and available ones, from a file.
        script(
            &bin,
            "df",
            &format!(
                "LOG={}; echo \"df $*\" >> \"$LOG\"; echo 'Filesystem 1024-blocks Used Available Capacity Mounted on'; cat {}",
                log.display(),
                dir.path().join("df").display()
            ),
        );
        let node = FakeNode { dir };
        node.df(100_000_000, 60_000_000);
        node
    }

    /// What df says of the data root, in KiB.
    fn df(&self, total: u64, available: u64) {
        std::fs::write(
            self.dir.path().join("df"),
            format!(
                "/dev/sda1 {total} {} {available} 40% /\n",
                total - available
            ),
        )
        .unwrap();
    }

    /// Creates the external network or volume NAME on the fake node.
    fn create(&self, kind: &str, name: &str) {
        let dir = self.dir.path().join(kind);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), "").unwrap();
    }

    /// Runs the preflight step through holder.sh, as a node would.
    fn run(&self, shell: &[&str], compose_text: &str) -> (Vec<(String, bool, String)>, String) {
        self.run_with(shell, compose_text, |_| {})
    }

    /// `run`, with the input changed by `change` first.
    fn run_with(
        &self,
        shell: &[&str],
        compose_text: &str,
        change: impl FnOnce(&mut PreflightInput),
    ) -> (Vec<(String, bool, String)>, String) {
        let _ = std::fs::remove_file(self.dir.path().join("starts"));
        let mut input = PreflightInput {
            server: "10.77.0.1:5000",
            username: "lab-ci",
            password: SecretValue::new("pw".to_string()),
            image_refs: vec!["10.77.0.1:5000/lab/app:t1".into()],
            stacks: vec![
                PreflightStack {
                    project: "p-core".into(),
                    compose_files: vec!["compose.yml".into()],
                    files: Ok(vec![("compose.yml".into(), compose_text.into())]),
                },
                PreflightStack {
                    project: "p-workers".into(),
                    compose_files: vec!["compose.yml".into()],
                    files: Ok(vec![("compose.yml".into(), b"services: {}\n".to_vec())]),
                },
            ],
            env: BTreeMap::new(),
            probe: false,
            binds: Vec::new(),
            devices: Vec::new(),
            networks: Vec::new(),
            volumes: Vec::new(),
            disk: false,
        };
        change(&mut input);
        let mut stdin = format!("{}\n{HOLDER_SCRIPT}", HOLDER_SCRIPT.len()).into_bytes();
        stdin.extend(step(&input).frames());
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            self.dir.path().join("tools").display()
        );
        let mut child = Command::new(shell[0])
            .args(&shell[1..])
            .arg("-c")
            .arg("IFS= read -r n && s=$(head -c \"$n\") && eval \"$s\"")
            .args(["homectl", "N0NCE", "nolock", "tester"])
            .arg(self.dir.path().join("state"))
            .env("PATH", path)
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let out = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.contains("@@homectl-N0NCE-rc 0"),
            "{shell:?}: {out}{err}"
        );
        let starts = std::fs::read_to_string(self.dir.path().join("starts")).unwrap_or_default();
        (
            parse(&out)
                .into_iter()
                .map(|c| (c.name, c.ok, c.detail))
                .collect(),
            starts,
        )
    }
}

/// The shells a node may have (those of this machine). Not busybox
/// here: holder.sh's frames get out of step under `busybox sh` when
/// stdin is a pipe, whatever the step (its `head -c` reads ahead).
fn shells() -> Vec<Vec<&'static str>> {
    let all: [&[&str]; 2] = [&["/bin/sh"], &["/bin/bash", "--posix"]];
    all.iter()
        .filter(|s| Path::new(s[0]).exists())
        .map(|s| s.to_vec())
        .collect()
}

fn names(checks: &[(String, bool, String)]) -> Vec<&str> {
    checks.iter().map(|(n, _, _)| n.as_str()).collect()
}

#[test]
fn compose_v1_owned_by_dpkg_is_never_started_for_its_version() {
    let node = FakeNode::new(false, true, true);
    for shell in shells() {
        let (checks, starts) = node.run(&shell, "services: {}\n");
        // The fake's XDG_RUNTIME_DIR is not a tmpfs: the registry check
        // fails there, which is not what this test is about.
        assert_eq!(
            names(&checks),
            ["docker", "compose", "registry", "image", "stack"],
            "{checks:?}"
        );
        assert_eq!(checks[1], ("compose".into(), true, "v1 1.29.2".into()));
        assert_eq!(
            checks[4],
            ("stack".into(), true, "compose files valid".into())
        );
        assert!(!starts.contains("docker-compose version"), "{starts}");
        assert_eq!(
            starts.matches("docker-compose ").count(),
            2,
            "one start per stack: {starts}"
        );
        assert_eq!(starts.matches("docker info").count(), 1, "{starts}");
        assert!(
            !starts.contains("docker version") && !starts.contains("docker compose"),
            "{starts}"
        );
    }
}

#[test]
fn compose_v1_not_owned_by_dpkg_is_asked_its_version() {
    let node = FakeNode::new(false, true, false);
    for shell in shells() {
        let (checks, starts) = node.run(&shell, "services: {BROKEN: 1}\n");
        assert_eq!(checks[1], ("compose".into(), true, "v1 1.29.2".into()));
        assert!(
            starts.contains("docker-compose version --short"),
            "{starts}"
        );
        let stack = checks.iter().find(|c| c.0 == "stack").unwrap();
        assert!(
            !stack.1 && stack.2 == "p-core: services.x Additional property bad;",
            "{stack:?}"
        );
    }
}

#[test]
fn compose_v2_comes_from_docker_info_and_validates_with_the_plugin() {
    let node = FakeNode::new(true, true, true);
    for shell in shells() {
        let (checks, starts) = node.run(&shell, "services: {}\n");
        assert_eq!(checks[0], ("docker".into(), true, "engine 20.10.24".into()));
        assert_eq!(checks[1], ("compose".into(), true, "v2 2.40.3".into()));
        assert_eq!(
            checks.last().unwrap(),
            &("stack".into(), true, "compose files valid".into())
        );
        assert!(
            !starts.contains("docker-compose") && !starts.contains("docker compose"),
            "{starts}"
        );
        assert_eq!(starts.matches("plugin -p ").count(), 2, "{starts}");
    }
}

#[test]
fn no_compose_at_all_fails_compose_and_stack() {
    let node = FakeNode::new(false, false, false);
    for shell in shells() {
        let (checks, _) = node.run(&shell, "services: {}\n");
        assert_eq!(
            names(&checks),
            ["docker", "compose", "registry", "image", "stack"],
            "{checks:?}"
        );
        assert!(!checks[1].1 && !checks[4].1, "{checks:?}");
    }
}

fn find<'a>(checks: &'a [(String, bool, String)], name: &str) -> &'a (String, bool, String) {
    checks
        .iter()
        .find(|c| c.0 == name)
        .unwrap_or_else(|| panic!("no {name} check: {checks:?}"))
}

fn pair(project: &str, what: &str) -> (String, String) {
    (project.to_string(), what.to_string())
}

#[test]
fn missing_bind_sources_devices_and_external_networks_and_volumes_are_named() {
    let node = FakeNode::new(true, false, false);
    let present = node.dir.path().join("present");
    std::fs::create_dir(&present).unwrap();
    let present = present.display().to_string();
    let needs = |input: &mut PreflightInput| {
        input.binds = vec![
            pair("p-core", &present),
            pair("p-core", "/nonexistent/homectl data"),
        ];
        input.devices = vec![
            pair("p-core", "/dev/null"),
            pair("p-workers", "/dev/nonexistent-gpu"),
        ];
        input.networks = vec![pair("p-core", "proxy")];
        input.volumes = vec![pair("p-workers", "media")];
    };
    node.create("networks", "proxy");
    for shell in shells() {
        let (checks, _) = node.run_with(&shell, "services: {}\n", needs);
        let mounts = find(&checks, "mounts");
        assert_eq!(
            (mounts.1, mounts.2.as_str()),
            (false, "bind mount source missing: p-core: /nonexistent/homectl data; device missing: p-workers: /dev/nonexistent-gpu; (create them on the node, or fix compose.yml)"),
        );
        let external = find(&checks, "external");
        assert_eq!(
            (external.1, external.2.as_str()),
            (false, "external volume missing: p-workers: media; (create them with docker network create / docker volume create NAME)"),
        );
        // Before the registry's checks, and only when a stack needs them.
        assert_eq!(
            names(&checks),
            ["docker", "compose", "mounts", "external", "registry", "image", "stack"]
        );
    }
    node.create("volumes", "media");
    for shell in shells() {
        let (checks, _) = node.run_with(&shell, "services: {}\n", |input| {
            needs(input);
            input.binds.pop();
            input.devices.pop();
        });
        assert_eq!(
            find(&checks, "mounts"),
            &("mounts".into(), true, "2 host paths exist".into())
        );
        assert_eq!(
            find(&checks, "external"),
            &("external".into(), true, "2 exist".into())
        );
    }
}

#[test]
fn free_disk_on_the_data_root_is_at_least_a_gib_and_below_ten_percent_is_a_warning() {
    let node = FakeNode::new(true, false, false);
    let root = node.dir.path().join("docker-root").display().to_string();
    let disk = |input: &mut PreflightInput| input.disk = true;
    for shell in shells() {
        node.df(100_000_000, 500_000);
        let (checks, starts) = node.run_with(&shell, "services: {}\n", disk);
        assert_eq!(
            find(&checks, "disk"),
            &(
                "disk".into(),
                false,
                format!("488 MiB free on {root}, needs 1024 MiB (images to pull 0 MiB + 1 GiB)")
            ),
        );
        assert!(starts.contains(&format!("df -Pk {root}")), "{starts}");
        assert_eq!(starts.matches("docker info").count(), 1, "{starts}");

        node.df(100_000_000, 5_000_000);
        let (checks, _) = node.run_with(&shell, "services: {}\n", disk);
        assert_eq!(
            find(&checks, "disk"),
            &(
                "disk".into(),
                true,
                format!("4882 MiB free on {root}; warning: under 10 % free (5 %)")
            ),
        );

        node.df(100_000_000, 60_000_000);
        let (checks, _) = node.run_with(&shell, "services: {}\n", disk);
        assert_eq!(
            find(&checks, "disk"),
            &("disk".into(), true, format!("58593 MiB free on {root}")),
        );
    }
}

#[test]
fn each_stack_is_validated_in_its_shipped_folder_removed_after() {
    let node = FakeNode::new(true, false, false);
    let state = node.dir.path().join("state");
    let files_log = node.dir.path().join("starts.files");
    for shell in shells() {
        // Left by a preflight whose session is gone.
        std::fs::create_dir_all(state.join(".preflight.999999999/1")).unwrap();
        let _ = std::fs::remove_file(&files_log);
        let (checks, _) = node.run_with(&shell, "services: {}\n", |input| {
            input.stacks[0].files = Ok(vec![
                ("app.env".into(), b"A=1\n".to_vec()),
                ("compose.yml".into(), b"services: {}\n".to_vec()),
                ("conf/deep/x y.bin".into(), vec![0, 255, b'\n']),
                ("needs-env".into(), Vec::new()),
            ]);
            input.stacks[1].files = Err("the secrets did not resolve".into());
        });
        assert_eq!(
            find(&checks, "stack"),
            &(
                "stack".into(),
                false,
                "p-workers: not validated: the secrets did not resolve;".into()
            ),
            "{shell:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&files_log).unwrap(),
            "./app.env ./compose.yml ./conf/deep/x y.bin ./needs-env \nA=1\n",
            "{shell:?}"
        );
        let left: Vec<_> = std::fs::read_dir(&state)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".preflight"))
            .collect();
        assert!(left.is_empty(), "{shell:?}: {left:?}");

        // The env file is not shipped: Compose's message names it as the
        // stack folder has it, not the temporary folder.
        let (checks, _) = node.run_with(&shell, "services: {}\n", |input| {
            input.stacks[0].files = Ok(vec![
                ("compose.yml".into(), b"services: {}\n".to_vec()),
                ("needs-env".into(), Vec::new()),
            ]);
        });
        assert_eq!(
            find(&checks, "stack"),
            &(
                "stack".into(),
                false,
                "p-core: env file app.env not found;".into()
            ),
            "{shell:?}"
        );
    }
}

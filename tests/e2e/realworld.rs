//! Compose resolves a shipped real-world stack on a node as it resolves
//! the folder locally (docs/stacks.md, "What travels"). For each stack of
//! the real-world corpus (`../shared/corpus/realworld` beside the
//! repository or the folder of its worktree, or `HOMECTL_REALWORLD`; the
//! test prints that it was skipped and passes when it is absent): the
//! files homectl's dry-run lists are copied (tar over ssh) into a temp
//! folder on node-a, not the state folder, and `docker compose config` runs
//! in both places with the same project name and environment (`REGISTRY`,
//! `IMAGE_TAG`, `HOMECTL_NODE`, as a deploy sets them). The services,
//! their mounts and environment, and the top-level volumes, configs and
//! secrets must be the same once the local folder's path is replaced by
//! the node's. No image is pulled.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::common::*;

fn corpus() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("HOMECTL_REALWORLD") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(repo().join("../shared/corpus/realworld"));
    candidates.push(repo().join("../../shared/corpus/realworld"));
    candidates
        .into_iter()
        .find(|dir| dir.join("inventory/realworld.toml").is_file())
        .map(|dir| dir.canonicalize().unwrap())
}

/// `docker compose config --format json` as JSON, or the error it printed
/// (with `dir` written as `DIR`, so both sides compare).
fn parse(ok: bool, stdout: &[u8], stderr: &[u8], dir: &str) -> Result<serde_json::Value, String> {
    if ok {
        let text = String::from_utf8_lossy(stdout).replace(dir, "DIR");
        serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
    } else {
        Err(String::from_utf8_lossy(stderr)
            .replace(dir, "DIR")
            .trim()
            .to_string())
    }
}

/// What is compared: each service as Compose resolved it, and the
/// top-level volumes, configs and secrets.
fn resolved(config: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for key in ["services", "volumes", "configs", "secrets"] {
        out.insert(key.into(), config[key].clone());
    }
    serde_json::Value::Object(out)
}

#[test]
fn compose_resolves_each_shipped_realworld_stack_as_the_local_folder() {
    let Some(corpus) = corpus() else {
        println!("skipped: the real-world corpus (../shared/corpus/realworld) is not here");
        return;
    };
    let _lock = lab_lock();
    let host = host_of("node-a");
    let inventory = corpus.join("inventory/realworld.toml");
    let toml: toml::Value = toml::from_str(&std::fs::read_to_string(&inventory).unwrap()).unwrap();
    let registry = format!(
        "{}/{}",
        toml["registry"]["server"].as_str().unwrap(),
        toml["registry"]["namespace"].as_str().unwrap()
    );
    let name = toml["name"].as_str().unwrap();
    let mut node_of = BTreeMap::new();
    for (node, entry) in toml["nodes"].as_table().unwrap() {
        for stack in entry["stacks"].as_array().unwrap() {
            node_of.insert(stack.as_str().unwrap().to_string(), node.clone());
        }
    }

    let base = on_node_ok(host, "mktemp -d /tmp/hc-realworld.XXXXXX")
        .trim()
        .to_string();
    let mut rows = Vec::new();
    let mut wrong = Vec::new();
    for (stack, node) in &node_of {
        let dir = corpus.join("stacks").join(stack);
        let run = Homectl::with_inventory(&inventory)
            .args([
                "deploy",
                node,
                &format!("stack:{stack}"),
                "--dry-run",
                "--tag",
                "abc1234",
                "--json",
            ])
            .run();
        run.success();
        let plan = run.json()["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["stack"] == stack.as_str())
            .cloned()
            .unwrap();
        let files: Vec<String> = plan["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().into())
            .collect();

        // Ship exactly those files, as they are, into a temp folder.
        let remote = format!("{base}/{stack}");
        let tar = Command::new("tar")
            .arg("-C")
            .arg(&dir)
            .arg("-cf")
            .arg("-")
            .arg("--")
            .args(&files)
            .output()
            .expect("tar runs");
        assert!(
            tar.status.success(),
            "{stack}: tar: {}",
            String::from_utf8_lossy(&tar.stderr)
        );
        let mut ssh = Command::new("ssh")
            .args([
                "-F",
                SSH_CONFIG,
                host,
                &format!("mkdir -p {remote} && tar -C {remote} -xf -"),
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        ssh.stdin.take().unwrap().write_all(&tar.stdout).unwrap();
        assert!(ssh.wait().unwrap().success(), "{stack}: untar on {host}");

        let project = format!("{name}-{stack}");
        let env = [
            ("REGISTRY", registry.as_str()),
            ("IMAGE_TAG", "abc1234"),
            ("HOMECTL_NODE", node.as_str()),
        ];
        let local = Command::new("docker")
            .args([
                "compose",
                "-p",
                &project,
                "-f",
                "compose.yml",
                "config",
                "--format",
                "json",
            ])
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .envs(env)
            .output()
            .expect("docker compose runs here");
        let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
        let on_node = on_node(
            host,
            &format!(
                "cd {remote} && env -i PATH=\"$PATH\" HOME=\"$HOME\" DOCKER_HOST=\"$DOCKER_HOST\" {} \
                 docker compose -p {project} -f compose.yml config --format json",
                vars.join(" ")
            ),
        );
        let here = parse(
            local.status.success(),
            &local.stdout,
            &local.stderr,
            dir.to_str().unwrap(),
        );
        let there = parse(
            on_node.status.success(),
            &on_node.stdout,
            &on_node.stderr,
            &remote,
        );
        let (verdict, detail) = match (&here, &there) {
            (Ok(a), Ok(b)) if resolved(a) == resolved(b) => {
                let services = a["services"].as_object().map_or(0, |s| s.len());
                ("match", format!("{services} services"))
            }
            (Err(a), Err(b)) if a == b => (
                "match (both refuse)",
                a.lines().last().unwrap_or("").to_string(),
            ),
            (Ok(a), Ok(b)) => {
                let (a, b) = (resolved(a), resolved(b));
                let differ: Vec<String> = ["services", "volumes", "configs", "secrets"]
                    .iter()
                    .filter(|k| a[**k] != b[**k])
                    .map(|k| k.to_string())
                    .collect();
                ("DIFFER", differ.join(", "))
            }
            (a, b) => (
                "DIFFER",
                format!("here: {:?}; node: {:?}", a.as_ref().err(), b.as_ref().err()),
            ),
        };
        if verdict == "DIFFER" {
            wrong.push(format!("{stack}: {detail}"));
        }
        rows.push(format!(
            "{stack} | {} files | {verdict} | {detail}",
            files.len()
        ));
    }
    on_node_ok(host, &format!("rm -rf {base}"));
    println!("stack | shipped | compose config | detail");
    for row in &rows {
        println!("{row}");
    }
    assert!(
        wrong.is_empty(),
        "Compose resolves differently on the node:\n{}",
        wrong.join("\n")
    );
}

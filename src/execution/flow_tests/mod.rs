//! The deploy flow without the lab (docs/architecture.md, "Flow tests"):
//! each node is a temp folder reached through `Transport::Local`, where
//! holder.sh runs in a local `sh` with the real step scripts and the real
//! framing, and `docker` is a stand-in (`docker.sh`) that records its argv
//! and answers what the test scripted.

mod deploy_flow;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::deploy_phases::deploy_nodes;
use super::interrupt::Interrupt;
use super::node_deploy::{DeployContext, Target};
use super::transport::Transport;
use crate::error::Error;
use crate::inventory::Project;
use crate::report::printer::Printer;
use crate::report::progress::Progress;
use crate::secrets::{SecretRef, SecretValue, Secrets};

const STAND_IN_DOCKER: &str = include_str!("docker.sh");

/// The registry password and the stack's secret: never in an argv, a log
/// or a file on a node.
pub const REGISTRY_PASSWORD: &str = "Reg1stry-pw-7f3a";
pub const API_KEY: &str = "ApiK3y-9c1e-secret";

const INVENTORY: &str = r#"name = "flow"
stacks_dir = "stacks"

[registry]
server = "registry.test:5000"
namespace = "lab"
username = "ci"
password = "env://FLOW_REGISTRY_PASSWORD"

[nodes.node-a]
host = "a.test"
stacks = ["web"]

[nodes.node-b]
host = "b.test"
stacks = ["web"]
"#;

const STACK: &str = r#"images = ["web"]

[secrets]
API_KEY = "env://FLOW_API_KEY"

[health]
services = ["web"]
timeout = "5s"

[[hooks.before_up]]
service = "web"
command = ["/app/migrate", "--to", "latest"]
"#;

const COMPOSE: &str = r#"services:
  web:
    image: ${REGISTRY}/web:${IMAGE_TAG}
    environment:
      API_KEY: ${API_KEY}
    volumes:
      - ./app.conf:/etc/app.conf:ro
"#;

/// A project (inventory, one stack `web` on node-a and node-b) and a
/// folder for each node.
pub struct Lab {
    dir: tempfile::TempDir,
    /// Each node's tmpfs folder for registry logins (`NODE/run` links to it).
    _runtime: Vec<tempfile::TempDir>,
}

/// One node's folder: `state/` is its state folder, `fake/` what the
/// stand-in docker records and answers.
pub struct FakeNode {
    dir: PathBuf,
}

/// What one deploy did.
pub struct Run {
    pub result: Result<i32, Error>,
}

impl Run {
    pub fn exit_code(&self) -> i32 {
        match &self.result {
            Ok(code) => *code,
            Err(e) => e.exit_code(),
        }
    }

    pub fn message(&self) -> String {
        match &self.result {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }
}

/// How a deploy is asked for.
#[derive(Default, Clone)]
pub struct Ask {
    pub no_rollback: bool,
    /// `homectl rollback`: back to what ran before the last deploy, from
    /// each node's history (the tag is then unused).
    pub rollback: bool,
    /// Set the interrupt flag once the stand-in holds this command
    /// (`hold_key`), then let it go on: "Ctrl-C while this step runs".
    pub interrupt_at: Option<String>,
}

impl Lab {
    pub fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("project");
        std::fs::create_dir_all(project.join("stacks/web")).unwrap();
        std::fs::write(project.join("inventory.toml"), INVENTORY).unwrap();
        std::fs::write(project.join("stacks/web/stack.toml"), STACK).unwrap();
        std::fs::write(project.join("stacks/web/compose.yml"), COMPOSE).unwrap();
        let mut lab = Lab {
            dir,
            _runtime: Vec::new(),
        };
        lab.app_conf("version 1\n");
        for name in ["node-a", "node-b"] {
            let node = lab.node(name);
            std::fs::create_dir_all(&node.dir).unwrap();
            let runtime = tempfile::tempdir_in("/dev/shm").unwrap();
            std::os::unix::fs::symlink(runtime.path(), node.dir.join("run")).unwrap();
            lab._runtime.push(runtime);
            for sub in [
                "bin",
                "home",
                "state",
                "fake/running",
                "fake/env",
                "fake/fail",
                "fake/health",
                "fake/hold",
                "fake/held",
            ] {
                std::fs::create_dir_all(node.dir.join(sub)).unwrap();
            }
            let fake = node.dir.join("fake").display().to_string();
            let docker = STAND_IN_DOCKER.replacen(
                "set -u\n",
                &format!("set -u\nF={}\n", crate::remote::quote(&fake)),
                1,
            );
            let path = node.dir.join("bin/docker");
            std::fs::write(&path, docker).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        lab
    }

    pub fn node(&self, name: &str) -> FakeNode {
        FakeNode {
            dir: self.dir.path().join("nodes").join(name),
        }
    }

    /// The stack's bind-mounted file, as the operator's folder has it.
    pub fn app_conf(&self, text: &str) {
        std::fs::write(self.dir.path().join("project/stacks/web/app.conf"), text).unwrap();
    }

    fn project(&self) -> Project {
        crate::inventory::load(&self.dir.path().join("project/inventory.toml"))
            .unwrap_or_else(|e| panic!("the flow project loads: {e:?}"))
    }

    /// `homectl deploy TAG` of every node, through the local transport.
    pub fn deploy(&self, tag: &str, ask: Ask) -> Run {
        let project = self.project();
        let selection = crate::plan::select(&project, None, &[]).unwrap();
        let mut secrets = Secrets::new();
        for (reference, value) in [
            ("env://FLOW_REGISTRY_PASSWORD", REGISTRY_PASSWORD),
            ("env://FLOW_API_KEY", API_KEY),
        ] {
            secrets.insert(
                SecretRef::parse(reference).unwrap(),
                SecretValue::new(value.to_string()),
            );
        }
        let nodes: Vec<String> = selection.nodes.iter().map(|n| n.node.clone()).collect();
        let printer = Printer {
            json: false,
            quiet: true,
        };
        let interrupt = Interrupt::default();
        // As commands/rollback.rs asks for it.
        let (target, tag) = match ask.rollback {
            true => (Target::RollbackByHistory, "history"),
            false => (Target::Tag, tag),
        };
        let ctx = Arc::new(DeployContext {
            target,
            project: Arc::new(project),
            tag: tag.to_string(),
            scale: None,
            no_rollback: ask.no_rollback,
            force: ask.rollback,
            secrets,
            progress: Arc::new(Progress::new(printer, &nodes)),
            interrupt: interrupt.clone(),
            operator: "tester@flow".into(),
            transport: Transport::Local(self.dir.path().join("nodes")),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let held: Vec<PathBuf> = match &ask.interrupt_at {
            Some(key) => nodes
                .iter()
                .map(|n| {
                    let node = self.node(n);
                    std::fs::write(node.fake().join("hold").join(key), "").unwrap();
                    node.fake().join("held").join(key)
                })
                .collect(),
            None => Vec::new(),
        };
        let result = runtime.block_on(async move {
            let run = tokio::spawn(deploy_nodes(ctx, selection.nodes));
            if !held.is_empty() {
                // Every node is in that step: Ctrl-C, then let the steps finish.
                let start = std::time::Instant::now();
                while !held.iter().all(|h| h.exists()) {
                    assert!(start.elapsed().as_secs() < 20, "no node reached the step");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                interrupt.set();
                for h in &held {
                    let hold = h.parent().unwrap().with_file_name("hold");
                    let _ = std::fs::remove_file(hold.join(h.file_name().unwrap()));
                }
            }
            run.await.unwrap()
        });
        Run { result }
    }
}

impl FakeNode {
    fn fake(&self) -> PathBuf {
        self.dir.join("fake")
    }

    /// Every docker command the node ran, one a line.
    pub fn argv(&self) -> String {
        std::fs::read_to_string(self.fake().join("argv")).unwrap_or_default()
    }

    /// Forgets the commands recorded so far.
    pub fn clear_argv(&self) {
        let _ = std::fs::remove_file(self.fake().join("argv"));
    }

    /// The Compose `up -d` runs, without the recreates of the services
    /// that read a changed file (`up -d --no-deps --force-recreate`).
    pub fn ups(&self) -> Vec<String> {
        self.argv()
            .lines()
            .filter(|l| l.starts_with("compose ") && l.contains(" up -d"))
            .filter(|l| !l.contains("--force-recreate"))
            .map(str::to_string)
            .collect()
    }

    /// `docker KEY` (or `docker compose ... COMMAND`: compose-COMMAND)
    /// runs this shell snippet instead.
    pub fn fail(&self, key: &str, snippet: &str) {
        std::fs::write(self.fake().join("fail").join(key), snippet).unwrap();
    }

    /// Asks docker.sh to note the variable NAME of `compose up`'s environment.
    pub fn watch_env(&self, name: &str) {
        std::fs::write(self.fake().join("env").join(name), "").unwrap();
    }

    /// The SHA-256 of the variable NAME in the environment of the node's
    /// last `compose up` (see `watch_env`).
    pub fn env_seen_by_up(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.fake().join("env").join(name))
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// The health of the containers that run the tag.
    pub fn health(&self, tag: &str, state: &str) {
        std::fs::write(self.fake().join("health").join(tag), format!("{state}\n")).unwrap();
    }

    /// What runs of the `web` stack: "SERVICE REF" lines.
    pub fn running(&self) -> String {
        std::fs::read_to_string(self.fake().join("running/flow-web")).unwrap_or_default()
    }

    /// The node's history, one JSON value a record.
    pub fn history(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join("state/history.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The stack's file as it is in use on the node.
    pub fn app_conf(&self) -> String {
        std::fs::read_to_string(self.dir.join("state/stacks/web/app.conf")).unwrap_or_default()
    }

    /// Whether the node's lock is free (nothing holds `state/lock`).
    pub fn lock_is_free(&self) -> bool {
        let lock = self.dir.join("state/lock");
        !lock.exists()
            || std::process::Command::new("flock")
                .args(["-n", &lock.display().to_string(), "true"])
                .status()
                .unwrap()
                .success()
    }

    /// Holds the node's lock as another deploy would (`holder` in
    /// `lock.holder`) until the returned process is killed.
    pub fn hold_lock(&self, holder: &str) -> std::process::Child {
        let state = self.dir.join("state");
        std::fs::write(state.join("lock.holder"), format!("{holder}\n")).unwrap();
        // One process holds it (the shell becomes `sleep`), so killing
        // that process frees it. A blocking flock: the probe below takes
        // the lock for an instant too.
        let child = std::process::Command::new("sh")
            .args(["-c", "exec 9>>\"$1\" && flock 9 && exec sleep 60", "sh"])
            .arg(state.join("lock"))
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while self.lock_is_free() {
            assert!(
                start.elapsed().as_secs() < 10,
                "flock did not take the lock"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child
    }

    /// Every file of the node's folder, for a secret that must not be there.
    pub fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path, bytes));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir, &mut out);
        out
    }
}

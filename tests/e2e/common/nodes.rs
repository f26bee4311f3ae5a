//! The lab's nodes seen directly over plain ssh (not through homectl):
//! commands, the containers their engines run, their deploy lock.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::SSH_CONFIG;

/// Runs a shell command on a lab node over plain ssh (not homectl).
pub fn on_node(host: &str, script: &str) -> Output {
    Command::new("ssh")
        .args(["-F", SSH_CONFIG, host, script])
        .output()
        .expect("ssh runs")
}

/// stdout of a command on a node, which must succeed.
#[track_caller]
pub fn on_node_ok(host: &str, script: &str) -> String {
    let out = on_node(host, script);
    assert!(
        out.status.success(),
        "`{script}` on {host} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A container of a compose project on a node, as that node's Docker
/// engine reports it (not as homectl does).
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub service: String,
    /// The image reference it was created from (`REGISTRY/NAME:TAG`).
    pub image_ref: String,
    /// The image id it runs (`sha256:...`).
    pub image_id: String,
    /// running, exited, created, ...
    pub state: String,
    /// healthy, unhealthy, starting, or empty without a health check.
    pub health: String,
}

impl Container {
    pub fn tag(&self) -> &str {
        self.image_ref
            .rsplit_once(':')
            .map(|(_, t)| t)
            .unwrap_or("")
    }
}

/// Every container (running or not) of a compose project on a node, by service.
#[track_caller]
pub fn containers(host: &str, project: &str) -> Vec<Container> {
    let script = format!(
        "ids=$(docker ps -aq --filter label=com.docker.compose.project={project}); [ -z \"$ids\" ] || docker inspect --format \
         '{{{{.Id}}}}|{{{{.Name}}}}|{{{{index .Config.Labels \"com.docker.compose.service\"}}}}|{{{{.Config.Image}}}}|{{{{.Image}}}}|{{{{json .State}}}}' $ids"
    );
    let mut list: Vec<Container> = on_node_ok(host, &script)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, '|').collect();
            assert_eq!(f.len(), 6, "unexpected docker inspect line: {l}");
            let state: serde_json::Value =
                serde_json::from_str(f[5]).unwrap_or_else(|e| panic!("{e}: {l}"));
            Container {
                id: f[0].into(),
                name: f[1].trim_start_matches('/').into(),
                service: f[2].into(),
                image_ref: f[3].into(),
                image_id: f[4].into(),
                state: state["Status"].as_str().unwrap_or("").into(),
                health: state["Health"]["Status"].as_str().unwrap_or("").into(),
            }
        })
        .collect();
    list.sort_by(|a, b| a.service.cmp(&b.service));
    list
}

/// The one container of a service (panics if there is none or several).
#[track_caller]
pub fn container_of(host: &str, project: &str, service: &str) -> Container {
    let all: Vec<Container> = containers(host, project)
        .into_iter()
        .filter(|c| c.service == service)
        .collect();
    assert_eq!(
        all.len(),
        1,
        "expected one container of {service} on {host}: {all:?}"
    );
    all.into_iter().next().unwrap()
}

/// Waits until no process holds the node's deploy lock (homectl's flock
/// in /var/lib/homectl/lock); false after `timeout`.
pub fn wait_lock_free(host: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if on_node(
            host,
            // Never create the lock file: homectl makes it, private.
            "[ ! -e /var/lib/homectl/lock ] || flock -n /var/lib/homectl/lock true",
        )
        .status
        .success()
        {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

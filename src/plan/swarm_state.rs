//! What the manager says of a swarm stack's services (the `SVC`, `TASK`
//! and `ERR` lines of scripts/swarm_state.sh), and whether an update has
//! converged, is still going, or failed (docs/swarm.md, "A deploy").

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmService {
    /// `UpdateStatus.State`: `updating`, `completed`, `rollback_started`,
    /// `rollback_completed`, `paused`, ...; empty if it never updated.
    pub update_state: String,
    pub replicas: u32,
    /// The image of the service's spec.
    pub image: String,
    pub tasks: Vec<SwarmTask>,
    /// Errors of its tasks that ended (newest first).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmTask {
    pub name: String,
    pub node: String,
    pub image: String,
    /// The first word of `CurrentState`: `Running`, `Starting`, ...
    pub state: String,
}

impl SwarmService {
    /// Tasks running (healthy, where the service has a healthcheck: Swarm
    /// keeps a task `Starting` until then) at the spec's image.
    pub fn running(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.state == "Running" && t.image == self.image)
            .count()
    }
}

/// Services by name within the stack (`backtest-worker`, not
/// `ktrdr-workers_backtest-worker`).
pub fn parse_state(output: &str, project: &str) -> BTreeMap<String, SwarmService> {
    let prefix = format!("{project}_");
    let short = |name: &str| name.strip_prefix(&prefix).unwrap_or(name).to_string();
    let mut out: BTreeMap<String, SwarmService> = BTreeMap::new();
    for line in output.lines() {
        let mut words = line.splitn(6, ' ');
        match words.next() {
            Some("SVC") => {
                let (Some(name), Some(state), Some(replicas), Some(image)) =
                    (words.next(), words.next(), words.next(), words.next())
                else {
                    continue;
                };
                let s = out.entry(short(name)).or_default();
                s.update_state = if state == "-" {
                    String::new()
                } else {
                    state.into()
                };
                s.replicas = replicas.parse().unwrap_or(0);
                s.image = image.trim().into();
            }
            Some("TASK") => {
                let (Some(service), Some(name), Some(node), Some(image), Some(state)) = (
                    words.next(),
                    words.next(),
                    words.next(),
                    words.next(),
                    words.next(),
                ) else {
                    continue;
                };
                out.entry(short(service))
                    .or_default()
                    .tasks
                    .push(SwarmTask {
                        name: name.into(),
                        node: node.into(),
                        image: image.into(),
                        state: state.split(' ').next().unwrap_or("").into(),
                    });
            }
            Some("ERR") => {
                let (Some(service), Some(rest)) = (words.next(), line.splitn(3, ' ').nth(2)) else {
                    continue;
                };
                out.entry(short(service))
                    .or_default()
                    .errors
                    .push(rest.trim().into());
            }
            _ => {}
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every service runs its replicas at the wanted image.
    Converged,
    /// Still updating (or rolling back, or tasks starting).
    Pending,
    /// Swarm rolled these services back (or paused them): service → why.
    Failed(BTreeMap<String, String>),
}

/// `wanted`: service → the pinned image it must run.
pub fn verdict(
    state: &BTreeMap<String, SwarmService>,
    wanted: &BTreeMap<String, String>,
) -> Verdict {
    let mut pending = false;
    let mut failed = BTreeMap::new();
    for (name, image) in wanted {
        let Some(s) = state.get(name) else {
            pending = true;
            continue;
        };
        let why = || {
            let errors = s.errors.iter().take(3).cloned().collect::<Vec<_>>();
            if errors.is_empty() {
                s.update_state.clone()
            } else {
                format!("{}: {}", s.update_state, errors.join("; "))
            }
        };
        match s.update_state.as_str() {
            "updating" | "rollback_started" => pending = true,
            "paused" | "rollback_paused" => {
                failed.insert(name.clone(), why());
            }
            "rollback_completed" if &s.image != image => {
                failed.insert(name.clone(), why());
            }
            _ => {
                let extra = s.tasks.iter().any(|t| t.image != s.image);
                if &s.image != image || s.running() != s.replicas as usize || extra {
                    pending = true;
                }
            }
        }
    }
    if !failed.is_empty() {
        // A rollback of one service may still run in another: wait for all.
        if pending {
            return Verdict::Pending;
        }
        return Verdict::Failed(failed);
    }
    if pending {
        Verdict::Pending
    } else {
        Verdict::Converged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "SVC p_w updating 3 r/w@sha256:new\n\
TASK p_w p_w.1 node-a r/w@sha256:new Running 3 seconds ago\n\
TASK p_w p_w.2 node-b r/w@sha256:old Running 1 minute ago\n\
TASK p_w p_w.3 node-c r/w@sha256:old Running 1 minute ago\n\
ERR p_w p_w.2 task: non-zero exit (1)\n\
SVC p_db - 1 r/db@sha256:1\n\
TASK p_db p_db.1 node-a r/db@sha256:1 Starting 1 second ago\n";

    #[test]
    fn parses_services_tasks_and_errors() {
        let state = parse_state(OUT, "p");
        assert_eq!(state.len(), 2);
        let w = &state["w"];
        assert_eq!(
            (w.update_state.as_str(), w.replicas, w.tasks.len()),
            ("updating", 3, 3)
        );
        assert_eq!(w.tasks[1].node, "node-b");
        assert_eq!(w.errors, ["p_w.2 task: non-zero exit (1)"]);
        assert_eq!(w.running(), 1);
        assert_eq!(state["db"].update_state, "");
        assert_eq!(state["db"].running(), 0);
    }

    fn service(update: &str, image: &str, tasks: &[(&str, &str)]) -> SwarmService {
        SwarmService {
            update_state: update.into(),
            replicas: tasks.len() as u32,
            image: image.into(),
            tasks: tasks
                .iter()
                .map(|(image, state)| SwarmTask {
                    name: "t".into(),
                    node: "n".into(),
                    image: image.to_string(),
                    state: state.to_string(),
                })
                .collect(),
            errors: vec!["t.1 unhealthy container".into()],
        }
    }

    #[test]
    fn verdicts() {
        let wanted = BTreeMap::from([("w".to_string(), "new".to_string())]);
        let one = |s: SwarmService| BTreeMap::from([("w".to_string(), s)]);
        assert_eq!(
            verdict(
                &one(service(
                    "completed",
                    "new",
                    &[("new", "Running"), ("new", "Running")]
                )),
                &wanted
            ),
            Verdict::Converged
        );
        // A first deploy has no update status.
        assert_eq!(
            verdict(&one(service("", "new", &[("new", "Running")])), &wanted),
            Verdict::Converged
        );
        assert_eq!(
            verdict(&one(service("", "new", &[("new", "Starting")])), &wanted),
            Verdict::Pending
        );
        assert_eq!(
            verdict(
                &one(service("updating", "new", &[("new", "Running")])),
                &wanted
            ),
            Verdict::Pending
        );
        assert_eq!(
            verdict(
                &one(service("rollback_started", "old", &[("old", "Running")])),
                &wanted
            ),
            Verdict::Pending
        );
        let Verdict::Failed(why) = verdict(
            &one(service("rollback_completed", "old", &[("old", "Running")])),
            &wanted,
        ) else {
            panic!()
        };
        assert!(why["w"].contains("unhealthy container"), "{why:?}");
        // A completed update of an earlier deploy is not this one's.
        assert_eq!(
            verdict(
                &one(service("completed", "old", &[("old", "Running")])),
                &wanted
            ),
            Verdict::Pending
        );
        assert_eq!(verdict(&BTreeMap::new(), &wanted), Verdict::Pending);
    }
}

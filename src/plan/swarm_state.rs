//! What the manager says of a swarm stack's services (read by
//! remote/steps/swarm_state.rs), and whether an update has converged, is
//! still going, or failed (docs/swarm.md, "A deploy").

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

//! What every swarm command shares (docs/swarm.md): its context, its
//! failure, and the sessions to every node of a swarm stack with the
//! manager found among them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;

use super::interrupt::Interrupt;
use super::node_session::NodeSession;
use super::reporter::{Reporter, Status};
use crate::inventory::Project;
use crate::plan::node_plan::Target;
use crate::plan::swarm_members::find_manager;
use crate::plan::swarm_plan::SwarmTarget;
use crate::remote::steps::swarm_info;
use crate::secrets::Secrets;

pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct SwarmContext<'a> {
    pub project: &'a Project,
    pub tag: &'a str,
    /// A deploy of `tag`, or a rollback: to `tag` (`--to T`), or by
    /// history (the images of the deploy before the last successful one,
    /// from the manager's history, instead of `tag`).
    pub target: Target,
    pub scale: Option<u32>,
    pub secrets: &'a Secrets,
    pub progress: Arc<dyn Reporter>,
    pub interrupt: Interrupt,
    pub operator: String,
}

impl<'a> SwarmContext<'a> {
    /// For a read-only question (`plan`, `status`): no progress shown, no
    /// Ctrl-C handler, nothing recorded.
    pub fn read_only(
        project: &'a Project,
        tag: &'a str,
        scale: Option<u32>,
        secrets: &'a Secrets,
    ) -> Self {
        SwarmContext {
            project,
            tag,
            target: Target::Tag,
            scale,
            secrets,
            progress: Arc::new(super::reporter::Silent),
            interrupt: Interrupt::default(),
            operator: String::new(),
        }
    }

    /// The history record's kind: `rollback` for either rollback.
    pub(crate) fn kind(&self) -> &'static str {
        match self.target.kind() {
            crate::plan::history::RecordKind::Rollback => "rollback",
            _ => "deploy",
        }
    }
}

/// A failure: the message (secrets masked) and the nodes it concerns.
pub struct SwarmFailure {
    pub message: String,
    pub nodes: Vec<String>,
    pub interrupted: bool,
}

pub(crate) fn fail(message: String, nodes: &[&str]) -> SwarmFailure {
    SwarmFailure {
        message,
        nodes: nodes.iter().map(|n| n.to_string()).collect(),
        interrupted: false,
    }
}

/// Connects to and locks every node of the stack; if one fails, the others
/// are released and the error names it.
pub(crate) async fn open_all(
    ctx: &SwarmContext<'_>,
    target: &SwarmTarget,
    lock: bool,
) -> Result<BTreeMap<String, NodeSession>, SwarmFailure> {
    let inv = &ctx.project.inventory;
    let opened = join_all(target.nodes.iter().map(|name| {
        let node = &inv.nodes[name];
        async move { (name.clone(), NodeSession::open(inv, node, lock).await) }
    }))
    .await;
    let mut sessions: BTreeMap<String, NodeSession> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, result) in opened {
        match result {
            Ok(s) => {
                sessions.insert(name, s);
            }
            Err(e) => errors.push((name, ctx.secrets.mask(&e))),
        }
    }
    if errors.is_empty() {
        return Ok(sessions);
    }
    close_all(sessions).await;
    Err(fail(
        format!(
            "prepare failed; nothing changed on any node:\n{}",
            errors
                .iter()
                .map(|(n, e)| format!("  {n}: {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        &errors.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
    ))
}

pub(crate) async fn close_all(sessions: BTreeMap<String, NodeSession>) {
    join_all(sessions.into_values().map(|s| s.close())).await;
}

/// Every node's place in the Swarm; the manager to go through.
pub(crate) async fn manager_of(
    ctx: &SwarmContext<'_>,
    target: &SwarmTarget,
    sessions: &mut BTreeMap<String, NodeSession>,
) -> Result<String, SwarmFailure> {
    let mut infos = Vec::new();
    for name in &target.nodes {
        let out = sessions
            .get_mut(name)
            .expect("opened")
            .run(&swarm_info::step(), STEP_TIMEOUT)
            .await;
        match out {
            Ok(out) => infos.push((name.clone(), swarm_info::parse(&out))),
            Err(e) => {
                return Err(fail(
                    format!("{name}: {}; nothing changed", ctx.secrets.mask(&e)),
                    &[name],
                ))
            }
        }
    }
    let manager = find_manager(&target.stack, &infos).map_err(|e| {
        fail(
            format!("{e}; nothing changed"),
            &target.nodes.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    })?;
    ctx.progress
        .event(&manager, "manager", Status::Ok, None, "");
    Ok(manager)
}

//! `status` of a swarm stack (docs/swarm.md): per service the replicas
//! running/desired, the image (by digest) and the nodes its tasks run on,
//! as the manager says; read-only, no lock.

use super::swarm_session::{
    close_all, fail, manager_of, open_all, SwarmContext, SwarmFailure, STEP_TIMEOUT,
};
use crate::plan::swarm_plan::SwarmTarget;
use crate::remote::steps::swarm_state;

/// The stack's lines: a heading, then one line per service.
pub async fn status(ctx: &SwarmContext<'_>, target: &SwarmTarget) -> Result<String, SwarmFailure> {
    let mut sessions = open_all(ctx, target, false).await?;
    let result = async {
        let manager = manager_of(ctx, target, &mut sessions).await?;
        let project = ctx.project.inventory.project_name(&target.stack);
        let out = sessions
            .get_mut(&manager)
            .expect("opened")
            .run(&swarm_state::step(&project), STEP_TIMEOUT)
            .await
            .map_err(|e| fail(e, &[&manager]))?;
        let state = swarm_state::parse(&out, &project);
        let mut text = format!("swarm stack {} (manager {manager}):", target.stack);
        if state.is_empty() {
            text.push_str(" not deployed");
        }
        for (name, s) in &state {
            if target
                .services
                .as_ref()
                .is_some_and(|list| !list.contains(name))
            {
                continue;
            }
            let mut nodes: Vec<&str> = s
                .tasks
                .iter()
                .filter(|t| t.state == "Running")
                .map(|t| t.node.as_str())
                .collect();
            nodes.sort();
            nodes.dedup();
            let update = if s.update_state.is_empty() {
                String::new()
            } else {
                format!("  update {}", s.update_state)
            };
            text.push_str(&format!(
                "\n  {name}  {}/{}  {}  on {}{update}",
                s.running(),
                s.replicas,
                s.image,
                if nodes.is_empty() {
                    "-".to_string()
                } else {
                    nodes.join(", ")
                }
            ));
        }
        Ok(text)
    }
    .await;
    close_all(sessions).await;
    result
}

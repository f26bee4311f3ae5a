//! After a failed health check (docs/operations.md, "A deploy"): the plan
//! of going back to what ran before, by image id, at the scale and with
//! the folder's files that ran before. Pure: no I/O.

use super::deploy_plan::plan_stack;
use super::deploy_plan::StackDeploy;
use super::node_plan::StackPlan;
use super::node_state::Running;
use crate::inventory::{profile_scale, Project, Stack};

/// Where a failed deploy goes back to.
#[derive(Debug, Clone)]
pub struct BackPlan {
    /// The deploy of what ran before.
    pub deploy: StackDeploy,
    /// The tag that ran before.
    pub tag: String,
    /// (image id, reference at `tag`) per app image.
    pub retag: Vec<(String, String)>,
}

/// The way back for a stack of `node`; `None` if no app image ran before.
pub fn back_plan(project: &Project, node: &str, plan: &StackPlan) -> Option<BackPlan> {
    let stack = &project.stacks[&plan.deploy.stack];
    let (tag, retag) = previous_images(project, stack, &plan.before)?;
    // Back at the scale that ran before too: replicas this deploy added go.
    let scale = scale_that_ran(stack, &plan.before);
    let inv = &project.inventory;
    let mut deploy = plan_stack(
        inv,
        &inv.nodes[node],
        stack,
        plan.selected.as_deref(),
        &tag,
        scale,
    );
    // Back to the folder's files that ran before too, recreating the
    // services that read one that differs.
    deploy.back_version = plan.deploy.back_version.clone();
    deploy.recreate = plan.deploy.recreate.clone();
    Some(BackPlan { deploy, tag, retag })
}

/// The scale a stack ran at, from the services that ran: the highest
/// scale-N profile among them (1 if none).
pub fn scale_that_ran(stack: &Stack, before: &Running) -> u32 {
    before
        .keys()
        .filter_map(|service| stack.compose.services.get(service))
        .map(|s| {
            s.profiles
                .iter()
                .filter_map(|p| profile_scale(p))
                .min()
                .unwrap_or(1)
        })
        .max()
        .unwrap_or(1)
        .min(stack.max_scale)
}

/// The tag to go back to and (image id, reference) per app image, from
/// what ran before; `None` if no app image ran before.
fn previous_images(
    project: &Project,
    stack: &Stack,
    before: &Running,
) -> Option<(String, Vec<(String, String)>)> {
    let prefix = project.inventory.registry.prefix();
    let mut tag = None;
    let mut retag = Vec::new();
    // Only services whose image is tagged IMAGE_TAG tell the previous tag:
    // another service may run the same repository under a fixed tag (the
    // reference's db runs ktrdr-backend:lab-db), and must not be taken for it.
    let tagged = |service: &str| {
        stack
            .compose
            .services
            .get(service)
            .is_some_and(|s| s.image.contains("IMAGE_TAG"))
    };
    for image in &stack.images {
        let base = format!("{prefix}/{image}:");
        let previous = before
            .iter()
            .filter(|(service, _)| tagged(service))
            .map(|(_, v)| v)
            .find(|(_, reference)| reference.starts_with(&base))?;
        let old_tag = previous.1[base.len()..].to_string();
        retag.push((previous.0.clone(), format!("{base}{old_tag}")));
        tag.get_or_insert(old_tag);
    }
    Some((tag?, retag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::node_plan::tests::{lab, plan_of, running};

    #[test]
    fn back_to_the_tag_and_scale_that_ran_before() {
        let p = lab();
        let before = running(&[
            ("backtest-worker-1", "10.77.0.1:5000/lab/ktrdr-backend:old"),
            ("backtest-worker-2", "10.77.0.1:5000/lab/ktrdr-backend:old"),
            ("training-worker-1", "10.77.0.1:5000/lab/ktrdr-backend:old"),
            ("training-worker-2", "10.77.0.1:5000/lab/ktrdr-backend:old"),
        ]);
        assert_eq!(scale_that_ran(&p.stacks["workers"], &before), 2);
        let mut plan = plan_of(&p, "node-b", "workers", Some(3));
        plan.before = before;
        let back = back_plan(&p, "node-b", &plan).unwrap();
        assert_eq!(back.tag, "old");
        assert_eq!(back.deploy.scale, 2);
        assert_eq!(
            back.deploy.remove,
            ["backtest-worker-3", "training-worker-3"]
        );
        assert_eq!(
            back.retag,
            [(
                "sha256:backtest-worker-1".to_string(),
                "10.77.0.1:5000/lab/ktrdr-backend:old".to_string()
            )]
        );
        plan.before.clear();
        assert!(
            back_plan(&p, "node-b", &plan).is_none(),
            "nothing ran before"
        );
    }
}

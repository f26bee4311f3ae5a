//! What `deploy --dry-run` says of a swarm stack (docs/swarm.md): the
//! nodes it prepares, the command the manager runs and the file it reads,
//! with images by tag (their digests are known only after the pull).
//! Contacts nothing; secrets by name only.

use std::collections::BTreeMap;

use super::deploy_plan::plan_stack;
use super::swarm_plan::{deploy_file, service_images, ServiceDeploy, SwarmTarget};
use crate::inventory::Project;

/// The text and the JSON of one swarm stack's dry run.
pub fn swarm_dry_run(
    project: &Project,
    target: &SwarmTarget,
    tag: &str,
    scale: Option<u32>,
) -> (String, serde_json::Value) {
    let inv = &project.inventory;
    let stack = &project.stacks[&target.stack];
    let first = &inv.nodes[&target.nodes[0]];
    let plan = plan_stack(inv, first, stack, None, tag, 1);
    let mut env = plan.env.clone();
    env.remove("HOMECTL_NODE");
    let mut text = format!(
        "\n## swarm stack {}: once, through a manager among {} (found with `docker info` at run time)\n",
        stack.name,
        target.nodes.join(", ")
    );
    let images = match service_images(project, &stack.name, &env) {
        Ok(images) => images,
        Err(e) => {
            text.push_str(&format!("# cannot plan: {e}\n"));
            return (text, serde_json::json!({ "stack": stack.name, "error": e }));
        }
    };
    let mut refs: Vec<&String> = images.values().collect();
    refs.sort();
    refs.dedup();
    let services: BTreeMap<String, ServiceDeploy> = images
        .iter()
        .map(|(name, image)| {
            let replicas = scale.filter(|_| stack.scale_services.contains(name));
            (
                name.clone(),
                ServiceDeploy {
                    image: image.clone(),
                    replicas,
                },
            )
        })
        .collect();
    let file = deploy_file(&stack.compose.document, &services, &stack.before_up)
        .unwrap_or_else(|e| format!("# {e}\n"));
    let secrets: Vec<&String> = plan.secrets.keys().collect();
    let picked = |service: &str| {
        target
            .services
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == service))
    };
    let hooks: Vec<String> = stack
        .before_up
        .iter()
        .filter(|h| picked(&h.service))
        .map(|h| format!("{}: {}", h.service, h.command.join(" ")))
        .collect();
    let hook_lines: String = hooks
        .iter()
        .map(|h| format!("# hook on the manager, before the stack deploy (a one-off container of the service on the stack's networks): {h}\n"))
        .collect();
    let selected = target
        .services
        .as_ref()
        .map_or("every service".to_string(), |s| s.join(", "));
    text.push_str(&format!(
        "# prepare on {nodes}: lock, throw-away registry login on a tmpfs, pull {refs} (by tag on the manager, then by digest on the others)\n\
         # apply on the manager: {selected}; images pinned by digest; replicas of {scaled}: {replicas}\n\
         # env: {env}; secrets (values from stdin): {secrets}\n\
         {hook_lines}\
         docker stack deploy --resolve-image never -c \"$HOMECTL_STATE/swarm/{project}/compose.yml\" {project}\n\
         # the file (each image becomes REPOSITORY@sha256:... after the pull):\n{file}",
        nodes = target.nodes.join(", "),
        refs = refs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" "),
        scaled = if stack.scale_services.is_empty() { "-".to_string() } else { stack.scale_services.join(", ") },
        replicas = scale.map_or("as running now, else the file's".to_string(), |n| n.to_string()),
        env = env.keys().cloned().collect::<Vec<_>>().join(", "),
        secrets = if secrets.is_empty() { "-".to_string() } else { secrets.iter().map(|s| format!("{s}=***")).collect::<Vec<_>>().join(", ") },
        project = plan.project,
    ));
    let json = serde_json::json!({
        "stack": stack.name, "engine": "swarm", "nodes": target.nodes, "services": target.services,
        "pull": refs, "scale": scale, "secrets": secrets, "hooks": hooks, "file": file,
    });
    (text, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dry_run_names_nodes_command_and_file_and_no_secret_value() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let project =
            crate::inventory::load(&root.join("inventory/lab-swarm.toml")).expect("loads");
        let target = SwarmTarget {
            stack: "swarm-workers".into(),
            services: None,
            nodes: vec!["node-a".into(), "node-b".into(), "node-c".into()],
        };
        let (text, json) = swarm_dry_run(&project, &target, "abc123", Some(5));
        insta::assert_snapshot!(text);
        assert_eq!(json["nodes"][2], "node-c");
        assert!(text.contains("KTRDR_API_KEY=***"));
    }
}

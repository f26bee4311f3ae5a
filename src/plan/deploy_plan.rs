//! What a deploy does to one stack on one node at a given scale: which
//! profiles are on, which services start, which replicas go, which hooks
//! run, what the compose process's environment holds. Pure: no I/O.

use std::collections::BTreeMap;

use super::environment::merged_env;
use crate::inventory::image_ref::interpolate;
use crate::inventory::{profile_scale, Hook, Inventory, Node, Stack};
use crate::secrets::SecretRef;

#[derive(Debug, Clone, Default)]
pub struct StackDeploy {
    pub stack: String,
    /// The compose project: `<inventory name>-<stack>`.
    pub project: String,
    pub scale: u32,
    /// `--profile scale-2 ... --profile scale-N`, as separate arguments.
    pub profiles: Vec<String>,
    /// The services this deploy starts (all of them must end up running).
    pub services: Vec<String>,
    /// Services of this selection above the scale, to stop and remove.
    pub remove: Vec<String>,
    /// Extra `up -d` arguments: none for a whole stack, else `--no-deps`
    /// and the services, so the stack's other services keep their containers.
    pub up_args: Vec<String>,
    pub hooks: Vec<Hook>,
    /// `server/namespace/name:tag` of each app image.
    pub image_refs: Vec<String>,
    /// The images of the services to deploy, when homectl can tell them
    /// for sure (see `image_ref`): pulled with `docker pull`, else by Compose.
    pub pull_refs: Option<Vec<String>>,
    /// Plain variables of the compose process (no secrets).
    pub env: BTreeMap<String, String>,
    /// Secret variables of the compose process, by reference.
    pub secrets: BTreeMap<String, SecretRef>,
    /// The version of the stack's folder this deploy puts in use.
    pub version: String,
    /// The compose file and its override, by name in the folder.
    pub compose_files: Vec<String>,
    /// The version in use on the node before this deploy (empty: none);
    /// set once the node's state is known: a failed deploy goes back to it.
    pub back_version: String,
    /// Services that read a file of the folder that changed: recreated
    /// (Compose does not notice); set once the node's state is known.
    pub recreate: Vec<String>,
}

/// The deploy of `stack` on `node` at `scale`; `selected` narrows it to
/// some services (a service-level deploy).
pub fn plan_stack(
    inventory: &Inventory,
    node: &Node,
    stack: &Stack,
    selected: Option<&[String]>,
    tag: &str,
    scale: u32,
) -> StackDeploy {
    let in_selection = |service: &str| selected.is_none_or(|s| s.iter().any(|x| x == service));
    let active = stack.compose.services_at_scale(scale);
    let services: Vec<String> = active
        .iter()
        .filter(|s| in_selection(s))
        .map(|s| s.to_string())
        .collect();
    let remove: Vec<String> = stack
        .compose
        .services
        .iter()
        .filter(|(name, s)| {
            in_selection(name)
                && s.profiles
                    .iter()
                    .filter_map(|p| profile_scale(p))
                    .min()
                    .is_some_and(|n| n > scale)
        })
        .map(|(name, _)| name.clone())
        .collect();
    let up_args = match selected {
        None => Vec::new(),
        Some(_) => std::iter::once("--no-deps".to_string())
            .chain(services.iter().cloned())
            .collect(),
    };
    let env: BTreeMap<String, String> = merged_env(inventory, node, stack, tag)
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect();
    let pull_refs = services
        .iter()
        .map(|name| {
            stack
                .compose
                .services
                .get(name)
                .filter(|s| !s.compose_pull)
                .and_then(|s| interpolate(&s.image, &env))
        })
        .collect::<Option<std::collections::BTreeSet<String>>>()
        .map(|refs| refs.into_iter().collect());
    StackDeploy {
        stack: stack.name.clone(),
        project: inventory.project_name(&stack.name),
        scale,
        profiles: (2..=scale)
            .flat_map(|n| ["--profile".to_string(), format!("scale-{n}")])
            .collect(),
        hooks: stack
            .before_up
            .iter()
            .filter(|h| services.contains(&h.service))
            .cloned()
            .collect(),
        image_refs: stack
            .images
            .iter()
            .map(|i| format!("{}/{i}:{tag}", inventory.registry.prefix()))
            .collect(),
        pull_refs,
        services,
        remove,
        up_args,
        env,
        secrets: stack.secrets.clone(),
        version: stack.folder.version.clone(),
        compose_files: std::iter::once(stack.compose.file_name.clone())
            .chain(stack.compose.override_name.clone())
            .collect(),
        back_version: String::new(),
        recreate: Vec::new(),
    }
}

/// Orphaned services of a whole-stack deploy (docs/operations.md,
/// "Orphaned services"): services of the stack's compose project that have
/// containers on the node (`(project, service)` pairs, in any state) but are
/// no longer in its compose file. Services of inactive `scale-N` profiles
/// are in the file, so they are never orphans; they go by `remove`. Sorted,
/// each once.
pub fn orphans<'a>(
    stack: &Stack,
    project: &str,
    containers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    containers
        .into_iter()
        .filter(|(p, service)| {
            *p == project && !service.is_empty() && !stack.compose.services.contains_key(*service)
        })
        .map(|(_, service)| service.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orphans_are_the_projects_services_no_longer_in_the_file() {
        let p = lab();
        let workers = &p.stacks["workers"];
        let found = orphans(
            workers,
            "ktrdr-workers",
            [
                ("ktrdr-workers", "backtest-worker-1"),
                // A replica of an inactive profile is in the file: no orphan.
                ("ktrdr-workers", "training-worker-3"),
                ("ktrdr-workers", "old-worker"),
                ("ktrdr-workers", "old-worker"),
                ("ktrdr-workers", "another-gone"),
                ("ktrdr-workers", ""),
                // Another project's services are not this stack's.
                ("ktrdr-core", "db"),
                ("handmade", "web"),
            ],
        );
        assert_eq!(found, ["another-gone", "old-worker"]);
        assert!(orphans(workers, "ktrdr-workers", []).is_empty());
    }

    fn lab() -> crate::inventory::Project {
        crate::inventory::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
        )
        .unwrap()
    }

    fn plan(node: &str, stack: &str, selected: Option<&[&str]>, scale: u32) -> StackDeploy {
        let p = lab();
        let selected: Option<Vec<String>> =
            selected.map(|s| s.iter().map(|x| x.to_string()).collect());
        plan_stack(
            &p.inventory,
            &p.inventory.nodes[node],
            &p.stacks[stack],
            selected.as_deref(),
            "abc1234",
            scale,
        )
    }

    #[test]
    fn scale_two_turns_on_its_profile_and_removes_the_third_replicas() {
        let d = plan("node-b", "workers", None, 2);
        assert_eq!(d.project, "ktrdr-workers");
        assert_eq!(d.profiles, ["--profile", "scale-2"]);
        assert_eq!(
            d.services,
            [
                "backtest-worker-1",
                "backtest-worker-2",
                "training-worker-1",
                "training-worker-2"
            ]
        );
        assert_eq!(d.remove, ["backtest-worker-3", "training-worker-3"]);
        assert!(d.up_args.is_empty());
    }

    #[test]
    fn scale_one_removes_every_extra_replica() {
        let d = plan("node-c", "workers", None, 1);
        assert!(d.profiles.is_empty());
        assert_eq!(d.services, ["backtest-worker-1", "training-worker-1"]);
        assert_eq!(d.remove.len(), 4);
    }

    #[test]
    fn a_service_level_deploy_touches_only_that_service() {
        let d = plan("node-a", "core", Some(&["backend"]), 1);
        assert_eq!(d.services, ["backend"]);
        assert_eq!(d.up_args, ["--no-deps", "backend"]);
        assert_eq!(d.hooks.len(), 1, "the backend's migration hook runs");
        let db_only = plan("node-a", "core", Some(&["db"]), 1);
        assert!(
            db_only.hooks.is_empty(),
            "a hook of another service does not run"
        );
    }

    #[test]
    fn the_environment_has_registry_tag_node_and_the_node_wins() {
        let d = plan("node-b", "workers", None, 1);
        assert_eq!(d.env["REGISTRY"], "10.77.0.1:5000/lab");
        assert_eq!(d.env["IMAGE_TAG"], "abc1234");
        assert_eq!(d.env["HOMECTL_NODE"], "node-b");
        assert_eq!(
            d.env["WORKER_PUBLIC_BASE_URL"],
            "http://workers-b.lab.home.arpa:5003"
        );
        assert_eq!(d.image_refs, ["10.77.0.1:5000/lab/ktrdr-backend:abc1234"]);
        assert!(d.secrets.contains_key("KTRDR_API_KEY"));
        assert_eq!(
            d.pull_refs,
            Some(vec!["10.77.0.1:5000/lab/ktrdr-backend:abc1234".to_string()]),
            "pulled without Compose"
        );
    }
}

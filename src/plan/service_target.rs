//! Which stack and service of one node a command on one container means
//! (`homectl exec` and `run`: `NODE [stack:S] SERVICE`; docs/operations.md,
//! "A command in a container").

use crate::error::{Error, Result};
use crate::inventory::Project;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTarget {
    pub node: String,
    pub stack: String,
    pub service: String,
}

/// Resolves `NODE [stack:S] SERVICE` (`words` are what follows NODE).
pub fn resolve_service(project: &Project, node: &str, words: &[String]) -> Result<ServiceTarget> {
    let inv = &project.inventory;
    let Some(node) = inv.nodes.get(node) else {
        return Err(Error::usage(format!(
            "no node named `{node}` (nodes: {})",
            inv.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    };
    let (stack, service) = match words {
        [service] => (None, service),
        [stack, service] => match stack.strip_prefix("stack:") {
            Some(stack) => (Some(stack), service),
            None => {
                return Err(Error::usage(format!(
                    "expected `[stack:S] SERVICE`, got `{stack} {service}`"
                )))
            }
        },
        _ => return Err(Error::usage("expected `NODE [stack:S] SERVICE -- CMD...`")),
    };
    if let Some(stack) = stack {
        if !node.stacks.iter().any(|s| s == stack) {
            return Err(Error::usage(format!(
                "no stack `{stack}` on {} (stacks: {})",
                node.name,
                node.stacks.join(", ")
            )));
        }
    }
    let defining: Vec<&String> = node
        .stacks
        .iter()
        .filter(|s| stack.is_none_or(|want| want == s.as_str()))
        .filter(|s| project.stacks[*s].compose.services.contains_key(service))
        .collect();
    match defining.as_slice() {
        [one] => Ok(ServiceTarget {
            node: node.name.clone(),
            stack: (*one).clone(),
            service: service.clone(),
        }),
        [] => {
            let known: Vec<String> = node
                .stacks
                .iter()
                .filter(|s| stack.is_none_or(|want| want == s.as_str()))
                .flat_map(|s| project.stacks[s].compose.services.keys().cloned())
                .collect();
            Err(Error::usage(format!(
                "no service `{service}` on {} (services: {})",
                node.name,
                known.join(", ")
            )))
        }
        several => Err(Error::usage(format!(
            "stacks {} of {} both define `{service}`: say which with `stack:{}` or `stack:{}`",
            several
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" and "),
            node.name,
            several[0],
            several[1]
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Project {
        crate::inventory::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
        )
        .unwrap()
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_service_names_its_stack() {
        let t = resolve_service(&lab(), "node-a", &words(&["backend"])).unwrap();
        assert_eq!(
            t,
            ServiceTarget {
                node: "node-a".into(),
                stack: "core".into(),
                service: "backend".into()
            }
        );
        let t = resolve_service(
            &lab(),
            "node-b",
            &words(&["stack:workers", "backtest-worker-2"]),
        )
        .unwrap();
        assert_eq!(t.stack, "workers");
    }

    #[test]
    fn unknown_names_are_usage_errors_that_list_what_there_is() {
        let p = lab();
        for (node, w, says) in [
            ("node-z", vec!["backend"], "no node named `node-z`"),
            (
                "node-a",
                vec!["nope"],
                "no service `nope` on node-a (services: backend, db)",
            ),
            (
                "node-a",
                vec!["stack:workers", "backend"],
                "no stack `workers` on node-a",
            ),
            (
                "node-a",
                vec!["core", "backend"],
                "expected `[stack:S] SERVICE`",
            ),
            ("node-a", vec![], "expected `NODE [stack:S] SERVICE"),
        ] {
            let e = resolve_service(&p, node, &words(&w)).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn a_service_in_two_stacks_of_the_node_needs_its_stack() {
        // `check` refuses this layout; a project built around it still
        // gets a clear answer.
        let mut p = lab();
        let mut other = p.stacks["core"].clone();
        other.name = "extra".into();
        p.stacks.insert("extra".into(), other);
        p.inventory
            .nodes
            .get_mut("node-a")
            .unwrap()
            .stacks
            .push("extra".into());
        let e = resolve_service(&p, "node-a", &words(&["backend"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("`core` and `extra`") && e.to_string().contains("stack:core"),
            "{e}"
        );
        let t = resolve_service(&p, "node-a", &words(&["stack:extra", "backend"])).unwrap();
        assert_eq!(t.stack, "extra");
    }
}

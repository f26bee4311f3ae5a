//! Which nodes, stacks and services a command acts on (docs/operations.md,
//! "Selection"). TARGET picks nodes; each NAME narrows within them as a
//! node, a stack or a service. Names of one kind add up; kinds narrow each
//! other. One implementation for every command.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::inventory::Project;
use crate::secrets::SecretRef;

/// What a command acts on, node by node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub nodes: Vec<SelectedNode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedNode {
    pub node: String,
    pub stacks: Vec<SelectedStack>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedStack {
    pub stack: String,
    /// `None`: the whole stack. `Some`: only these services.
    pub services: Option<Vec<String>>,
}

impl Selection {
    /// Every secret reference the selected stacks need, and the registry
    /// password: what a command resolves, once, before touching a node.
    pub fn secret_references(&self, project: &Project) -> BTreeSet<SecretRef> {
        let mut refs = BTreeSet::from([project.inventory.registry.password.clone()]);
        for node in &self.nodes {
            for stack in &node.stacks {
                refs.extend(project.stacks[&stack.stack].secrets.values().cloned());
            }
        }
        refs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Stack,
    Service,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Stack => "stack",
            Kind::Service => "service",
        }
    }
}

/// Resolves `TARGET [NAME...]`. A missing TARGET means `all`.
pub fn select(project: &Project, target: Option<&str>, names: &[String]) -> Result<Selection> {
    let picked = pick_nodes(project, target.unwrap_or("all"))?;

    let mut nodes = BTreeSet::new();
    let mut stacks = BTreeSet::new();
    let mut services = BTreeSet::new();
    for name in names {
        let (kind, value) = classify(project, &picked, name)?;
        match kind {
            Kind::Node => nodes.insert(value),
            Kind::Stack => stacks.insert(value),
            Kind::Service => services.insert(value),
        };
    }

    let mut selection = Vec::new();
    for node_name in &picked {
        if !nodes.is_empty() && !nodes.contains(node_name) {
            continue;
        }
        let node = &project.inventory.nodes[node_name];
        let mut chosen = Vec::new();
        for stack_name in &node.stacks {
            if !stacks.is_empty() && !stacks.contains(stack_name) {
                continue;
            }
            if services.is_empty() {
                chosen.push(SelectedStack {
                    stack: stack_name.clone(),
                    services: None,
                });
                continue;
            }
            let in_stack: Vec<String> = project.stacks[stack_name]
                .compose
                .services
                .keys()
                .filter(|s| services.contains(*s))
                .cloned()
                .collect();
            if !in_stack.is_empty() {
                chosen.push(SelectedStack {
                    stack: stack_name.clone(),
                    services: Some(in_stack),
                });
            }
        }
        // Two stacks of a node may define a service of the same name
        // (Compose keeps them apart by project); a bare name must then say
        // which one it means.
        if stacks.is_empty() {
            for service in &services {
                let defining: Vec<&str> = chosen
                    .iter()
                    .filter(|c| c.services.as_ref().is_some_and(|s| s.contains(service)))
                    .map(|c| c.stack.as_str())
                    .collect();
                if let [first, second, ..] = defining.as_slice() {
                    return Err(Error::usage(format!(
                        "`{service}` is a service of both stacks `{first}` and `{second}` on {node_name}; \
                         write `stack:{first} {service}` or `stack:{second} {service}`"
                    )));
                }
            }
        }
        if !chosen.is_empty() {
            selection.push(SelectedNode {
                node: node_name.clone(),
                stacks: chosen,
            });
        }
    }
    if selection.is_empty() {
        return Err(Error::usage(format!(
            "`{}` matches nothing: no selected node has that combination of stacks and services",
            std::iter::once(target.unwrap_or("all").to_string())
                .chain(names.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    Ok(Selection { nodes: selection })
}

/// TARGET: `all`, a group or a node.
fn pick_nodes(project: &Project, target: &str) -> Result<Vec<String>> {
    let nodes = &project.inventory.nodes;
    if target == "all" {
        return Ok(nodes.keys().cloned().collect());
    }
    let group: Vec<String> = nodes
        .values()
        .filter(|n| n.groups.iter().any(|g| g == target))
        .map(|n| n.name.clone())
        .collect();
    match (nodes.contains_key(target), group.is_empty()) {
        (true, false) => Err(Error::usage(format!(
            "`{target}` is both a node and a group: rename one of them in {}",
            project.inventory.path.display()
        ))),
        (true, true) => Ok(vec![target.to_string()]),
        (false, false) => Ok(group),
        (false, true) => {
            let mut candidates: Vec<&str> = vec!["all"];
            candidates.extend(nodes.keys().map(String::as_str));
            candidates.extend(
                nodes
                    .values()
                    .flat_map(|n| n.groups.iter().map(String::as_str)),
            );
            Err(Error::usage(format!(
                "no node or group named `{target}`{}",
                suggest(target, &candidates)
            )))
        }
    }
}

/// Works out what kind of thing a NAME is, within the picked nodes.
fn classify(project: &Project, picked: &[String], name: &str) -> Result<(Kind, String)> {
    let nodes: BTreeSet<&str> = picked.iter().map(String::as_str).collect();
    let stacks: BTreeSet<&str> = picked
        .iter()
        .flat_map(|n| project.inventory.nodes[n].stacks.iter().map(String::as_str))
        .collect();
    let services: BTreeSet<&str> = stacks
        .iter()
        .flat_map(|s| {
            project.stacks[*s]
                .compose
                .services
                .keys()
                .map(String::as_str)
        })
        .collect();

    let lookup = |kind: Kind, value: &str| match kind {
        Kind::Node => nodes.contains(value),
        Kind::Stack => stacks.contains(value),
        Kind::Service => services.contains(value),
    };

    if let Some((prefix, value)) = name.split_once(':') {
        let kind = match prefix {
            "node" => Kind::Node,
            "stack" => Kind::Stack,
            "service" => Kind::Service,
            other => {
                return Err(Error::usage(format!(
                    "`{other}:` is not a kind: use node:, stack: or service:"
                )))
            }
        };
        if lookup(kind, value) {
            return Ok((kind, value.to_string()));
        }
        let pool: Vec<&str> = match kind {
            Kind::Node => nodes.iter().copied().collect(),
            Kind::Stack => stacks.iter().copied().collect(),
            Kind::Service => services.iter().copied().collect(),
        };
        return Err(Error::usage(format!(
            "no {} named `{value}` in the selected nodes{}",
            kind.label(),
            suggest(value, &pool)
        )));
    }

    let kinds: Vec<Kind> = [Kind::Node, Kind::Stack, Kind::Service]
        .into_iter()
        .filter(|k| lookup(*k, name))
        .collect();
    match kinds.as_slice() {
        [kind] => Ok((*kind, name.to_string())),
        [] => {
            let pool: Vec<&str> = nodes
                .iter()
                .chain(stacks.iter())
                .chain(services.iter())
                .copied()
                .collect();
            Err(Error::usage(format!(
                "no node, stack or service named `{name}` in the selected nodes{}",
                suggest(name, &pool)
            )))
        }
        several => Err(Error::usage(format!(
            "`{name}` is ambiguous: it is a {} here; write {}",
            several
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(" and a "),
            several
                .iter()
                .map(|k| format!("`{}:{name}`", k.label()))
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

/// ", did you mean `x`?" for the closest candidates, or "" if none is close.
fn suggest(name: &str, candidates: &[&str]) -> String {
    let mut scored: Vec<(f64, &str)> = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    let best: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, c)| format!("`{c}`"))
        .collect();
    if best.is_empty() {
        let mut all: Vec<&str> = candidates.to_vec();
        all.sort();
        all.dedup();
        format!(" (known: {})", all.join(", "))
    } else {
        format!("; did you mean {}?", best.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Project {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml");
        crate::inventory::load(&path).expect("the lab inventory loads")
    }

    /// (node, stack, the services it narrows to).
    type Picked = (String, String, Option<Vec<String>>);

    fn sel(target: Option<&str>, names: &[&str]) -> Result<Vec<Picked>> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        Ok(select(&lab(), target, &names)?
            .nodes
            .into_iter()
            .flat_map(|n| {
                n.stacks
                    .into_iter()
                    .map(move |s| (n.node.clone(), s.stack, s.services))
            })
            .collect())
    }

    fn err(target: Option<&str>, names: &[&str]) -> String {
        match sel(target, names) {
            Err(e) => {
                assert_eq!(e.exit_code(), 2);
                e.to_string()
            }
            Ok(s) => panic!("expected an error, got {s:?}"),
        }
    }

    fn row(
        node: &str,
        stack: &str,
        services: Option<&[&str]>,
    ) -> (String, String, Option<Vec<String>>) {
        (
            node.into(),
            stack.into(),
            services.map(|s| s.iter().map(|x| x.to_string()).collect()),
        )
    }

    #[test]
    fn all_and_no_target_pick_every_node() {
        let all = vec![
            row("node-a", "core", None),
            row("node-b", "workers", None),
            row("node-c", "workers", None),
        ];
        assert_eq!(sel(None, &[]).unwrap(), all);
        assert_eq!(sel(Some("all"), &[]).unwrap(), all);
    }

    #[test]
    fn target_is_a_group_or_a_node() {
        assert_eq!(
            sel(Some("workers"), &[]).unwrap(),
            vec![
                row("node-b", "workers", None),
                row("node-c", "workers", None)
            ]
        );
        assert_eq!(
            sel(Some("node-a"), &[]).unwrap(),
            vec![row("node-a", "core", None)]
        );
    }

    #[test]
    fn a_name_narrows_to_a_node() {
        assert_eq!(
            sel(Some("workers"), &["node-b"]).unwrap(),
            vec![row("node-b", "workers", None)]
        );
    }

    #[test]
    fn a_name_narrows_to_a_service() {
        assert_eq!(
            sel(Some("core"), &["backend"]).unwrap(),
            vec![row("node-a", "core", Some(&["backend"]))]
        );
    }

    #[test]
    fn names_of_one_kind_add_up() {
        assert_eq!(
            sel(Some("core"), &["backend", "db"]).unwrap(),
            vec![row("node-a", "core", Some(&["backend", "db"]))]
        );
        assert_eq!(
            sel(Some("workers"), &["node-b", "node-c"]).unwrap().len(),
            2
        );
    }

    #[test]
    fn kinds_narrow_each_other() {
        assert_eq!(
            sel(Some("workers"), &["node-c", "backtest-worker-1"]).unwrap(),
            vec![row("node-c", "workers", Some(&["backtest-worker-1"]))]
        );
    }

    #[test]
    fn a_name_that_is_a_stack_and_a_group_is_fine_as_name() {
        // `workers` is a group and a stack; as a NAME only the stack kind exists.
        assert_eq!(
            sel(Some("all"), &["workers"]).unwrap(),
            vec![
                row("node-b", "workers", None),
                row("node-c", "workers", None)
            ]
        );
        assert_eq!(
            sel(Some("all"), &["stack:core"]).unwrap(),
            vec![row("node-a", "core", None)]
        );
    }

    #[test]
    fn qualified_forms_resolve_ambiguity() {
        assert_eq!(
            sel(None, &["node:node-a"]).unwrap(),
            vec![row("node-a", "core", None)]
        );
        assert_eq!(
            sel(None, &["service:db"]).unwrap(),
            vec![row("node-a", "core", Some(&["db"]))]
        );
        assert!(err(None, &["service:nope"]).contains("no service named `nope`"));
        assert!(err(None, &["pod:x"]).contains("not a kind"));
    }

    #[test]
    fn unknown_names_get_suggestions() {
        assert!(err(Some("wrokers"), &[]).contains("did you mean `workers`"));
        assert!(err(Some("core"), &["backnd"]).contains("did you mean `backend`"));
        assert!(err(Some("zzz"), &[]).contains("no node or group named `zzz`"));
    }

    #[test]
    fn a_name_outside_the_target_is_unknown() {
        // backend runs on node-a only: within the workers it does not exist.
        assert!(err(Some("workers"), &["backend"])
            .contains("no node, stack or service named `backend`"));
    }

    #[test]
    fn an_empty_combination_is_an_error() {
        assert!(err(None, &["node-b", "backend"]).contains("matches nothing"));
    }

    #[test]
    fn a_service_of_two_stacks_of_one_node_needs_its_stack() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/valid/same-service-in-two-stacks/inventory.toml");
        let project = crate::inventory::load(&path).expect("loads");
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = select(&project, None, &names(&["web"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(
            text.contains("stack:app web") && text.contains("stack:site web"),
            "{text}"
        );
        let picked = select(&project, None, &names(&["stack:site", "web"])).unwrap();
        assert_eq!(picked.nodes[0].stacks.len(), 1);
        assert_eq!(picked.nodes[0].stacks[0].stack, "site");
        assert_eq!(
            picked.nodes[0].stacks[0].services.as_deref(),
            Some(&["web".to_string()][..])
        );
    }

    #[test]
    fn ambiguous_names_ask_for_the_qualified_form() {
        let mut project = lab();
        // Make `db` also a node name.
        let mut node = project.inventory.nodes["node-a"].clone();
        node.name = "db".into();
        project.inventory.nodes.insert("db".into(), node);
        let e = select(&project, None, &["db".to_string()]).unwrap_err();
        assert!(e.to_string().contains("`node:db` or `service:db`"), "{e}");
    }
}

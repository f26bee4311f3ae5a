//! Which node of a swarm stack is a manager, and whether the nodes the
//! inventory lists are exactly one Swarm (docs/swarm.md, "Finding the
//! manager"), from what each node says of its Swarm.

/// What `swarm_info.sh` said on one node (remote/steps/swarm_info.rs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmInfo {
    /// `active`, `inactive`, `pending`, `error`, `locked`.
    pub state: String,
    pub manager: bool,
    pub node_id: String,
    /// On a manager: (node id, hostname, status) of every member.
    pub members: Vec<(String, String, String)>,
}

/// The manager to deploy through (the first listed that is one), after
/// checking that every listed node is in its Swarm and every member of
/// that Swarm is listed. Errors name the nodes.
pub fn find_manager(stack: &str, infos: &[(String, SwarmInfo)]) -> Result<String, String> {
    let names = || {
        infos
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((manager, m)) = infos.iter().find(|(_, i)| i.state == "active" && i.manager) else {
        return Err(format!(
            "stack {stack}: none of its nodes ({}) is a Swarm manager (`docker info`: {}); form a Swarm (`docker swarm init` on one, `docker swarm join` on the others) or list a manager with the stack",
            names(),
            infos.iter().map(|(n, i)| format!("{n} {}", if i.state.is_empty() { "?" } else { &i.state })).collect::<Vec<_>>().join(", ")
        ));
    };
    let outside: Vec<&str> = infos
        .iter()
        .filter(|(_, i)| {
            i.state != "active" || !m.members.iter().any(|(id, _, _)| *id == i.node_id)
        })
        .map(|(n, _)| n.as_str())
        .collect();
    if !outside.is_empty() {
        return Err(format!(
            "stack {stack}: its nodes are not one Swarm: {} not in the Swarm of the manager {manager}",
            outside.join(", ")
        ));
    }
    let unlisted: Vec<&str> = m
        .members
        .iter()
        .filter(|(id, _, _)| !infos.iter().any(|(_, i)| i.node_id == *id))
        .map(|(_, host, _)| host.as_str())
        .collect();
    if !unlisted.is_empty() {
        return Err(format!(
            "stack {stack}: the Swarm of {manager} has nodes the inventory does not list with the stack: {} (tasks may land there, and each node must be pre-pulled): add them to the inventory with the stack",
            unlisted.join(", ")
        ));
    }
    Ok(manager.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `state manager id` words, then the members' ids.
    fn info(words: &str, members: &[&str]) -> SwarmInfo {
        let w: Vec<&str> = words.split(' ').collect();
        SwarmInfo {
            state: w[0].into(),
            manager: w[1] == "true",
            node_id: w[2].into(),
            members: members
                .iter()
                .map(|id| {
                    (
                        id.to_string(),
                        format!("node-{}", &id[2..].to_lowercase()),
                        "Ready".into(),
                    )
                })
                .collect(),
        }
    }

    fn manager() -> SwarmInfo {
        info("active true idA", &["idA", "idB"])
    }

    #[test]
    fn parses_and_finds_the_manager() {
        let a = manager();
        let nodes = vec![
            ("node-b".to_string(), info("active false idB", &[])),
            ("node-a".to_string(), a),
        ];
        assert_eq!(find_manager("w", &nodes), Ok("node-a".to_string()));
    }

    #[test]
    fn refuses_no_manager_other_swarms_and_unlisted_members() {
        let none = vec![("node-b".to_string(), info("inactive false ", &[]))];
        let e = find_manager("w", &none).unwrap_err();
        assert!(e.contains("node-b inactive"), "{e}");
        let other = vec![
            ("node-a".to_string(), manager()),
            ("node-b".to_string(), info("active false idB", &[])),
            ("node-c".to_string(), info("active false idX", &[])),
        ];
        let e = find_manager("w", &other).unwrap_err();
        assert!(e.contains("node-c not in the Swarm"), "{e}");
        let unlisted = vec![("node-a".to_string(), manager())];
        let e = find_manager("w", &unlisted).unwrap_err();
        assert!(e.contains("does not list with the stack: node-b"), "{e}");
    }
}

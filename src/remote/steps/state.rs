//! `scripts/state.sh`: what runs on the node for the stacks of a deploy,
//! its history, its stacks' folders and its Compose.

use std::collections::BTreeMap;

use super::lib::LIB;
use super::{history, lines_of, StepInput};
use crate::plan::folder_changes::NodeFolder;
pub use crate::plan::node_state::NodeState;
use crate::plan::unchanged::Container;
use crate::remote::step::Step;

const STATE: &str = include_str!("../scripts/state.sh");

/// The state of the compose `projects` and of the `stacks`' folders.
pub fn step(projects: &[String], stacks: &[String]) -> Step {
    StepInput::new("state")
        .code(LIB)
        .list("HC_PROJECTS", projects)
        .list("HC_STACKS", stacks)
        .step(STATE)
}

pub fn parse(output: &str) -> NodeState {
    NodeState {
        containers: containers(output),
        history: history::parse(output),
        folders: folders(output),
        compose: compose(output),
    }
}

/// The node's Compose command (`COMPOSE ...` line): only the two known
/// commands, nothing else reaches a later step's script.
fn compose(output: &str) -> Option<String> {
    lines_of(output, "COMPOSE")
        .map(str::trim)
        .find(|c| *c == "docker compose" || *c == "docker-compose")
        .map(str::to_string)
}

/// The `RUNNING project service container image_id state image_ref
/// config_hash state_json` lines.
fn containers(output: &str) -> Vec<Container> {
    lines_of(output, "RUNNING")
        .filter_map(|line| match line.splitn(8, ' ').collect::<Vec<_>>().as_slice() {
            [project, service, container, image_id, state, image_ref, config_hash, state_json] => {
                Some(Container {
                    project: project.to_string(),
                    service: service.to_string(),
                    id: container.to_string(),
                    image_id: image_id.to_string(),
                    state: state.to_string(),
                    image_ref: image_ref.to_string(),
                    health: serde_json::from_str::<serde_json::Value>(state_json)
                        .ok()
                        .and_then(|s| {
                            s.pointer("/Health/Status")
                                .and_then(|h| h.as_str())
                                .map(str::to_string)
                        })
                        .unwrap_or_default(),
                    config_hash: if *config_hash == "-" {
                        String::new()
                    } else {
                        config_hash.to_string()
                    },
                })
            }
            _ => None,
        })
        .collect()
}

/// Each stack's folder from the `INUSE`, `VERSION` and `MANIFEST` lines.
pub(crate) fn folders(state: &str) -> BTreeMap<String, NodeFolder> {
    let mut out: BTreeMap<String, NodeFolder> = BTreeMap::new();
    for line in state.lines() {
        if let Some(rest) = line.strip_prefix("INUSE ") {
            let (stack, version) = rest.split_once(' ').unwrap_or((rest, ""));
            out.entry(stack.to_string()).or_default().in_use = version.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("VERSION ") {
            if let Some((stack, version)) = rest.split_once(' ') {
                out.entry(stack.to_string())
                    .or_default()
                    .versions
                    .insert(version.trim().to_string());
            }
        } else if let Some(rest) = line.strip_prefix("MANIFEST ") {
            // STACK SHA MODE PATH (the path may hold spaces).
            let mut parts = rest.splitn(4, ' ');
            if let (Some(stack), Some(sha), Some(_mode), Some(path)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                out.entry(stack.to_string())
                    .or_default()
                    .files
                    .insert(path.to_string(), sha.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_steps_answers_beside_the_state_are_no_state() {
        let out = "HAS sha256:a r/web@sha256:d\nNAMES r/web:t sha256:d\nURL web ok\n\
                   RUNNING p web c1 sha256:i1 running r/web:t h1 {}\nREGISTRY fail no\n";
        let s = parse(out);
        assert_eq!(s.containers.len(), 1);
        assert!(s.history.is_empty() && s.compose.is_none());
    }

    #[test]
    fn the_state_steps_lines_become_the_nodes_state() {
        let out =
            "RUNNING p web c1 sha256:i1 running r/web:t h1 {\"Health\":{\"Status\":\"healthy\"}}\n\
                   RUNNING p old c2 sha256:i2 exited r/old:t - {}\n\
                   RUNNING short line\n\
                   INUSE web v1\nVERSION web v1\nMANIFEST web abc 0 conf/a b.txt\n\
                   COMPOSE docker compose\n";
        let s = parse(out);
        assert_eq!(s.containers.len(), 2);
        assert_eq!(s.containers[0].id, "c1");
        assert_eq!(s.containers[0].health, "healthy");
        assert_eq!(s.containers[1].config_hash, "");
        assert_eq!(
            s.running("p"),
            crate::plan::node_state::Running::from([(
                "web".to_string(),
                ("sha256:i1".to_string(), "r/web:t".to_string())
            )])
        );
        assert_eq!(s.folder("web").in_use, "v1");
        assert_eq!(s.folder("web").files["conf/a b.txt"], "abc");
        assert_eq!(s.compose.as_deref(), Some("docker compose"));
        assert!(parse("COMPOSE rm -rf /").compose.is_none());
    }

    #[test]
    fn the_state_step_tells_the_nodes_compose() {
        let compose = |out: &str| parse(out).compose;
        assert_eq!(
            compose("RUNNING a b c d e f\nCOMPOSE docker-compose\n").as_deref(),
            Some("docker-compose")
        );
        assert_eq!(
            compose("COMPOSE docker compose").as_deref(),
            Some("docker compose")
        );
        assert_eq!(compose("HISTORY {}\n"), None);
        // Only the two known commands: nothing else reaches a script.
        assert_eq!(compose("COMPOSE rm -rf /"), None);
    }

    #[test]
    fn the_state_lines_give_each_stacks_folder() {
        let state = "RUNNING x\nINUSE web v1\nVERSION web v0\nVERSION web v1\n\
                     MANIFEST web aa 0 conf/index.html\nMANIFEST web bb 1 my file.sh\nINUSE db \n";
        let folders = parse(state).folders;
        assert_eq!(folders["web"].in_use, "v1");
        assert_eq!(folders["web"].versions.len(), 2);
        assert_eq!(folders["web"].files["my file.sh"], "bb");
        assert_eq!(folders["db"], NodeFolder::default());
    }

    #[test]
    fn a_state_output_becomes_the_nodes_state() {
        let out = "RUNNING lab-core backend c1 sha256:1 running reg/lab/app:t1 h1 {\"Status\":\"running\",\"Health\":{\"Status\":\"healthy\"}}\n\
                   RUNNING lab-core db c2 sha256:2 exited postgres:16 - {\"Status\":\"exited\"}\n\
                   RUNNING too few\n\
                   HISTORY {\"time\":\"2026-01-01T00:00:00Z\",\"operator\":\"o\",\"node\":\"node-a\",\"stack\":\"core\",\"kind\":\"deploy\",\"services\":[],\"tag\":\"t1\",\"scale\":1,\"result\":\"ok\",\"detail\":\"\",\"duration_ms\":5}\n\
                   HISTORY not json\n\
                   INUSE core v1\nVERSION core v1\nMANIFEST core aa 0 compose.yml\n\
                   COMPOSE docker compose\n";
        insta::assert_debug_snapshot!(parse(out));
    }
}

//! `scripts/swarm_ended.sh`: the stopped containers of a swarm stack's
//! ended tasks on a node, which `prune` removes so that their images can
//! go (docs/swarm.md, "prune").

use std::collections::BTreeSet;

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const SWARM_ENDED: &str = include_str!("../scripts/swarm_ended.sh");

/// `names`: Swarm service names (`PROJECT_SERVICE`); `remove`: remove the
/// containers (else only list them, for a dry run).
pub fn step(names: &[String], remove: bool) -> Step {
    StepInput::new("ended tasks")
        .list("HC_NAMES", names)
        .var("HC_REMOVE", if remove { "1" } else { "0" })
        .step(SWARM_ENDED)
}

/// The image ids that only ended tasks' containers hold (listed, or just
/// removed): no container uses them once those are gone.
pub fn freed_images(output: &str) -> BTreeSet<String> {
    let live: BTreeSet<&str> = lines_of(output, "LIVE").map(str::trim).collect();
    lines_of(output, "ENDED")
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|image| !live.contains(image))
        .map(str::to_string)
        .collect()
}

/// How many containers the step removed.
pub fn removed(output: &str) -> usize {
    lines_of(output, "REMOVED-TASK").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_another_container_holds_is_not_freed() {
        let out = "ENDED c1 sha256:old\nENDED c2 sha256:mid\nLIVE sha256:mid\nLIVE sha256:new\n";
        assert_eq!(
            freed_images(out).into_iter().collect::<Vec<_>>(),
            ["sha256:old"]
        );
        assert_eq!(removed("REMOVED-TASK c1\nREMOVED-TASK c2\nLIVE x\n"), 2);
    }

    #[test]
    fn only_the_named_services_stopped_containers_count() {
        // The script itself, against a fake docker.
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("docker");
        std::fs::write(
            &docker,
            "#!/bin/sh\ncase $1 in\nps) echo a; echo b; echo c; echo d ;;\n\
inspect) echo 'a sha256:1 exited p_w'; echo 'b sha256:2 running p_w'; \
echo 'c sha256:3 exited other_w'; echo 'd sha256:4 exited <no value>' ;;\n\
rm) exit 0 ;;\nesac\n",
        )
        .unwrap();
        std::fs::set_permissions(&docker, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let run = |remove: bool| {
            let text = step(&["p_w".to_string(), "p_x".to_string()], remove).to_string();
            let body = &text[text.find("HC_NAMES").unwrap()..];
            let out = std::process::Command::new("sh")
                .args(["-c", body])
                .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        assert_eq!(
            run(false),
            "ENDED a sha256:1\nLIVE sha256:2\nLIVE sha256:3\nLIVE sha256:4\n"
        );
        assert_eq!(
            run(true),
            "REMOVED-TASK a\nLIVE sha256:2\nLIVE sha256:3\nLIVE sha256:4\n"
        );
    }
}

//! `scripts/swarm_deployed.sh`: the file the last deploy of a swarm stack
//! gave `docker stack deploy` on its manager, for `homectl plan`
//! (docs/swarm.md, "plan").

use super::StepInput;
use crate::remote::step::Step;

const DEPLOYED: &str = include_str!("../scripts/swarm_deployed.sh");

pub fn step(project: &str) -> Step {
    StepInput::new(format!("swarm deployed {project}"))
        .var("HC_PROJECT", project)
        .step(DEPLOYED)
}

/// The file's text (None: no deploy left one). The deployed file ends
/// with a newline (serde_yaml writes it so).
pub fn parse(output: &str) -> Option<String> {
    if !output.lines().any(|l| l == "DEPLOYED") {
        return None;
    }
    Some(
        output
            .lines()
            .filter(|l| *l == "FILE" || l.starts_with("FILE "))
            .map(|l| {
                l.strip_prefix("FILE")
                    .unwrap_or("")
                    .strip_prefix(' ')
                    .unwrap_or("")
            })
            .map(|l| format!("{l}\n"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step run by a real `sh` on a state folder with and without the file.
    #[test]
    fn the_deployed_file_comes_back_byte_exact() {
        let dir = tempfile::tempdir().unwrap();
        let run = || {
            let out = std::process::Command::new("/bin/sh")
                .args(["-c", &step("p").script])
                .env("HOMECTL_STATE", dir.path())
                .output()
                .unwrap();
            assert!(out.status.success());
            parse(&String::from_utf8_lossy(&out.stdout))
        };
        assert_eq!(run(), None);
        let text = "services:\n  w:\n    image: r@sha256:1\n\n    command: ['a  b', \"FILE x\"]\n";
        std::fs::create_dir_all(dir.path().join("swarm/p")).unwrap();
        std::fs::write(dir.path().join("swarm/p/compose.yml"), text).unwrap();
        assert_eq!(run().as_deref(), Some(text));
    }
}

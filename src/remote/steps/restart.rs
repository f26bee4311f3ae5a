//! `scripts/restart.sh`, the step of `homectl restart`: the selected
//! services' containers restarted in place (docs/operations.md,
//! "Restarting").

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const RESTART: &str = include_str!("../scripts/restart.sh");

/// Restarts the containers of `services` of a compose project (all of its
/// services when empty).
pub fn step(stack: &str, project: &str, services: &[String]) -> Step {
    StepInput::new(format!("restart {stack}"))
        .var("HC_PROJECT", project)
        .list("HC_SERVICES", services)
        .step(RESTART)
}

/// The services the restart step restarted (`RESTARTED service` lines).
pub fn parse(output: &str) -> Vec<String> {
    lines_of(output, "RESTARTED")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step run by a real `sh` with a stand-in `docker` that records
    /// each call and answers `ps` with one id per filter set.
    #[test]
    fn restarts_the_selected_services_containers_and_no_one_off() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let docker = dir.path().join("docker");
        std::fs::write(
            &docker,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {}\ncase $1 in\n ps) case \"$*\" in *service=backend*) echo id-b ;; *service=db*) echo id-d ;; *) echo id-b; echo id-d ;; esac ;;\n inspect) for a in \"$@\"; do case $a in id-b) echo backend ;; id-d) echo db ;; esac; done ;;\nesac\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&docker, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let run = |services: &[&str]| {
            std::fs::write(&log, "").unwrap();
            let services: Vec<String> = services.iter().map(|s| s.to_string()).collect();
            let step = step("core", "lab-core", &services);
            let out = std::process::Command::new("/bin/sh")
                .args(["-c", &step.script])
                .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
            (
                parse(&String::from_utf8_lossy(&out.stdout)),
                std::fs::read_to_string(&log).unwrap(),
            )
        };
        let (restarted, log) = run(&["backend"]);
        assert_eq!(restarted, ["backend"]);
        assert!(log.contains("ps -aq --filter label=com.docker.compose.project=lab-core --filter label=com.docker.compose.service=backend --filter label=com.docker.compose.oneoff=False"), "{log}");
        assert!(log.contains("\nrestart id-b\n"), "{log}");
        let (restarted, log) = run(&[]);
        assert_eq!(restarted, ["backend", "db"]);
        assert!(log.contains("\nrestart id-b id-d\n"), "{log}");
    }
}

//! `scripts/swarm_logs.sh`: the logs of a swarm stack's services on one
//! node (docs/swarm.md), a command run beside the compose stacks' ones in
//! `logs.sh` (steps/logs.rs). It holds names and options, never a secret.

use super::StepInput;

const LOGS: &str = include_str!("../scripts/swarm_logs.sh");

/// The command for `services` (names within the stack) of `project`.
pub fn command(project: &str, services: &[String], follow: bool, tail: Option<u64>) -> String {
    let mut opts = Vec::new();
    if follow {
        opts.push("-f".to_string());
    }
    if let Some(n) = tail {
        opts.push(format!("--tail {n}"));
    }
    StepInput::new("swarm logs")
        .var("HC_SWARM_PROJECT", project)
        .list("HC_SWARM_SERVICES", services)
        .var("HC_SWARM_LOG_OPTS", &opts.join(" "))
        .step(LOGS)
        .script
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command run by a real `sh` with a stand-in `docker` (a shell
    /// function: no file to exec), as a manager and as a worker: each
    /// service's logs, names kept whole. Each call is logged in one write:
    /// the background `docker logs` run beside the next `docker ps`.
    #[test]
    fn a_manager_reads_service_logs_a_worker_its_task_containers() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let docker = format!(
            "docker() {{ l=; for a in \"$@\"; do l=\"$l[$a]\"; done; printf '%s\\n' \"$l\" >> {log}\ncase $1 in\n info) echo \"$HC_TEST_MANAGER\" ;;\n ps) echo c1; echo c2 ;;\nesac\n}}\n",
            log = crate::remote::quote(&log.display().to_string())
        );
        let services = ["w".to_string(), "a b".to_string()];
        let run = |manager: &str| {
            std::fs::write(&log, "").unwrap();
            let cmd = format!(
                "{docker}{}wait\n",
                command("ktrdr-w", &services, true, Some(5))
            );
            let out = std::process::Command::new("/bin/sh")
                .args(["-c", &cmd])
                .env("HC_TEST_MANAGER", manager)
                .output()
                .unwrap();
            assert!(out.status.success(), "{cmd}");
            let mut calls: Vec<String> = std::fs::read_to_string(&log)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("[info]"))
                .map(str::to_string)
                .collect();
            calls.sort();
            calls
        };
        assert_eq!(
            run("true"),
            [
                "[service][logs][--no-trunc][-f][--tail][5][ktrdr-w_a b]",
                "[service][logs][--no-trunc][-f][--tail][5][ktrdr-w_w]",
            ]
        );
        let calls = run("false");
        assert!(calls.contains(
            &"[ps][-q][--filter][label=com.docker.swarm.service.name=ktrdr-w_a b]".to_string()
        ));
        assert_eq!(
            calls
                .iter()
                .filter(|c| *c == "[logs][-f][--tail][5][c2]")
                .count(),
            2,
            "{calls:?}"
        );
    }
}

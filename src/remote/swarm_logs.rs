//! The `logs` command line of a swarm stack's services on one node
//! (docs/swarm.md): on a manager `docker service logs` (every task, on
//! whatever node it runs), elsewhere `docker logs` of the stack's task
//! containers on that node. Pure text, quoted.

use super::step::quote;

pub fn swarm_logs_command(
    project: &str,
    services: &[String],
    follow: bool,
    tail: Option<u64>,
) -> String {
    let mut opts = String::new();
    if follow {
        opts.push_str(" -f");
    }
    if let Some(n) = tail {
        opts.push_str(&format!(" --tail {n}"));
    }
    let names: Vec<String> = services
        .iter()
        .map(|s| quote(&format!("{project}_{s}")))
        .collect();
    let mut out = String::from(
        "if [ \"$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)\" = true ]; then\n",
    );
    for name in &names {
        out.push_str(&format!(
            "(docker service logs --no-trunc{opts} {name} 2>&1) &\n"
        ));
    }
    out.push_str("else\n");
    for name in &names {
        out.push_str(&format!(
            "for hc_c in $(docker ps -q --filter label=com.docker.swarm.service.name={name}); do (docker logs{opts} \"$hc_c\" 2>&1) & done\n"
        ));
    }
    out.push_str("fi\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_options_passed() {
        let cmd = swarm_logs_command("ktrdr-w", &["a b".to_string()], true, Some(5));
        assert!(
            cmd.contains("docker service logs --no-trunc -f --tail 5 'ktrdr-w_a b'"),
            "{cmd}"
        );
        assert!(cmd.contains("service.name='ktrdr-w_a b'"), "{cmd}");
        let sh = std::process::Command::new("sh")
            .args(["-n", "-c", &cmd])
            .status()
            .unwrap();
        assert!(sh.success(), "{cmd}");
    }
}

//! `scripts/logs.sh`: the containers' logs of a node's stacks, streamed
//! (`homectl logs`). Its script runs as a channel's command (`sh -c`): it
//! holds names and variables, never a secret value.

use super::lib::LIB;
use super::StepInput;
use crate::plan::deploy_plan::StackDeploy;
use crate::remote::step::quote;

const LOGS: &str = include_str!("../scripts/logs.sh");

/// Which logs: `-f`, `--tail N`, one service.
pub struct LogsRequest<'a> {
    pub follow: bool,
    pub tail: Option<u32>,
    pub service: Option<&'a str>,
}

/// The channel's script: one compose `logs` a stack of `plans`, run
/// side by side in the stacks' folders under `state_dir`.
pub fn script(state_dir: &str, plans: &[StackDeploy], request: &LogsRequest) -> String {
    script_with(state_dir, plans, request, Vec::new())
}

/// As `script`, with more log commands run beside the compose ones (a
/// swarm stack's: docs/swarm.md).
pub fn script_with(
    state_dir: &str,
    plans: &[StackDeploy],
    request: &LogsRequest,
    mut commands: Vec<String>,
) -> String {
    let mut input = StepInput::new("logs");
    for plan in plans {
        for (k, v) in &plan.env {
            input = input.export(k, v);
        }
        // Interpolation needs the secret variables to exist; their values do not matter here.
        for k in plan.secrets.keys() {
            input = input.export(k, "");
        }
        let dir = format!("{state_dir}/stacks/{}", plan.stack);
        // The compose files of the folder's version in use (docs/stacks.md,
        // "What travels"); compose.yml for a folder deployed before versions.
        let files = "$(v=$(cat .homectl/in-use 2>/dev/null); if [ -n \"$v\" ] && [ -f \".homectl/versions/$v/.compose\" ]; then for n in $(cat \".homectl/versions/$v/.compose\"); do printf ' -f %s' \"$n\"; done; else printf ' -f compose.yml'; fi)";
        let mut cmd = format!(
            "cd {} && $HC_COMPOSE -p {} {files} {} logs --no-color",
            quote(&dir),
            quote(&plan.project),
            plan.profiles.join(" ")
        );
        if request.follow {
            cmd.push_str(" -f");
        }
        if let Some(n) = request.tail {
            cmd.push_str(&format!(" --tail {n}"));
        }
        if let Some(service) = request.service {
            cmd.push_str(&format!(" {}", quote(service)));
        }
        commands.push(format!(
            "if [ -d {d}/.homectl ] || [ -f {d}/compose.yml ]; then ({cmd}) & else echo 'stack {s} is not deployed on this node'; fi",
            d = quote(&dir),
            s = plan.stack
        ));
    }
    input
        .code(LIB)
        .code("hc_find_compose || { echo \"no Compose on the node\"; exit 1; }\nhc_compose_command\nexport HC_COMPOSE\n")
        .var("HC_COMPOSE_CMDS", &format!("{}\nwait", commands.join("\n")))
        .step(LOGS)
        .script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logs_script_of_a_lab_node() {
        let project = crate::inventory::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/lab.toml"),
        )
        .unwrap();
        let inv = &project.inventory;
        let node = &inv.nodes["node-a"];
        let plans: Vec<StackDeploy> = node
            .stacks
            .iter()
            .map(|s| {
                let stack = &project.stacks[s];
                crate::plan::deploy_plan::plan_stack(inv, node, stack, None, "t", stack.max_scale)
            })
            .collect();
        let request = LogsRequest {
            follow: true,
            tail: Some(5),
            service: Some("backend"),
        };
        let text = script("/var/lib/homectl", &plans, &request)
            .replace(LIB.trim_end(), "<lib.sh>")
            .replace(LOGS.trim_end(), "<logs.sh>");
        assert!(!text.contains("not-shown"));
        insta::assert_snapshot!(text);
    }
}

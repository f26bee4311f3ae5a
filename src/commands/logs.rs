//! `homectl logs NODE [SERVICE]`: the containers' logs, streamed. Ctrl-C
//! closes the channel and nothing keeps running on the node.

use std::collections::BTreeSet;

use openssh::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::cli::{GlobalOptions, LogsArgs};
use crate::error::{Error, Result};
use crate::execution::node_session::{close, NodeSession};
use crate::inventory;
use crate::plan::deploy_plan::plan_stack;
use crate::remote::quote;
use crate::secrets::{resolve_all, ProviderSettings, SecretRef, Secrets};

const LOGS: &str = include_str!("../remote/scripts/logs.sh");

pub fn run(global: &GlobalOptions, args: &LogsArgs) -> Result<i32> {
    let project = inventory::load(&global.inventory)?;
    let inv = &project.inventory;
    let Some(node) = inv.nodes.get(&args.node) else {
        return Err(Error::usage(format!(
            "no node named `{}` (nodes: {})",
            args.node,
            inv.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    };
    let stacks: Vec<&inventory::Stack> = node
        .stacks
        .iter()
        .map(|s| &project.stacks[s])
        .filter(|s| {
            args.service
                .as_ref()
                .is_none_or(|svc| s.compose.services.contains_key(svc))
        })
        .collect();
    if stacks.is_empty() {
        let all: BTreeSet<&String> = node
            .stacks
            .iter()
            .flat_map(|s| project.stacks[s].compose.services.keys())
            .collect();
        return Err(Error::usage(format!(
            "no service `{}` on {} (services: {})",
            args.service.as_deref().unwrap_or(""),
            node.name,
            all.into_iter().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    // Output shown from a node has every known secret masked.
    let refs: BTreeSet<SecretRef> = stacks
        .iter()
        .flat_map(|s| s.secrets.values().cloned())
        .collect();
    let printer = global.printer();
    let secrets = match resolve_all(
        &refs,
        &ProviderSettings {
            exec: inv.secrets_exec.clone(),
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            printer.warn(&format!(
                "warning: secrets did not resolve ({e}); log lines cannot be masked"
            ));
            Secrets::new()
        }
    };

    crate::commands::runtime()?.block_on(async {
        // The remote shell tells where the node's state folder (and stack files) are.
        let opened = NodeSession::open(inv, node, false).await.map_err(|e| Error::runtime(format!("{}: {e}", node.name)))?;
        let state_dir = opened.shell.state_dir.clone();
        let session = opened.session.clone();
        opened.shell.finish().await;

        let mut script = String::new();
        let mut commands = Vec::new();
        for stack in &stacks {
            let plan = plan_stack(inv, node, stack, None, "unknown", stack.max_scale);
            for (k, v) in &plan.env {
                script.push_str(&format!("export {k}={}\n", quote(v)));
            }
            // Interpolation needs the secret variables to exist; their values do not matter here.
            for k in plan.secrets.keys() {
                script.push_str(&format!("export {k}=\n"));
            }
            let file = format!("{state_dir}/stacks/{}/compose.yml", stack.name);
            let mut cmd = format!("$HC_COMPOSE -p {} -f {} {} logs --no-color", quote(&plan.project), quote(&file), plan.profiles.join(" "));
            if args.follow {
                cmd.push_str(" -f");
            }
            if let Some(n) = args.tail {
                cmd.push_str(&format!(" --tail {n}"));
            }
            if let Some(service) = &args.service {
                cmd.push_str(&format!(" {}", quote(service)));
            }
            commands.push(format!("if [ -f {f} ]; then {cmd} & else echo 'stack {s} is not deployed on this node'; fi", f = quote(&file), s = stack.name));
        }
        script.push_str(crate::remote::preflight_step::LIB);
        script.push_str("hc_find_compose || { echo \"no Compose on the node\"; exit 1; }\nhc_compose_command\nexport HC_COMPOSE\n");
        script.push_str(&format!("HC_COMPOSE_CMDS={}\n", quote(&format!("{}\nwait", commands.join("\n")))));
        script.push_str(LOGS);

        let mut child = session
            .clone()
            .arc_command("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await
            .map_err(|e| Error::runtime(format!("{}: cannot start logs: {e}", node.name)))?;
        let mut stdin = child.stdin().take();
        let mut out = BufReader::new(child.stdout().take().expect("piped")).lines();
        let mut err = BufReader::new(child.stderr().take().expect("piped")).lines();
        let mut out_done = false;
        let mut err_done = false;
        let mut interrupted = false;
        while !(out_done && err_done) {
            tokio::select! {
                line = out.next_line(), if !out_done => match line {
                    Ok(Some(l)) => printer.out(&secrets.mask(&l)),
                    _ => out_done = true,
                },
                line = err.next_line(), if !err_done => match line {
                    Ok(Some(l)) => printer.warn(&secrets.mask(&l)),
                    _ => err_done = true,
                },
                _ = tokio::signal::ctrl_c(), if !interrupted => {
                    // Closing stdin ends the remote logs (see logs.sh).
                    interrupted = true;
                    if let Some(mut s) = stdin.take() { let _ = s.shutdown().await; }
                }
            }
        }
        drop(stdin);
        let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
        close(session).await;
        if interrupted {
            return Err(Error::Interrupted);
        }
        match status {
            Ok(Ok(s)) if s.success() => Ok(0),
            Ok(Ok(s)) => Err(Error::runtime(format!("{}: logs ended with {s}", node.name))),
            _ => Err(Error::runtime(format!("{}: logs did not end", node.name))),
        }
    })
}

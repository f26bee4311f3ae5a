//! `homectl logs NODE [SERVICE]`: the containers' logs, streamed. Ctrl-C
//! closes the channel and nothing keeps running on the node.

use std::collections::BTreeSet;

use openssh::Stdio;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::error::{Error, Result};
use crate::execution::node_session::NodeSession;
use crate::execution::ssh::close;
use crate::inventory;
use crate::plan::deploy_plan::plan_stack;
use crate::remote::steps::logs::{self as logs_step, LogsRequest};
use crate::secrets::{resolve_all, ProviderSettings, SecretRef};
use crate::settings::{GlobalSettings, LogsSettings};

pub fn run(global: &GlobalSettings, args: &LogsSettings) -> Result<i32> {
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
    // Nothing is shown that cannot be masked (docs/operations.md, "logs").
    let masker = resolve_all(
        &refs,
        &ProviderSettings {
            exec: inv.secrets_exec.clone(),
        },
    )
    .map_err(|e| {
        Error::runtime(format!(
            "{e}\nthe logs of {} are not shown unmasked: homectl needs its stacks' secrets to mask them",
            node.name
        ))
    })?
    .masker();

    crate::commands::runtime()?.block_on(async {
        // The remote shell tells where the node's state folder (and stack files) are.
        let opened = NodeSession::open(inv, node, false)
            .await
            .map_err(|e| Error::runtime(format!("{}: {e}", node.name)))?;
        let state_dir = opened.shell.state_dir.clone();
        let session = opened.session.clone();
        opened.shell.finish().await;

        let plans: Vec<_> = stacks
            .iter()
            .filter(|stack| !stack.is_swarm())
            .map(|stack| plan_stack(inv, node, stack, None, "unknown", stack.max_scale))
            .collect();
        // A swarm stack's tasks, not compose containers (docs/swarm.md).
        let swarm_commands: Vec<String> = stacks
            .iter()
            .filter(|stack| stack.is_swarm())
            .map(|stack| {
                let services: Vec<String> = match &args.service {
                    Some(s) => vec![s.clone()],
                    None => stack.compose.services.keys().cloned().collect(),
                };
                crate::remote::steps::swarm_logs::command(
                    &inv.project_name(&stack.name),
                    &services,
                    args.follow,
                    args.tail.map(u64::from),
                )
            })
            .collect();
        let request = LogsRequest {
            follow: args.follow,
            tail: args.tail,
            service: args.service.as_deref(),
        };
        let script = logs_step::script_with(&state_dir, &plans, &request, swarm_commands);

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
        let mut out = BufReader::new(child.stdout().take().expect("piped"));
        let mut err = BufReader::new(child.stderr().take().expect("piped"));
        let (mut out_line, mut err_line) = (Vec::new(), Vec::new());
        let mut out_done = false;
        let mut err_done = false;
        let mut interrupted = false;
        while !(out_done && err_done) {
            tokio::select! {
                line = next_line(&mut out, &mut out_line), if !out_done => match line {
                    Some(l) => printer.out_raw(&masker.mask(&l)),
                    None => out_done = true,
                },
                line = next_line(&mut err, &mut err_line), if !err_done => match line {
                    Some(l) => printer.warn(&masker.mask(&l)),
                    None => err_done = true,
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
            Ok(Ok(s)) => Err(Error::runtime(format!(
                "{}: logs ended with {s}",
                node.name
            ))),
            _ => Err(Error::runtime(format!("{}: logs did not end", node.name))),
        }
    })
}

/// The next line of a stream, without its line ending; None at its end (or
/// on a read error). Masking works on whole lines, so a value that arrives
/// split over two reads is still masked; bytes that are not UTF-8 are shown
/// as U+FFFD instead of ending the stream. Cancel-safe in `select!`: a line
/// read in part stays in `line` until the rest comes.
async fn next_line<R: AsyncBufRead + Unpin>(reader: &mut R, line: &mut Vec<u8>) -> Option<String> {
    let read = reader.read_until(b'\n', line).await;
    if line.is_empty() || read.is_err() {
        return None;
    }
    let mut end = line.len();
    if line[..end].ends_with(b"\n") {
        end -= 1;
        if line[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    let text = String::from_utf8_lossy(&line[..end]).into_owned();
    line.clear();
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{SecretValue, Secrets};
    use tokio::io::AsyncReadExt;

    fn lines_of(chunks: &[&'static [u8]], secrets: &Secrets) -> Vec<String> {
        let masker = secrets.masker();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            // Each chunk is one read, as from the network.
            let mut reader: Box<dyn tokio::io::AsyncRead + Unpin> = Box::new(&b""[..]);
            for chunk in chunks {
                reader = Box::new(reader.chain(*chunk));
            }
            let mut reader = BufReader::with_capacity(4, reader);
            let mut line = Vec::new();
            let mut shown = Vec::new();
            while let Some(l) = next_line(&mut reader, &mut line).await {
                shown.push(masker.mask(&l));
            }
            shown
        })
    }

    fn secrets(values: &[&str]) -> Secrets {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    SecretRef::parse(&format!("env://S{i}")).unwrap(),
                    SecretValue::new(v.to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn a_value_split_across_reads_is_masked() {
        let s = secrets(&["hunter2-long", "p@ss!"]);
        assert_eq!(
            lines_of(
                &[b"db | pw=hunt", b"er2-lo", b"ng ok\r\nurl=p%4", b"0ss%21\n"],
                &s
            ),
            ["db | pw=*** ok", "url=***"]
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_does_not_end_the_stream() {
        let s = secrets(&["hunter2"]);
        assert_eq!(
            lines_of(&[b"a \xff hunter2\n", b"next\n", b"last, no newline"], &s),
            ["a \u{fffd} ***", "next", "last, no newline"]
        );
    }
}

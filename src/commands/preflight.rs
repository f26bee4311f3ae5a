//! `homectl preflight`: every check a deploy depends on, per node in
//! parallel, and the secrets once, locally. Changes nothing anywhere but a
//! throw-away registry login on each node's tmpfs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::commands::preflight_folder::preflight_stack;
use crate::error::{Error, Result};
use crate::execution::ssh::close;
use crate::execution::transport::Connection;
use crate::execution::{operator, ssh, RemoteShell, StartError};
use crate::inventory::Project;
use crate::plan::node_needs::{missing_features, node_needs, NodeNeeds};
use crate::plan::{SelectedNode, Selection};
use crate::remote::steps::preflight::{self as remote_checks, Check, PreflightInput};
use crate::report::preflight_table::{render_table, CheckResult, NodeReport, PreflightReport};
use crate::secrets::{resolve_all, ProviderSettings, SecretValue, Secrets};
use crate::settings::{GlobalSettings, TaggedSelection};

/// How long the remote checks of one node may take.
const REMOTE_CHECKS_TIMEOUT: Duration = Duration::from_secs(120);

type SharedSecrets = Arc<OnceCell<std::result::Result<Secrets, String>>>;

pub fn run(global: &GlobalSettings, settings: TaggedSelection) -> Result<i32> {
    let TaggedSelection {
        project,
        selection,
        tag,
    } = settings;
    let runtime = crate::commands::runtime()?;
    let report = runtime.block_on(preflight(Arc::new(project), selection, tag));
    if global.json {
        global
            .printer()
            .out(&serde_json::to_string_pretty(&report).expect("a report serializes"));
    } else {
        global.printer().out_rendered(&render_table(&report));
    }
    if report.ok {
        return Ok(0);
    }
    let failed: Vec<&str> = report
        .nodes
        .iter()
        .filter(|n| !n.ok())
        .map(|n| n.node.as_str())
        .collect();
    let mut message = String::from("preflight failed");
    if !report.secrets.ok {
        message.push_str(": secrets do not resolve");
    }
    if !failed.is_empty() {
        message.push_str(&format!(" on {}", failed.join(", ")));
    }
    Err(Error::on_nodes(message, &failed))
}

async fn preflight(project: Arc<Project>, selection: Selection, tag: String) -> PreflightReport {
    let refs = selection.secret_references(&project);
    let nodes = selection.nodes;
    let secrets: SharedSecrets = Arc::new(OnceCell::new());
    // Resolve the secrets once, while the nodes connect.
    let resolver = {
        let secrets = secrets.clone();
        let settings = ProviderSettings {
            exec: project.inventory.secrets_exec.clone(),
        };
        let refs = refs.clone();
        tokio::spawn(async move {
            secrets
                .get_or_init(|| async move {
                    tokio::task::spawn_blocking(move || {
                        resolve_all(&refs, &settings).map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("the secret resolver failed: {e}")))
                })
                .await;
        })
    };
    let tasks: Vec<_> = nodes
        .into_iter()
        .map(|selected| {
            tokio::spawn(check_node(
                project.clone(),
                selected,
                tag.clone(),
                secrets.clone(),
            ))
        })
        .collect();
    let mut reports = Vec::new();
    for task in tasks {
        reports.push(task.await.expect("a node's checks do not panic"));
    }
    let _ = resolver.await;
    let secrets_result = match secrets.get() {
        Some(Ok(s)) => CheckResult {
            ok: true,
            detail: format!("{} references resolved", s.len()),
        },
        Some(Err(e)) => CheckResult {
            ok: false,
            detail: e.clone(),
        },
        None => CheckResult {
            ok: false,
            detail: "not resolved".into(),
        },
    };
    let ok = secrets_result.ok && reports.iter().all(NodeReport::ok);
    let mut report = PreflightReport {
        tag,
        secrets: secrets_result,
        nodes: reports,
        ok,
    };
    // What the nodes said may quote a value (docs/secrets.md).
    if let Some(Ok(s)) = secrets.get() {
        report.mask(&s.masker());
    }
    report
}

async fn check_node(
    project: Arc<Project>,
    selected: SelectedNode,
    tag: String,
    secrets: SharedSecrets,
) -> NodeReport {
    let inv = &project.inventory;
    let node = &inv.nodes[&selected.node];
    let mut report = NodeReport {
        node: node.name.clone(),
        host: node.host.clone(),
        ..Default::default()
    };

    match ssh::resolve_host(&inv.ssh, node).await {
        Ok(addr) => report.add("dns", true, format!("{} → {addr}", node.host)),
        Err(e) => {
            report.add("dns", false, e);
            return report;
        }
    }
    let session = match ssh::connect(&inv.ssh, node).await {
        Ok(s) => {
            report.add("ssh", true, "connected, host key checked");
            s
        }
        Err(e) => {
            report.add("ssh", false, e);
            return report;
        }
    };
    let who = operator::operator();
    let dirs = operator::state_dir_candidates(node);
    let mut shell = match RemoteShell::start(
        &Connection::Ssh(session.clone()),
        false,
        &who,
        &dirs,
        inv.ssh.connect_timeout * 2,
    )
    .await
    {
        Ok(shell) => {
            report.add("state", true, shell.state_dir.clone());
            shell
        }
        Err(StartError::NoStateDir(tried)) => {
            report.add(
                "state",
                false,
                format!("no state folder can be created and written (tried {tried})"),
            );
            close(session).await;
            return report;
        }
        Err(StartError::Locked(h)) | Err(StartError::Other(h)) => {
            report.add("state", false, h);
            close(session).await;
            return report;
        }
    };

    let resolved = secrets
        .get_or_init(|| async { Err("not resolved".to_string()) })
        .await
        .as_ref()
        .ok();
    let password = resolved.and_then(|s| s.get(&inv.registry.password).cloned());
    let stacks: Vec<_> = selected
        .stacks
        .iter()
        .map(|s| &project.stacks[&s.stack])
        .collect();
    let mut env = BTreeMap::from([
        ("REGISTRY".to_string(), inv.registry.prefix()),
        ("IMAGE_TAG".to_string(), tag.clone()),
        ("HOMECTL_NODE".to_string(), node.name.clone()),
    ]);
    for stack in &stacks {
        env.extend(stack.env.clone());
    }
    env.extend(node.env.clone());
    // What each stack needs on the node (docs/stacks.md, "What preflight
    // checks on the node"), with the node's compose environment.
    let mut needs = Vec::new();
    for stack in &stacks {
        let mut stack_env = env.clone();
        stack_env.extend(stack.env.clone());
        stack_env.extend(node.env.clone());
        needs.push((inv.project_name(&stack.name), node_needs(stack, &stack_env)));
    }
    let pairs = |pick: fn(&NodeNeeds) -> &BTreeSet<String>| -> Vec<(String, String)> {
        needs
            .iter()
            .flat_map(|(p, n)| pick(n).iter().map(move |w| (p.clone(), w.clone())))
            .collect()
    };
    let input = PreflightInput {
        server: &inv.registry.server,
        username: &inv.registry.username,
        password: password
            .clone()
            .unwrap_or_else(|| SecretValue::new(String::new())),
        image_refs: stacks
            .iter()
            .flat_map(|s| {
                s.images
                    .iter()
                    .map(|i| format!("{}/{i}:{tag}", inv.registry.prefix()))
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        stacks: stacks
            .iter()
            .map(|s| preflight_stack(inv.project_name(&s.name), s, resolved))
            .collect(),
        env,
        probe: stacks.iter().any(|s| s.health.url.is_some()),
        binds: pairs(|n| &n.binds),
        devices: pairs(|n| &n.devices),
        networks: pairs(|n| &n.networks),
        volumes: pairs(|n| &n.volumes),
        disk: true,
    };
    match shell
        .run(&remote_checks::step(&input), REMOTE_CHECKS_TIMEOUT)
        .await
    {
        Ok(out) => {
            for Check { name, ok, detail } in remote_checks::parse(&out.output) {
                if name == "registry" && password.is_none() {
                    report.add(
                        "registry",
                        false,
                        "skipped: the registry password did not resolve (see secrets)",
                    );
                } else {
                    report.add(&name, ok, detail);
                }
            }
            if let Some(compose) = report.checks.get("compose").filter(|c| c.ok) {
                let compose = compose.detail.clone();
                let lacking: Vec<String> = needs
                    .iter()
                    .filter_map(|(p, n)| {
                        missing_features(&compose, &n.features).map(|why| format!("{p}: {why}"))
                    })
                    .collect();
                if !lacking.is_empty() {
                    report.add("features", false, lacking.join("; "));
                } else if needs.iter().any(|(_, n)| !n.features.is_empty()) {
                    let used: BTreeSet<&str> = needs
                        .iter()
                        .flat_map(|(_, n)| n.features.iter().map(|f| f.key()))
                        .collect();
                    report.add(
                        "features",
                        true,
                        format!(
                            "{} supported by {compose}",
                            used.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            if out.code != 0 {
                report.add(
                    "docker",
                    false,
                    format!("the checks stopped early (exit {})", out.code),
                );
            }
        }
        Err(e) => report.add(
            "docker",
            false,
            format!("the remote checks did not finish: {e:?}"),
        ),
    }
    shell.finish().await;
    close(session).await;
    report
}

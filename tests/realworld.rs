//! homectl on the real-world corpus: compose setups that homelab operators
//! run, laid out as stacks, with an inventory that puts them on five nodes
//! (kept outside the repository, at `../shared/corpus/realworld` beside the
//! repository or the folder that holds its worktree, or where
//! `HOMECTL_REALWORLD` points). When the corpus is absent the test prints
//! that it was skipped and passes.
//!
//! For every stack:
//! - `check` accepts it, or refuses it naming the file, line and key;
//! - `deploy NODE stack:S --dry-run --json` lists among the plan's `files`
//!   every file the compose file reads (docs/stacks.md, "What travels"):
//!   relative bind-mount sources that exist in the folder (each file of a
//!   folder), `env_file:`, `configs:`/`secrets:` `file:`, `include:`,
//!   `extends: file:`, and the `.env`. The files read are found here from
//!   the compose file itself, independently of homectl's own code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_yaml_ng::Value;

/// Where the corpus is, if anywhere.
fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("HOMECTL_REALWORLD") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(root.join("../shared/corpus/realworld"));
    candidates.push(root.join("../../shared/corpus/realworld"));
    candidates
        .into_iter()
        .find(|dir| dir.join("inventory/realworld.toml").is_file())
}

fn homectl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homectl"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("HOMECTL_INVENTORY")
        .env_remove("HOMECTL_LOG")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .expect("run homectl")
}

/// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?why}`, `$VAR`
/// and `$$`, as Compose interpolates; `None` when a variable is unknown.
fn interpolate(text: &str, env: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = after.find('}')?;
            let inner = &after[..end];
            rest = &after[end + 1..];
            let name_end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_end);
            let value = env
                .get(name)
                .filter(|v| !v.is_empty() || !op.starts_with(':'));
            match (value, op) {
                (Some(v), _) => out.push_str(v),
                (None, op) if op.starts_with(":-") => out.push_str(&op[2..]),
                (None, op) if op.starts_with('-') => out.push_str(&op[1..]),
                _ => return None,
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push_str(env.get(&rest[..end])?);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// A `.env` file's variables (KEY=VALUE lines, quotes removed).
fn dotenv(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            vars.insert(k.trim().to_string(), v.to_string());
        }
    }
    vars
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(list) => list
            .iter()
            .filter_map(|v| v.as_str())
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// Every path the compose file reads, as written, and whether it is a bind
/// mount (a missing one is Docker's to create, not a file that travels).
fn references(doc: &Value) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    if let Some(Value::Mapping(services)) = doc.get("services") {
        for service in services.values() {
            if let Some(Value::Sequence(volumes)) = service.get("volumes") {
                for volume in volumes {
                    match volume {
                        Value::String(s) => {
                            let source = s.split(':').next().unwrap_or("");
                            if source.starts_with('.')
                                || source.starts_with('/')
                                || source.starts_with('~')
                                || source.starts_with('$')
                            {
                                out.push((source.to_string(), true));
                            }
                        }
                        Value::Mapping(_)
                            if volume.get("type").and_then(Value::as_str) == Some("bind") =>
                        {
                            if let Some(source) = volume.get("source").and_then(Value::as_str) {
                                out.push((source.to_string(), true));
                            }
                        }
                        _ => {}
                    }
                }
            }
            match service.get("env_file") {
                Some(Value::Sequence(list)) => {
                    for item in list {
                        if let Some(s) = item.as_str() {
                            out.push((s.to_string(), false));
                        } else if let Some(s) = item.get("path").and_then(Value::as_str) {
                            out.push((s.to_string(), false));
                        }
                    }
                }
                Some(Value::String(s)) => out.push((s.clone(), false)),
                _ => {}
            }
            if let Some(file) = service
                .get("extends")
                .and_then(|e| e.get("file"))
                .and_then(Value::as_str)
            {
                out.push((file.to_string(), false));
            }
        }
    }
    for top in ["configs", "secrets"] {
        if let Some(Value::Mapping(entries)) = doc.get(top) {
            for entry in entries.values() {
                if let Some(file) = entry.get("file").and_then(Value::as_str) {
                    out.push((file.to_string(), false));
                }
            }
        }
    }
    if let Some(Value::Sequence(include)) = doc.get("include") {
        for item in include {
            match item {
                Value::String(s) => out.push((s.clone(), false)),
                Value::Mapping(_) => {
                    for key in ["path", "env_file"] {
                        if let Some(v) = item.get(key) {
                            out.extend(strings(v).into_iter().map(|s| (s, false)));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A path relative to the stack folder that stays inside it, normalised.
fn inside(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in Path::new(path).components() {
        match part {
            Component::CurDir => {}
            Component::Normal(p) => out.push(p),
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn files_under(dir: &Path, rel: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir.join(rel)) else {
        return;
    };
    for entry in entries.flatten() {
        let rel = rel.join(entry.file_name());
        if entry.path().is_dir() {
            files_under(dir, &rel, out);
        } else {
            out.insert(rel.to_string_lossy().into_owned());
        }
    }
}

/// What one stack's row of the table says.
struct Row {
    stack: String,
    node: String,
    check: String,
    shipped: usize,
    read: BTreeSet<String>,
    absent: Vec<String>,
    unresolved: usize,
    outside: usize,
    missing: Vec<String>,
}

#[test]
fn every_stack_checks_and_ships_what_its_compose_file_reads() {
    let Some(corpus) = corpus() else {
        println!("skipped: the real-world corpus (../shared/corpus/realworld) is not here");
        return;
    };
    let inventory = corpus.join("inventory/realworld.toml");
    let inventory_arg = inventory.to_str().unwrap();
    let toml: toml::Value = toml::from_str(&std::fs::read_to_string(&inventory).unwrap()).unwrap();
    let mut node_of = BTreeMap::new();
    for (node, entry) in toml["nodes"].as_table().unwrap() {
        for stack in entry["stacks"].as_array().unwrap() {
            node_of.insert(stack.as_str().unwrap().to_string(), node.clone());
        }
    }
    let registry = format!(
        "{}/{}",
        toml["registry"]["server"].as_str().unwrap(),
        toml["registry"]["namespace"].as_str().unwrap()
    );

    let check = homectl(&["-i", inventory_arg, "check"]);
    let check_err = String::from_utf8_lossy(&check.stderr).into_owned();
    let refusals: Vec<&str> = check_err
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("× ").or_else(|| l.strip_prefix("x ")))
        .collect();
    assert!(
        check.status.code() == Some(0) || check.status.code() == Some(2),
        "check: {:?}\n{check_err}",
        check.status
    );
    if check.status.code() == Some(2) {
        assert!(
            !refusals.is_empty(),
            "check refused without a located error:\n{check_err}"
        );
    }

    let mut rows = Vec::new();
    let mut stacks: Vec<_> = std::fs::read_dir(corpus.join("stacks"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("compose.yml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    stacks.sort();
    assert!(!stacks.is_empty());
    for stack in &stacks {
        let dir = corpus.join("stacks").join(stack);
        let node = node_of
            .get(stack)
            .unwrap_or_else(|| panic!("{stack} is on no node"));
        // The refusals that name this stack's files: each with line and key.
        let marker = format!("stacks/{stack}/");
        let mine: Vec<&&str> = refusals.iter().filter(|r| r.contains(&marker)).collect();
        for refusal in &mine {
            let (location, rest) = refusal.split_once(": ").expect("file:line:col: key");
            let mut parts = location.rsplitn(3, ':');
            let col = parts.next().unwrap();
            let line = parts.next().unwrap_or("");
            assert!(
                col.parse::<u32>().is_ok() && line.parse::<u32>().is_ok(),
                "{stack}: refusal without file, line and column: {refusal}"
            );
            let key = rest.split(": ").next().unwrap_or("");
            assert!(
                !key.is_empty() && !key.contains(' '),
                "{stack}: refusal without a key: {refusal}"
            );
        }
        let check_word = if mine.is_empty() {
            "ok".to_string()
        } else {
            format!("refused ({})", mine.len())
        };
        if !mine.is_empty() {
            rows.push(Row {
                stack: stack.clone(),
                node: node.clone(),
                check: check_word,
                shipped: 0,
                read: BTreeSet::new(),
                absent: Vec::new(),
                unresolved: 0,
                outside: 0,
                missing: Vec::new(),
            });
            continue;
        }

        let out = homectl(&[
            "-i",
            inventory_arg,
            "deploy",
            node,
            &format!("stack:{stack}"),
            "--dry-run",
            "--tag",
            "abc1234",
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{stack}: dry-run failed\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("dry-run JSON");
        let plan = json["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["stack"] == stack.as_str())
            .unwrap_or_else(|| panic!("{stack}: no plan"));
        let files: BTreeSet<String> = plan["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        let version = plan["files_version"].as_str().expect("files_version");
        assert_eq!(version.len(), 16, "{stack}: files_version {version}");

        let mut env = dotenv(&dir.join(".env"));
        env.insert("REGISTRY".into(), registry.clone());
        env.insert("IMAGE_TAG".into(), "abc1234".into());
        env.insert("HOMECTL_NODE".into(), node.clone());
        let doc: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join("compose.yml")).unwrap())
                .unwrap();
        let mut read = BTreeSet::new();
        read.insert("compose.yml".to_string());
        if dir.join(".env").is_file() {
            read.insert(".env".to_string());
        }
        let (mut absent, mut unresolved, mut outside) = (Vec::new(), 0, 0);
        for (written, bind) in references(&doc) {
            let Some(path) = interpolate(&written, &env) else {
                unresolved += 1;
                continue;
            };
            let Some(rel) = inside(&path) else {
                outside += 1;
                continue;
            };
            let full = dir.join(&rel);
            if full.is_dir() {
                files_under(&dir, &rel, &mut read);
            } else if full.is_file() {
                read.insert(rel.to_string_lossy().into_owned());
            } else if !bind {
                absent.push(written.clone());
            } else {
                absent.push(format!("{written} (bind)"));
            }
        }
        let missing: Vec<String> = read.difference(&files).cloned().collect();
        rows.push(Row {
            stack: stack.clone(),
            node: node.clone(),
            check: check_word,
            shipped: files.len(),
            read,
            absent,
            unresolved,
            outside,
            missing,
        });
    }

    println!("stack | node | check | files shipped | files read | read, not shipped | referenced, absent from the folder | unresolved | outside");
    for r in &rows {
        println!(
            "{} | {} | {} | {} | {} | {} | {} | {} | {}",
            r.stack,
            r.node,
            r.check,
            r.shipped,
            r.read.len(),
            if r.missing.is_empty() {
                "-".into()
            } else {
                r.missing.join(", ")
            },
            if r.absent.is_empty() {
                "-".into()
            } else {
                r.absent.join(", ")
            },
            r.unresolved,
            r.outside
        );
    }
    let wrong: Vec<String> = rows
        .iter()
        .filter(|r| !r.missing.is_empty())
        .map(|r| format!("{}: {}", r.stack, r.missing.join(", ")))
        .collect();
    assert!(
        wrong.is_empty(),
        "files read but not shipped:\n{}",
        wrong.join("\n")
    );
}

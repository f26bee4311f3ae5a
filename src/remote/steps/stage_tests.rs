//! The stage step and lib.sh's hc_put_version run by a real `sh` on a
//! folder: a version staged from data frames and from the version in use,
//! put in use, then replaced, and rolled back, never touching a file
//! homectl did not ship.
use super::*;
use crate::inventory::stack_folder::read_folder;
use crate::plan::deploy_plan::StackDeploy;
use crate::plan::folder_changes::{stage_plan, NodeFolder};
use crate::remote::step::{quote, Payload, Step};
use crate::remote::steps::lib::LIB;
use crate::remote::steps::{record, state};

/// Runs `script` in `sh` with HOMECTL_STATE set and `hc_data` reading
/// the step's frames from files (the holder does it from stdin).
fn run(state: &std::path::Path, step: &Step) -> String {
    let frames = tempfile::tempdir().unwrap();
    for (i, (_, payload)) in step.data.iter().enumerate() {
        let Payload::Plain(text) = payload else {
            panic!("no secret here")
        };
        std::fs::write(frames.path().join(i.to_string()), text).unwrap();
    }
    let stub = format!(
        "hc_n=0\nhc_data() {{ eval \"$1=\\$(cat {}/$hc_n)\"; hc_n=$((hc_n + 1)); }}\n",
        frames.path().display()
    );
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &format!("{stub}{LIB}{}", step.script)])
        .env("HOMECTL_STATE", state)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    text
}

fn deploy_of(folder: &crate::inventory::stack_folder::StackFolder, back: &str) -> StackDeploy {
    StackDeploy {
        stack: "web".into(),
        project: "lab-web".into(),
        version: folder.version.clone(),
        compose_files: vec!["compose.yml".into()],
        back_version: back.into(),
        ..Default::default()
    }
}

fn stage(
    state: &std::path::Path,
    local: &std::path::Path,
    node: &NodeFolder,
) -> (StackDeploy, usize) {
    let folder = read_folder(local).unwrap();
    let deploy = deploy_of(&folder, &node.in_use);
    let plan = stage_plan(&folder, node).expect("a new version");
    let mut contents = Vec::new();
    for f in &plan {
        if let Some(p) = &f.travels {
            contents.push(std::fs::read(local.join(p)).unwrap());
        }
    }
    let sent = contents.len();
    let lines: Vec<String> = plan.iter().map(|f| f.line.clone()).collect();
    run(state, &step(&deploy, &lines, contents));
    (deploy, sent)
}

fn put(state: &std::path::Path, old: &str, new: &str) {
    let step = Step::new(
        "put",
        format!(
            "hc_put_version \"$HOMECTL_STATE/stacks/web\" {} {}",
            quote(old),
            quote(new)
        ),
    );
    run(state, &step);
}

fn node_state(state: &std::path::Path) -> NodeFolder {
    let step = state::step(&[], &["web".to_string()]);
    let out = run(
        state,
        &Step::new("state", step.script.replace("docker", "true")),
    );
    state::parse(&out).folders.remove("web").unwrap_or_default()
}

#[test]
fn a_record_after_a_line_cut_short_is_a_line_of_its_own() {
    let state = tempfile::tempdir().unwrap();
    let history = state.path().join("history.jsonl");
    std::fs::write(&history, "{\"a\":1}\n{\"cut\":").unwrap();
    run(state.path(), &record::step("{\"b\":2}"));
    assert_eq!(
        std::fs::read_to_string(&history).unwrap(),
        "{\"a\":1}\n{\"cut\":\n{\"b\":2}\n"
    );
    run(state.path(), &record::step("{\"c\":3}"));
    assert!(std::fs::read_to_string(&history)
        .unwrap()
        .ends_with("{\"b\":2}\n{\"c\":3}\n"));
}

#[test]
fn a_folder_travels_once_changes_in_place_and_rolls_back() {
    let local = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let write = |p: &str, text: &[u8]| {
        let path = local.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("compose.yml", b"services: {}\n");
    write("conf/index.html", b"one\n");
    write("bin/blob", &[0, 159, 146, 150, 255, b'\n']);
    write("with space.txt", b"x");
    write("stack.toml", b"");

    let (first, sent) = stage(state.path(), local.path(), &NodeFolder::default());
    assert_eq!(sent, 4);
    put(state.path(), "", &first.version);
    let live = state.path().join("stacks/web");
    assert_eq!(
        std::fs::read(live.join("conf/index.html")).unwrap(),
        b"one\n"
    );
    assert_eq!(
        std::fs::read(live.join("bin/blob")).unwrap(),
        [0, 159, 146, 150, 255, b'\n']
    );
    assert!(live.join("with space.txt").is_file());
    assert!(!live.join("stack.toml").exists());
    // What a container writes is the stack's own.
    std::fs::create_dir_all(live.join("data")).unwrap();
    std::fs::write(live.join("data/db"), "kept").unwrap();

    // One file changes, one goes: only the changed one travels.
    write("conf/index.html", b"two\n");
    std::fs::remove_file(local.path().join("with space.txt")).unwrap();
    let on_node = node_state(state.path());
    assert_eq!(on_node.in_use, first.version);
    let (second, sent) = stage(state.path(), local.path(), &on_node);
    assert_eq!(sent, 1, "only conf/index.html travels");
    put(state.path(), &first.version, &second.version);
    assert_eq!(
        std::fs::read(live.join("conf/index.html")).unwrap(),
        b"two\n"
    );
    assert!(!live.join("with space.txt").exists());
    assert_eq!(std::fs::read(live.join("data/db")).unwrap(), b"kept");

    // Back to the first version.
    put(state.path(), &second.version, &first.version);
    assert_eq!(
        std::fs::read(live.join("conf/index.html")).unwrap(),
        b"one\n"
    );
    assert!(live.join("with space.txt").is_file());
    assert_eq!(std::fs::read(live.join("data/db")).unwrap(), b"kept");
    assert_eq!(node_state(state.path()).versions.len(), 2);
}

use super::*;
use crate::plan::prune::{FilesRemoval, ImageRemoval};

/// A stand-in `docker` over a folder: `img/ID` holds an image's tags (one
/// a line), `used/ID` marks an image a container uses; calls are logged.
const FAKE_DOCKER: &str = r#"#!/bin/sh
d=$FAKE
echo "$*" >>"$d/calls"
case "$1 $2" in
"ps -aq") [ -e "$d/used/${4#ancestor=}" ] && echo c1; exit 0 ;;
"system df") echo "Images $(cat "$d/df")"; echo "Containers 0B"; exit 0 ;;
"image inspect")
    id=$3; [ "$3" = --format ] && id=$5
    [ -f "$d/img/$id" ] || exit 1
    [ "$3" = --format ] && tr "\n" " " <"$d/img/$id"
    exit 0 ;;
esac
if [ "$1" = rmi ]; then
    if [ -f "$d/img/$2" ]; then
        [ -s "$d/img/$2" ] && { echo "conflict: image is referenced in multiple repositories" >&2; exit 1; }
        rm "$d/img/$2"; echo 500MB >"$d/df"; exit 0
    fi
    for f in "$d"/img/*; do
        grep -qx "$2" "$f" || continue
        grep -vx "$2" "$f" >"$f.new"; mv "$f.new" "$f"
        [ -s "$f" ] || { rm "$f"; echo 500MB >"$d/df"; }
        exit 0
    done
    exit 1
fi
exit 1
"#;

fn run_prune(dir: &std::path::Path, plan: &[StackPrune]) -> (String, i32) {
    let step = prune_step(plan).expect("something to remove");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let docker = bin.join("docker");
    std::fs::write(&docker, FAKE_DOCKER).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&step.script)
        .env("FAKE", dir)
        .env("HOMECTL_STATE", dir.join("state"))
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        out.status.code().unwrap_or(-1),
    )
}

fn removal(id: &str, tags: &[&str]) -> ImageRemoval {
    ImageRemoval {
        id: id.into(),
        size: 1,
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

#[test]
fn the_step_removes_what_was_decided_and_nothing_a_container_or_a_hand_tag_holds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in [
        "img",
        "used",
        "state/stacks/core/.homectl/versions/aa11",
        "state/stacks/core/.homectl/versions/bb22",
        "state/x",
    ] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::fs::write(d.join("df"), "1.5GB").unwrap();
    std::fs::write(d.join("state/stacks/core/.homectl/in-use"), "bb22\n").unwrap();
    std::fs::write(d.join("img/sha256:old"), "r/app:t1\n").unwrap();
    std::fs::write(d.join("img/sha256:hand"), "r/app:t2\nmine:keep\n").unwrap();
    std::fs::write(d.join("img/sha256:busy"), "r/app:t3\n").unwrap();
    std::fs::write(d.join("used/sha256:busy"), "").unwrap();
    let plan = vec![StackPrune {
        stack: "core".into(),
        kept: Vec::new(),
        remove_images: vec![
            removal("sha256:old", &["r/app:t1"]),
            removal("sha256:hand", &["r/app:t2"]),
            removal("sha256:busy", &["r/app:t3"]),
        ],
        remove_files: ["aa11", "bb22", "../../x"]
            .iter()
            .map(|v| FilesRemoval {
                version: v.to_string(),
                size: 1,
            })
            .collect(),
        spared: Vec::new(),
    }];
    let (out, code) = run_prune(d, &plan);
    assert_eq!(code, 0, "{out}");
    let outcome = parse_prune(&out);
    assert_eq!(outcome.removed_images, ["sha256:old"], "{out}");
    assert_eq!(outcome.kept_images["sha256:hand"], "also tagged mine:keep");
    assert_eq!(outcome.kept_images["sha256:busy"], "a container uses it");
    assert_eq!(
        outcome.removed_files,
        [("core".to_string(), "aa11".to_string())]
    );
    assert_eq!(outcome.disk, Some((1_500_000_000, 500_000_000)));
    assert!(!d.join("img/sha256:old").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("img/sha256:hand")).unwrap(),
        "mine:keep\n"
    );
    assert!(d.join("img/sha256:busy").exists());
    let versions = d.join("state/stacks/core/.homectl/versions");
    assert!(!versions.join("aa11").exists() && versions.join("bb22").exists());
    assert!(d.join("state/x").exists());
}

#[test]
fn nothing_to_remove_is_no_step() {
    let plan = vec![StackPrune {
        stack: "core".into(),
        kept: Vec::new(),
        remove_images: Vec::new(),
        remove_files: Vec::new(),
        spared: Vec::new(),
    }];
    assert!(prune_step(&plan).is_none());
}

#[test]
fn facts_parse_images_containers_folders_and_history() {
    let output = "IMAGE sha256:a 1234 t:r/app:t1,r/app:x d:r/app@sha256:d1\n\
                  IMAGE sha256:b 99 t: d:\n\
                  USED sha256:a\n\
                  INUSE core bb22\n\
                  FILES core aa11 8\n\
                  FILES core bb22 4\n\
                  HISTORY {\"time\":\"t\",\"operator\":\"o\",\"node\":\"n\",\"stack\":\"core\",\"kind\":\"deploy\",\"tag\":\"t1\",\"scale\":1,\"result\":\"ok\",\"duration_ms\":1}\n";
    let facts = parse_facts(output);
    assert_eq!(facts.images.len(), 2);
    assert_eq!(facts.images[0].tags, ["r/app:t1", "r/app:x"]);
    assert_eq!(facts.images[0].digests, ["r/app@sha256:d1"]);
    assert!(facts.images[1].tags.is_empty() && facts.images[1].size == 99);
    assert!(facts.container_images.contains("sha256:a"));
    assert_eq!(facts.folders["core"].in_use, "bb22");
    assert_eq!(facts.folders["core"].versions["aa11"], 8192);
    assert_eq!(facts.history.len(), 1);
}

#[test]
fn docker_sizes_are_decimal() {
    assert_eq!(human_size("0B"), Some(0));
    assert_eq!(human_size("12.5MB"), Some(12_500_000));
    assert_eq!(human_size("3kB"), Some(3000));
    assert_eq!(human_size("-"), None);
}

//! Pruning (docs/operations.md, "Pruning"): after five deploys of five
//! distinct tags (images and stack files), node-a keeps the last three
//! tags' images and file versions; `rollback` to the previous tag works
//! with the registry stopped; an image another stack uses, one also tagged
//! by hand and one pulled by hand survive; `prune --dry-run` removes nothing.

use std::path::PathBuf;
use std::process::Command;

use crate::common::*;

const HOST: &str = "core.lab.home.arpa";
const TOOLS: &str = "ktrdr-tools";

const TOOLS_COMPOSE: &str = r#"services:
  cli:
    image: ${REGISTRY}/ktrdr-backend:${IMAGE_TAG}
    command: ["/app/entry", "db"]
    init: true
"#;

const TOOLS_STACK: &str = r#"images = ["ktrdr-backend"]

[health]
services = ["cli"]
timeout = "30s"
"#;

/// Builds and pushes tags of the lab image, each its own image (a layer of
/// `kbytes` random bytes and /app/version = the tag), with node-b's engine;
/// node-b keeps none of them.
pub fn build_tags(tags: &[String], kbytes: u32) {
    let image = lab_var("LAB_IMAGE");
    let base = format!("{image}:{}", lab_var("LAB_TAG_OLD"));
    let script = format!(
        "had=$(docker image inspect {base} >/dev/null 2>&1 && echo 1 || true); \
         docker pull -q {base} >/dev/null; \
         for t in {tags}; do \
           printf 'FROM {base}\\nRUN head -c {kbytes}k /dev/urandom >/blob && echo %s >/app/version\\n' \"$t\" | docker build -q -t {image}:$t - >/dev/null; \
           docker push -q {image}:$t >/dev/null; docker rmi {image}:$t >/dev/null; \
         done; \
         [ -n \"$had\" ] || docker rmi {base} >/dev/null",
        tags = tags.join(" "),
    );
    let out = on_node_logged_in(host_of("node-b"), &script);
    assert!(
        out.status.success(),
        "build {tags:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stops the lab's registry; starts it again when dropped (`scripts/lab
/// up`), also when the test fails.
struct RegistryStopped;

impl RegistryStopped {
    fn new() -> RegistryStopped {
        let pid = std::fs::read_to_string(format!("{LAB}/registry/registry.pid"))
            .unwrap()
            .trim()
            .to_string();
        // The guard exists before the kill: whatever happens next, it restarts it.
        let guard = RegistryStopped;
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let gone = std::time::Instant::now();
        while std::path::Path::new(&format!("/proc/{pid}")).exists()
            && gone.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        guard
    }
}

impl Drop for RegistryStopped {
    fn drop(&mut self) {
        let out = Command::new(repo().join("scripts/lab"))
            .arg("up")
            .output()
            .expect("scripts/lab up runs");
        if !out.status.success() {
            eprintln!(
                "warning: scripts/lab up failed after the registry test: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The lab's stacks (core with a release file that changes per deploy)
/// plus `tools` on node-a, in a temp folder; tools is taken down and the
/// hand-made images are removed when dropped.
struct Rig {
    _dir: tempfile::TempDir,
    stacks: PathBuf,
    inventory: PathBuf,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let inventory = stacks_variant(dir.path(), "core/stack.toml", &[]);
        let stacks = dir.path().join("stacks");
        std::fs::create_dir_all(stacks.join("tools")).unwrap();
        std::fs::write(stacks.join("tools/compose.yml"), TOOLS_COMPOSE).unwrap();
        std::fs::write(stacks.join("tools/stack.toml"), TOOLS_STACK).unwrap();
        let text = std::fs::read_to_string(&inventory).unwrap();
        let text = text.replacen("stacks = [\"core\"]", "stacks = [\"core\", \"tools\"]", 1);
        std::fs::write(&inventory, text).unwrap();
        Rig {
            _dir: dir,
            stacks,
            inventory,
        }
    }

    fn homectl(&self, args: &[&str]) -> Run {
        Homectl::with_inventory(&self.inventory).args(args).run()
    }

    /// Deploys core at `tag` with a release file naming it (a new file version).
    fn deploy_core(&self, tag: &str) -> Run {
        std::fs::write(self.stacks.join("core/release.txt"), format!("{tag}\n")).unwrap();
        self.homectl(&["deploy", "node-a", "stack:core", "--tag", tag])
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = self.homectl(&["down", "node-a", "stack:tools", "--yes"]);
        on_node(
            HOST,
            "docker rmi hand/keep:1 >/dev/null 2>&1; docker images --format '{{.Repository}}:{{.Tag}}' | grep ':prune-e2e-' | xargs -r docker rmi >/dev/null 2>&1; true",
        );
    }
}

fn has_image(reference: &str) -> bool {
    on_node(
        HOST,
        &format!("docker image inspect {reference} >/dev/null 2>&1"),
    )
    .status
    .success()
}

fn file_versions() -> Vec<String> {
    let out = on_node_ok(HOST, "ls /var/lib/homectl/stacks/core/.homectl/versions");
    out.split_whitespace().map(str::to_string).collect()
}

fn in_use() -> String {
    on_node_ok(HOST, "cat /var/lib/homectl/stacks/core/.homectl/in-use")
        .trim()
        .to_string()
}

#[test]
fn five_tags_keep_three_rollback_needs_no_registry_and_others_images_survive() {
    let _lab = lab_lock();
    let image = lab_var("LAB_IMAGE");
    // t0 for the other stack, t1..t5 for core, hand for a pull by hand.
    let tags: Vec<String> = ["t0", "t1", "t2", "t3", "t4", "t5", "hand"]
        .iter()
        .map(|t| format!("prune-e2e-{t}"))
        .collect();
    build_tags(&tags, 1024);
    let rig = Rig::new();
    let r = |t: &str| format!("{image}:{t}");

    rig.homectl(&["deploy", "node-a", "stack:tools", "--tag", &tags[0]])
        .success();
    // Pulled by hand: homectl never recorded it.
    let out = on_node_logged_in(HOST, &format!("docker pull -q {} >/dev/null", r(&tags[6])));
    assert!(out.status.success(), "hand pull");

    let mut versions = Vec::new();
    for (i, tag) in tags[1..6].iter().enumerate() {
        let run = rig.deploy_core(tag);
        run.success();
        assert!(run.all().contains("prune:"), "{}", run.all());
        versions.push(in_use());
        if i == 0 {
            // t1's image also tagged by hand.
            on_node_ok(HOST, &format!("docker tag {} hand/keep:1", r(tag)));
        }
    }
    // The last three tags' images and file versions, what runs among them.
    for tag in &tags[3..6] {
        assert!(has_image(&r(tag)), "{tag} was pruned");
    }
    assert!(!has_image(&r(&tags[2])), "t2 was kept");
    assert!(
        has_image(&r(&tags[0])),
        "the other stack's image was pruned"
    );
    assert!(
        has_image(&r(&tags[1])),
        "the image also tagged by hand was pruned"
    );
    assert!(has_image("hand/keep:1"));
    assert!(has_image(&r(&tags[6])), "the hand-pulled image was pruned");
    let mut kept = file_versions();
    kept.sort();
    let mut expected = versions[2..5].to_vec();
    expected.sort();
    assert_eq!(kept, expected, "file versions on the node");

    // A dry run with keep 1 says what it would remove and removes nothing.
    let dry = rig.homectl(&["prune", "node-a", "--keep", "1", "--dry-run"]);
    dry.success();
    assert!(
        dry.stdout
            .contains(&format!("would remove image {}", r(&tags[3]))),
        "{}",
        dry.all()
    );
    assert!(has_image(&r(&tags[3])) && has_image(&r(&tags[4])));
    assert_eq!(file_versions().len(), 3);
    let json = rig
        .homectl(&["--json", "prune", "node-a", "--keep", "1", "--dry-run"])
        .json();
    // What the dry run would untag (other tests' older images of core may be there too).
    let would: Vec<String> = json["nodes"][0]["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["remove_images"].as_array().unwrap().clone())
        .flat_map(|i| i["tags"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    for tag in &tags[3..5] {
        assert!(would.contains(&r(tag)), "{would:?}");
    }
    for tag in [&tags[0], &tags[1], &tags[5], &tags[6]] {
        assert!(!would.contains(&r(tag)), "{would:?}");
    }
    assert!(json["nodes"][0]["freed_bytes"].as_u64().unwrap() > 2_000_000);

    // Back to t4 with the registry stopped: its image and files are on the node.
    {
        let _stopped = RegistryStopped::new();
        let run = rig.homectl(&["rollback", "node-a", "stack:core"]);
        run.success();
        let backend = container_of(HOST, "ktrdr-core", "backend");
        assert_eq!(backend.tag(), tags[4], "{}", run.all());
        assert_eq!(in_use(), versions[3]);
        assert_eq!(
            on_node_ok(HOST, "cat /var/lib/homectl/stacks/core/release.txt").trim(),
            tags[4]
        );
    }

    // A real prune with keep 1 (the registry is back): only what runs stays.
    let run = rig.homectl(&["prune", "node-a", "stack:core", "--keep", "1"]);
    run.success();
    assert!(run.stdout.contains("MB freed"), "{}", run.all());
    assert!(has_image(&r(&tags[4])), "what runs was pruned");
    assert!(!has_image(&r(&tags[3])) && !has_image(&r(&tags[5])));
    assert_eq!(file_versions(), [versions[3].clone()]);
    drop(rig);
    assert!(containers(HOST, TOOLS).is_empty());
}

#[test]
fn a_stack_moved_to_another_node_warns_naming_the_command_that_removes_it() {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    let rig = Rig::new();
    rig.homectl(&["deploy", "node-a", "stack:tools", "--tag", &old])
        .success();
    // The inventory moves tools from node-a to node-b.
    let moved = rig.inventory.with_file_name("moved.toml");
    let text = std::fs::read_to_string(&rig.inventory).unwrap();
    let text = text
        .replacen("stacks = [\"core\", \"tools\"]", "stacks = [\"core\"]", 1)
        .replacen(
            "stacks = [\"workers\"]",
            "stacks = [\"workers\", \"tools\"]",
            1,
        );
    std::fs::write(&moved, text).unwrap();
    let homectl = |args: &[&str]| Homectl::with_inventory(&moved).args(args).run();
    let down = "homectl down node-a stack:tools --yes";

    // node-a is not part of this deploy: it is asked on the side.
    let run = homectl(&["deploy", "node-b", "stack:tools", "--tag", &old]);
    run.success();
    assert!(
        run.stderr.contains(down) && run.stderr.contains("puts on node-b"),
        "{}",
        run.all()
    );
    // node-a is part of this one: its own session tells.
    let run = homectl(&["deploy", "node-a", "--tag", &old]);
    run.success();
    assert!(run.stderr.contains(down), "{}", run.all());
    // With --json, a warning line.
    let run = homectl(&["--json", "deploy", "node-a", "--tag", &old]);
    run.success();
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("\"warning\"") && l.contains(down)),
        "{}",
        run.all()
    );

    // The command it names removes the stray; the next deploy is quiet.
    homectl(&["down", "node-a", "stack:tools", "--yes"]).success();
    assert!(containers(HOST, TOOLS).is_empty());
    let run = homectl(&["deploy", "node-b", "stack:tools", "--tag", &old]);
    run.success();
    assert!(!run.all().contains("as a stray"), "{}", run.all());
    homectl(&["down", "node-b", "stack:tools", "--yes"]).success();
}

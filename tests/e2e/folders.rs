//! A stack is a folder (docs/stacks.md, "What travels"): its files reach
//! the node, a change to one recreates the services that read it, data the
//! stack writes stays, a failed deploy and `rollback` bring the files back,
//! and a file holding a secret is refused before any node is touched. On
//! Compose v2 (node-b) and v1 (node-c).

use std::path::PathBuf;

use crate::common::*;

const PROJECT: &str = "ktrdr-site";

const COMPOSE: &str = r#"services:
  web:
    image: ${REGISTRY}/ktrdr-backend:${IMAGE_TAG}
    command: ["busybox", "httpd", "-f", "-p", "5090", "-h", "/www"]
    env_file: app.env
    volumes:
      - ./conf/index.html:/www/index.html:ro
      - ./data:/data
    ports: ["5090:5090"]
    healthcheck:
      test: ["CMD-SHELL", "wget -qO- http://127.0.0.1:5090/index.html"]
      interval: 1s
      timeout: 2s
      retries: 3
  other:
    image: ${REGISTRY}/ktrdr-backend:${IMAGE_TAG}
    command: ["/app/entry", "db"]
"#;

const STACK: &str = r#"images = ["ktrdr-backend"]

[health]
services = ["web", "other"]
timeout = "30s"
"#;

/// The lab's stacks plus `site` on `node`, in a temp folder.
struct Site {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    inventory: PathBuf,
    host: &'static str,
    node: &'static str,
}

impl Site {
    fn new(node: &'static str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let stacks = dir.path().join("stacks");
        for stack in ["core", "workers"] {
            std::fs::create_dir_all(stacks.join(stack)).unwrap();
            for name in ["compose.yml", "stack.toml"] {
                std::fs::copy(
                    repo().join("stacks").join(stack).join(name),
                    stacks.join(stack).join(name),
                )
                .unwrap();
            }
        }
        let folder = stacks.join("site");
        let site = Site {
            inventory: inventory_variant(
                dir.path(),
                &[(
                    &format!(
                        "stacks_dir = {:?}",
                        repo().join("stacks").display().to_string()
                    ),
                    &format!("stacks_dir = {:?}", stacks.display().to_string()),
                )],
            ),
            folder,
            host: host_of(node),
            node,
            _dir: dir,
        };
        // The node runs the site beside its workers.
        let text = std::fs::read_to_string(&site.inventory).unwrap();
        let at = text.find(&format!("[nodes.{node}]")).unwrap();
        let (head, tail) = text.split_at(at);
        let tail = tail.replacen(
            "stacks = [\"workers\"]",
            "stacks = [\"workers\", \"site\"]",
            1,
        );
        std::fs::write(&site.inventory, format!("{head}{tail}")).unwrap();
        site.write("compose.yml", COMPOSE);
        site.write("stack.toml", STACK);
        site.write("app.env", "APP_COLOR=blue\n");
        site.write("conf/index.html", "one\n");
        site.write("notes.md", "not for the node\n");
        site.write(".homectlignore", "notes.md\n");
        site
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.folder.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn deploy(&self, tag: &str) -> Run {
        Homectl::with_inventory(&self.inventory)
            .args(["deploy", self.node, "stack:site", "--tag", tag])
            .run()
    }

    fn served(&self) -> String {
        on_node_ok(self.host, "wget -qO- http://127.0.0.1:5090/index.html")
    }

    fn ids(&self) -> Vec<(String, String)> {
        containers(self.host, PROJECT)
            .into_iter()
            .map(|c| (c.service, c.id))
            .collect()
    }

    fn id_of(&self, service: &str) -> String {
        container_of(self.host, PROJECT, service).id
    }

    fn env_of_web(&self) -> String {
        let name = container_of(self.host, PROJECT, "web").name;
        on_node_ok(self.host, &format!("docker exec {name} printenv APP_COLOR"))
            .trim()
            .to_string()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        clean(self.host);
    }
}

/// No site on the node: its containers and its folder removed.
fn clean(host: &str) {
    on_node(
            host,
            &format!(
                "ids=$(docker ps -aq --filter label=com.docker.compose.project={PROJECT}); \
                 [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; rm -rf /var/lib/homectl/stacks/site"
            ),
        );
}

fn live(path: &str) -> String {
    format!("/var/lib/homectl/stacks/site/{path}")
}

fn a_stack_folder_on(node: &'static str, full: bool) {
    let _lab = lab_lock();
    let old = lab_var("LAB_TAG_OLD");
    clean(host_of(node));
    let site = Site::new(node);
    site.deploy(&old).success();
    assert_eq!(site.served(), "one\n");
    assert_eq!(site.env_of_web(), "blue");
    let ignored = on_node(site.host, &format!("test -e {}", live("notes.md")));
    assert!(
        !ignored.status.success(),
        ".homectlignore'd notes.md reached the node"
    );
    // The stack's own data, written by a container.
    let web = container_of(site.host, PROJECT, "web").name;
    on_node_ok(
        site.host,
        &format!("docker exec {web} sh -c 'echo mine > /data/kept'"),
    );

    // A changed file recreates the service that mounts it, only that one.
    let before = site.ids();
    site.write("conf/index.html", "two\n");
    let run = site.deploy(&old);
    run.success();
    assert_eq!(site.served(), "two\n", "{}", run.all());
    assert_ne!(
        site.id_of("web"),
        before[1].1,
        "web reads the file: recreated"
    );
    assert_eq!(
        site.id_of("other"),
        before[0].1,
        "other mounts nothing: untouched"
    );
    assert_eq!(
        on_node_ok(site.host, &format!("cat {}", live("data/kept"))),
        "mine\n"
    );

    // Nothing changed: nothing is recreated.
    let before = site.ids();
    let run = site.deploy(&old);
    run.success();
    assert!(run.all().contains("unchanged"), "{}", run.all());
    assert_eq!(site.ids(), before);
    if !full {
        return;
    }

    // A changed env file: the new value.
    site.write("app.env", "APP_COLOR=green\n");
    site.deploy(&old).success();
    assert_eq!(site.env_of_web(), "green");

    // A deploy whose health fails brings the files back too.
    site.write("conf/index.html", "three\n");
    site.write(
        "compose.yml",
        &COMPOSE.replace("wget -qO- http://127.0.0.1:5090/index.html", "false"),
    );
    let run = site.deploy(&old);
    run.code(1);
    assert!(run.all().contains("rolled back"), "{}", run.all());
    assert_eq!(site.served(), "two\n", "the files of the deploy before");
    assert_eq!(site.env_of_web(), "green");
    site.write("compose.yml", COMPOSE);
    site.write("conf/index.html", "four\n");
    site.deploy(&old).success();
    assert_eq!(site.served(), "four\n");

    // `rollback` brings the previous deploy's files back.
    let run = Homectl::with_inventory(&site.inventory)
        .args(["rollback", site.node, "stack:site"])
        .run();
    run.success();
    assert_eq!(site.served(), "two\n", "{}", run.all());
    assert_eq!(
        on_node_ok(site.host, &format!("cat {}", live("data/kept"))),
        "mine\n"
    );

    // A file holding a secret's value is refused before any node is touched.
    let password = lab_secrets()
        .into_iter()
        .find(|(path, _)| path.contains("registry/password"))
        .map(|(_, v)| v)
        .expect("the registry password");
    site.write("conf/index.html", &format!("token: {password}\n"));
    let before = site.ids();
    let run = site.deploy(&old);
    run.code(2);
    assert!(run.all().contains("conf/index.html"), "{}", run.all());
    assert!(!run.all().contains(&password));
    assert_eq!(site.ids(), before);
    assert_eq!(site.served(), "two\n");
}

#[test]
fn a_stack_folder_travels_changes_recreate_and_files_roll_back_on_compose_v2() {
    a_stack_folder_on("node-b", true);
}

#[test]
fn a_stack_folder_travels_and_a_changed_file_recreates_on_compose_v1() {
    a_stack_folder_on("node-c", false);
}

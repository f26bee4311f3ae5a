//! The core stack (a backend with a hook before `up`, and a db): a deploy
//! runs the tag, a deploy of one service leaves the db alone, the hook
//! runs before `up`, on Compose v2 and v1.

use super::*;

#[test]
fn deploy_core_runs_the_tag_on_the_core_node() {
    let _lab = lab_lock();
    let tag = old();
    let run = deploy(&["core", "--tag", &tag]);
    run.success();
    eprintln!("deploy core took {:.1}s", run.elapsed.as_secs_f64());
    let all = containers(CORE, CORE_PROJECT);
    assert_eq!(
        all.iter().map(|c| c.service.as_str()).collect::<Vec<_>>(),
        ["backend", "db"],
        "{all:?}"
    );
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    let db = container_of(CORE, CORE_PROJECT, "db");
    assert_eq!(backend.tag(), tag);
    assert_eq!(
        (backend.state.as_str(), backend.health.as_str()),
        ("running", "healthy")
    );
    assert_eq!(db.tag(), "lab-db", "the db stays on its own tag");
    assert_eq!(db.state, "running");
    // The backend answers with the tag's version on the node.
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        tag
    );
    // A switch to another tag, timed.
    let run = deploy(&["core", "--tag", &new()]);
    run.success();
    eprintln!(
        "deploy core (switch of tags) took {:.1}s",
        run.elapsed.as_secs_f64()
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").tag(), new());
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        new()
    );
}

#[test]
fn a_service_deploy_leaves_the_db_alone_and_a_redeploy_recreates_nothing() {
    let _lab = lab_lock();
    let (_, db) = core_at(&old());

    deploy(&["core", "backend", "--tag", &new()]).success();
    let backend = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(backend.tag(), new());
    assert_eq!(
        (backend.state.as_str(), backend.health.as_str()),
        ("running", "healthy")
    );
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db"),
        db,
        "the db container was touched"
    );

    // The same command again: nothing is recreated, and homectl tells.
    deploy(&["core", "backend", "--tag", &new()]).success();
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend").id,
        backend.id,
        "the backend was recreated by a redeploy of what runs"
    );
    let last = history(CORE).pop().unwrap();
    assert!(
        last["detail"].as_str().unwrap().starts_with("unchanged"),
        "{last}"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
    // And of the whole stack too.
    deploy(&["core", "--tag", &new()]).success();
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "backend").id,
        backend.id,
        "the backend was recreated by a redeploy of what runs"
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);

    // Manual rollback: the old tag again.
    deploy(&["core", "backend", "--tag", &old()]).success();
    let back = container_of(CORE, CORE_PROJECT, "backend");
    assert_eq!(back.tag(), old());
    assert_eq!(back.health, "healthy");
    assert_eq!(
        on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/version").trim(),
        old()
    );
    assert_eq!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
}

#[test]
fn the_before_up_hook_runs_before_up() {
    let _lab = lab_lock();
    core_at(&old());
    deploy(&["core", "--tag", &new()]).success();
    // The new backend copied /data/migrations when it started: the hook's
    // line for the new tag is there only if the hook ran before `up`.
    let served = on_node_ok(CORE, "wget -qO- http://127.0.0.1:8000/migrations");
    let last = served.lines().last().unwrap_or("");
    assert!(
        last.starts_with(&format!("{} ", new())),
        "the new backend did not see the hook's migration:\n{served}"
    );
    // No one-off hook container is left behind.
    let left: Vec<Container> = containers(CORE, CORE_PROJECT)
        .into_iter()
        .filter(|c| c.service == "backend" && !c.name.ends_with("backend-1"))
        .collect();
    assert!(left.is_empty(), "hook containers left: {left:?}");
}

#[test]
fn a_service_deploy_leaves_the_db_alone_even_when_its_definition_changed() {
    let _lab = lab_lock();
    let (_, db) = core_at(&old());
    // The compose file now defines the db differently: `deploy core backend`
    // must still not touch it (the hook's one-off container included).
    let dir = tempfile::tempdir().unwrap();
    let inventory = stacks_variant(dir.path(), "core/compose.yml", &[("      DB_PASSWORD: ${DB_PASSWORD}\n    volumes:\n      - db-data:/data", "      DB_PASSWORD: ${DB_PASSWORD}\n      DB_EXTRA: changed\n    volumes:\n      - db-data:/data")]);
    let run = deploy_in(Some(&inventory), &["core", "backend", "--tag", &new()]);
    run.success();
    assert_eq!(container_of(CORE, CORE_PROJECT, "backend").tag(), new());
    assert_eq!(
        container_of(CORE, CORE_PROJECT, "db"),
        db,
        "the db was recreated by a deploy of the backend:\n{}",
        run.all()
    );
    // A deploy of the whole stack does pick the change up.
    deploy_in(Some(&inventory), &["core", "--tag", &new()]).success();
    assert_ne!(container_of(CORE, CORE_PROJECT, "db").id, db.id);
    core_at(&old());
}

#[test]
fn the_core_stack_on_compose_v1_hook_before_up_and_rollback() {
    let _lab = lab_lock();
    // node-c has only Compose v1: `run --rm -T` for the hook, the health
    // url, and the rollback, on the core stack there.
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory_variant(
        dir.path(),
        &[(
            "host = \"workers-c.lab.home.arpa\"\ngroups = [\"workers\"]\nstacks = [\"workers\"]",
            "host = \"workers-c.lab.home.arpa\"\ngroups = [\"core-v1\"]\nstacks = [\"core\"]",
        )],
    );
    let host = host_of("node-c");
    let on_c = |args: &[&str]| deploy_in(Some(&inventory), &[&["node-c"], args].concat());
    on_c(&["--tag", &old()]).success();
    let before = container_of(host, CORE_PROJECT, "backend");
    on_c(&["--tag", &new()]).success();
    let backend = container_of(host, CORE_PROJECT, "backend");
    assert_eq!(
        (backend.tag(), backend.health.as_str()),
        (new().as_str(), "healthy")
    );
    let served = on_node_ok(host, "wget -qO- http://127.0.0.1:8000/migrations");
    assert!(
        served.lines().last().unwrap_or("").starts_with(&new()),
        "the hook did not run before up:\n{served}"
    );
    // Unhealthy: back to the image that ran before, healthy.
    on_c(&["--tag", &old()]).success();
    on_c(&["--tag", "unhealthy"]).code(1);
    let after = container_of(host, CORE_PROJECT, "backend");
    assert_eq!(
        (after.image_id.as_str(), after.health.as_str()),
        (before.image_id.as_str(), "healthy")
    );
    // node-c is a workers node: take the core stack away again.
    on_node_ok(host, &format!("ids=$(docker ps -aq --filter label=com.docker.compose.project={CORE_PROJECT}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null"));
}

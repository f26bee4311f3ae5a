//! Target `diagnostics`: rendering, and no secret in what is rendered.

use homectl::inventory;

use super::scratch::Scratch;

/// The literal planted as a secret; `SECRET_MARK` is the part of it that
/// must never be rendered.
pub const PLANTED_SECRET: &str = "zq7PLANTEDzq7";
const SECRET_MARK: &str = "PLANTED";

/// Secret values planted at the start of a TOML file (inventory or
/// stack.toml): under `[secrets]`, `registry.password`, or a key that
/// looks like a secret. `{}` stands for the secret.
const TOML_PLANTS: [&str; 8] = [
    "[secrets]\nAPI_KEY = \"{}\"\n",
    "[registry]\npassword = \"{}\"\n",
    "passwrod = \"{}\"\n",
    "[env]\nDB_PASSWORD = '{}'\n",
    "env = { API_TOKEN = \"{}\" }\n",
    "[secrets]\nPRIVATE_KEY = \"\"\"\n{}\n\"\"\"\n",
    "[secrets]\nK = {}\n",
    "[secrets]\nPASSWORD = [\"{}\",\n  \"{}\"]\n",
];

/// The same at the start of a compose file.
const YAML_PLANTS: [&str; 4] = [
    "x-env:\n  POSTGRES_PASSWORD: {}\n",
    "x-env:\n  - API_TOKEN={}\n",
    "x-key:\n  private_key: |\n    {}\n    {}\n",
    "x-env: {DB_SECRET: \"{}\"}\n",
];

const VALID_INVENTORY: &str = "name = \"lab\"\n\n[registry]\nserver = \"ghcr.io\"\nusername = \"ci\"\npassword = \"op://v/i/f\"\n\n[nodes.node-a]\nhost = \"a.lab\"\nstacks = [\"app\"]\n";
const VALID_STACK: &str = "images = [\"app\"]\n";
const VALID_COMPOSE: &str = "services:\n  web:\n    image: ${REGISTRY}/app:${IMAGE_TAG}\n";

/// Input: byte 0 picks the file (inventory, stack.toml, compose.yml) and
/// the plant; byte 1 how each `\x01` of the text is widened (1 to 80 K of
/// one of ` `, `é`, `界`, tab), so lines reach columns past 65,535; the
/// rest is the file's text after the plant. The other two files are valid.
/// The project is loaded; an error is rendered graphically, narrated and
/// as JSON: no panic, and the planted secret in none of them.
pub fn check_diagnostics(data: &[u8]) {
    let (Some(&pick), Some(&widen)) = (data.first(), data.get(1)) else {
        return;
    };
    let text = String::from_utf8_lossy(&data[2..]);
    if text.contains(SECRET_MARK) {
        return;
    }
    let filler = [" ", "é", "界", "\t"][usize::from(widen % 4)];
    let text = text.replace(
        '\u{1}',
        &filler.repeat(1024 * (1 + usize::from(widen >> 2) % 80)),
    );
    let file = usize::from(pick % 3);
    let plant = if file == 2 {
        YAML_PLANTS[usize::from(pick / 3) % YAML_PLANTS.len()]
    } else {
        TOML_PLANTS[usize::from(pick / 3) % TOML_PLANTS.len()]
    };
    let planted = format!("{}{text}", plant.replace("{}", PLANTED_SECRET));
    let mut files = [VALID_INVENTORY, VALID_STACK, VALID_COMPOSE].map(str::to_string);
    files[file] = planted;

    let scratch = Scratch::new();
    let paths = [
        "inventory/lab.toml",
        "stacks/app/stack.toml",
        "stacks/app/compose.yml",
    ];
    for (path, content) in paths.iter().zip(&files) {
        let path = scratch.0.join(path);
        let _ = std::fs::create_dir_all(path.parent().expect("a parent"));
        std::fs::write(&path, content).expect("write a scratch file");
    }
    let Err(errors) = inventory::load(&scratch.0.join(paths[0])) else {
        return;
    };
    for err in errors.into_errors() {
        check_rendering_hides_the_secret(err);
    }
}

fn check_rendering_hides_the_secret(err: inventory::ConfigError) {
    let mut renderings = vec![String::new(), String::new(), String::new()];
    let _ = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_wrap_lines(false)
        .render_report(&mut renderings[0], &err);
    let _ = miette::NarratableReportHandler::new().render_report(&mut renderings[1], &err);
    let _ = miette::JSONReportHandler::new().render_report(&mut renderings[2], &err);
    renderings.push(format!("{:?}", miette::Report::new(err)));
    for shown in &renderings {
        assert!(
            !shown.contains(SECRET_MARK),
            "the planted secret is rendered:\n{shown}"
        );
    }
}

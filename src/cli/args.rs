//! The command line as typed: the clap definitions and nothing else (help,
//! completions and the man page are generated from them). Depends on
//! nothing in the crate; `crate::settings` turns these into what the
//! commands take, and `cli::name_completion` attaches the completers of
//! the inventory's names by argument id.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "homectl",
    version,
    about = "Deploy docker compose stacks to homelab nodes over SSH",
    long_about = "Deploy docker compose stacks to homelab LXC containers and VMs over SSH.\n\
                  Agentless: the nodes need sshd, a POSIX shell, Docker and Compose.",
    after_help = "Examples:\n  homectl check\n  homectl preflight\n  homectl -i inventory/lab.toml preflight workers node-b"
)]
pub struct Cli {
    /// The inventory file [default: inventory/homelab.toml]
    #[arg(
        short,
        long,
        global = true,
        env = "HOMECTL_INVENTORY",
        value_name = "PATH"
    )]
    pub inventory: Option<PathBuf>,

    /// Print machine-readable JSON instead of tables and progress lines
    #[arg(long, global = true)]
    pub json: bool,

    /// Say more (repeat for debug output)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Say only what failed
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate the inventory and the stacks locally, without network
    #[command(
        after_help = "Reports every error of every file at once (up to 50), each at \
        file:line:col with its key and a fix, ordered by file and line; exit 2 if there is any. \
        Warnings (`warning: file:line:col: message` on stderr, a `warnings` list with --json) \
        do not change the exit code unless --strict. What is checked: docs/inventory.md, \
        \"What check verifies\".\n\n\
        Examples:\n  homectl check\n  homectl -i inventory/lab.toml check\n  homectl check --strict --json"
    )]
    Check {
        /// Treat warnings as errors (exit 2 if there is any)
        #[arg(long)]
        strict: bool,
    },
    /// Check nodes, registry and secrets before a deploy
    #[command(
        after_help = "Checks per node, in parallel: DNS, SSH (host key), Docker, Compose, curl/wget \
        where a stack probes a url, registry login from the node, the image tag in the registry, \
        stack files. Locally once: every secret reference resolves (values are never shown).\n\n\
        Examples:\n  homectl preflight\n  homectl preflight workers node-b --tag 3f2c1d0"
    )]
    Preflight(TargetArgs),
    /// Pull and start the selected stacks or services at a tag
    #[command(
        after_help = "Two phases on all selected nodes in parallel. Prepare: connect, lock, stage \
        the stack files, registry login on a tmpfs, pull; if any node fails here, nothing changes \
        anywhere. Apply: before_up hooks, `up -d` with the profiles for the scale, wait for health \
        (roll back to the previous images if it fails), record in the node's history.\n\n\
        A redeploy of what already runs is skipped on that node (recorded as unchanged): same \
        compose file, plan, env and secrets as its last successful deploy, every service running \
        and healthy as that deploy left it, and the tag still naming the same images in the \
        registry (a tag pushed again is pulled and deployed). --force runs every step anyway.\n\n\
        --dry-run prints each node's plan, first the summary `homectl plan` shows as far as it can \
        tell without the node, then its remote commands (secrets as ***), and contacts no node: \
        without --scale it shows the inventory's scale (`homectl plan` asks the nodes).\n\n\
        Examples:\n  homectl deploy core\n  homectl deploy core backend --tag 3f2c1d0\n  \
        homectl deploy workers node-b --scale 2\n  homectl deploy all --dry-run"
    )]
    Deploy(DeployArgs),
    /// Say what a deploy would change, per node and stack; change nothing
    #[command(
        after_help = "Read-only: no lock, one connection per node, all nodes at once. Asks each \
        node what runs (images and digests, the stack files' version, the last deploy's record) \
        and the registry, from the node, what the tag names (a digest; nothing is pulled), then \
        plans as `deploy` would and prints per node and stack: images `name:tag@digest -> \
        name:tag@digest`, stack files added, changed and removed, the env and secret names whose \
        values changed (never a value), the scale and the replicas started or removed, the \
        services that would be recreated, the hooks that would run; or `no change` exactly when a \
        deploy would skip the stack. Exit 0 (1 if a node cannot be asked). --json: one document.\n\n\
        Examples:\n  homectl plan core\n  homectl plan core backend --tag 3f2c1d0\n  \
        homectl plan workers node-b --scale 1\n  homectl plan all --json"
    )]
    Plan(PlanArgs),
    /// What runs on the selected nodes: tags, digests, state, health, scale
    #[command(
        after_help = "Read from the nodes' real Compose state (by labels) and their history. \
        A node that does not answer is shown as unreachable; the others are still listed (exit 1). \
        Each node's strays follow: compose projects that run there although the inventory does not \
        assign them to it, homectl's (removed with `homectl down NODE stack:S`) or not (left alone).\n\n\
        Examples:\n  homectl status\n  homectl status workers\n  homectl status core backend --json"
    )]
    Status(SelectArgs),
    /// The nodes' deploy records, newest first
    #[command(
        after_help = "Examples:\n  homectl history\n  homectl history node-a -n 5\n  homectl history --json"
    )]
    History {
        /// A group, a node, or `all` [default: all]
        target: Option<String>,
        /// How many records to show
        #[arg(short = 'n', long = "limit", default_value_t = 20, value_name = "N")]
        limit: usize,
    },
    /// Stream the containers' logs of a node
    #[command(
        after_help = "Ctrl-C ends the stream; nothing keeps running on the node. Known secret \
        values in the output are shown as ***.\n\n\
        Examples:\n  homectl logs node-a backend -f\n  homectl logs node-b --tail 50"
    )]
    Logs(LogsArgs),
    /// Run a command in a service's running container
    #[command(
        after_help = "The container is the service's compose replica 1 (--replica N for another); \
        for a swarm stack, a task of the service on that node (--replica N: the task of slot N). \
        stdout and stderr are streamed (known secret values as ***); the exit code is the \
        command's. -it gives an interactive terminal through the SSH connection. Where two of the \
        node's stacks define the service, stack:S says which.\n\n\
        Examples:\n  homectl exec node-a backend -- cat /app/version\n  \
        homectl exec node-a backend -it -- sh\n  \
        homectl exec node-b backtest-worker-1 --replica 1 -- sh -c 'ls /data'"
    )]
    Exec(ExecArgs),
    /// Run a command in a new one-off container of a service, removed after
    #[command(
        after_help = "Like a before_up hook: the deployed compose file and image on the node, the \
        stack's and the node's env, the secrets sent over the SSH channel's stdin (never in an \
        argv or a file), `run --rm -T --no-deps` (nothing that runs is changed). Output has \
        secret values masked as *** (every other byte unchanged); --raw passes the bytes exactly, \
        unmasked. The exit code is the command's.\n\n\
        Examples:\n  homectl run node-a backend -- alembic downgrade -1\n  \
        homectl run node-a db --raw -- pg_dump -Fc ktrdr > dump.sql\n  \
        homectl run node-a stack:core backend -- env"
    )]
    Run(RunArgs),
    /// Restart the selected services in place and wait for their health
    #[command(
        after_help = "The same containers are restarted (no pull, no new image, no new \
        configuration), then homectl waits for their health as a deploy does. Takes each node's \
        lock; recorded in the history as \"restart\" (not a new version). TARGET is required.\n\n\
        Examples:\n  homectl restart core backend\n  homectl restart node-b\n  \
        homectl restart workers backtest-worker-1"
    )]
    Restart(RestartArgs),
    /// Stop and remove the selected stacks' or services' containers
    #[command(
        after_help = "Volumes are kept. Asks for confirmation on a terminal; elsewhere --yes \
        is required (exit 2 without it). `down NODE stack:S` also removes a stray of homectl's: \
        stack S still running on NODE though the inventory no longer assigns it there (NODE's \
        history has S); a project homectl did not deploy is refused (exit 2).\n\n\
        Examples:\n  homectl down workers node-c --yes\n  homectl down core backend\n  \
        homectl down node-c stack:workers --yes"
    )]
    Down(DownArgs),
    /// Remove old images and stack file versions from the nodes
    #[command(
        after_help = "Per node and stack, keeps the images and stack file versions of the last \
        N distinct versions the stack ran successfully (--keep, else the inventory's `keep`, \
        default 3; an unchanged redeploy or a restart is no new version) and whatever runs, so \
        `rollback` within N needs no registry. Removes older images that homectl pulled for that \
        stack (never one another stack keeps, a container uses, or one tagged by hand) and older \
        file versions, and says what it freed. Takes each node's lock; --dry-run takes none and \
        removes nothing. A successful deploy prunes by itself. See docs/operations.md, \"Pruning\".\n\n\
        Examples:\n  homectl prune all --dry-run\n  homectl prune core\n  homectl prune workers --keep 5"
    )]
    Prune(PruneArgs),
    /// Go back to the images that ran before the last deploy
    #[command(
        after_help = "Without --to: the images that ran before the last successful deploy of \
        the selected services, by image id and digest from each node's history (a tag pushed again \
        with other content cannot change what comes back; an image no longer on the node is pulled \
        by digest). With --to T: the images of tag T. Otherwise a deploy: two phases, lock, health \
        wait, history record marked \"rollback\". No earlier record: exit 1.\n\n\
        Examples:\n  homectl rollback core\n  homectl rollback core backend\n  homectl rollback workers --to 3f2c1d0"
    )]
    Rollback(RollbackArgs),
    /// End a lock whose holder lingers on a node
    #[command(
        after_help = "A deploy holds its node's lock for as long as its SSH connection and the \
        step in flight last, so a killed deploy needs no unlock. This is for the rare holder that \
        lingers (a network partition sshd has not noticed yet): it names the holder and ends it.\n\n\
        Examples:\n  homectl unlock node-b"
    )]
    Unlock {
        /// The node whose lock to end
        node: String,
    },
    /// The effective configuration per node and stack: env with sources, secrets by reference
    #[command(
        after_help = "Read from the inventory and the stacks only: no node is contacted and no \
        secret is resolved. Per node and stack: the compose project, the scale (the inventory's; \
        a deploy without --scale keeps what the node runs), the environment of the compose process \
        with the source of each value (homectl, then the stack's [env], then the node's env, which \
        wins), the secrets by name and reference (never a value), health, hooks, and the files a \
        deploy ships.\n\n\
        Examples:\n  homectl config\n  homectl config workers node-b\n  homectl config core --json"
    )]
    Config(TargetArgs),
    /// Scaffold an inventory and stacks for the reference topology
    #[command(
        after_help = "Writes DIR/inventory/homelab.toml and DIR/stacks/{core,workers}/{stack.toml,compose.yml}: \
        one core node (database, backend, a migration hook) and two worker nodes (workers scaled by \
        profiles scale-2 and scale-3), secrets as op:// references, images on ghcr.io. The files are \
        commented. Never overwrites: if any of them exists, it names them all, writes nothing and \
        exits 2.\n\n\
        --ci github also writes .github/workflows/homectl.yml: `homectl check` on pull requests; \
        on pushes to main, preflight then a deploy of each group at the commit's SHA (cut to \
        tag_length), with the JSON reports kept as an artifact. See docs/real-homelab.md.\n\n\
        Examples:\n  homectl init\n  homectl init ~/homelab && cd ~/homelab && homectl check\n  \
        homectl init ~/homelab --ci github"
    )]
    Init(InitArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    #[command(
        after_help = "Examples:\n  homectl completions bash > /etc/bash_completion.d/homectl\n  \
        homectl completions zsh > \"${fpath[1]}/_homectl\"\n  \
        homectl completions fish > ~/.config/fish/completions/homectl.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page, or write a page per command into a folder
    #[command(
        after_help = "Examples:\n  homectl man | man -l -\n  homectl man --dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
}

/// `deploy TARGET [NAME...] [--tag T] [--scale N] [--dry-run] [--no-rollback]`
#[derive(Args, Debug, Clone)]
pub struct DeployArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Run N replicas (profiles scale-2..scale-N) [default: the current scale]
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
    /// Print each node's plan and remote commands (secrets as ***); contact no node, change nothing (with --json: one JSON document)
    #[arg(long)]
    pub dry_run: bool,
    /// Keep the new images even if the health check fails
    #[arg(long)]
    pub no_rollback: bool,
    /// Run every step (pull, hooks, up, health) even where nothing changed
    #[arg(long)]
    pub force: bool,
}

/// `plan TARGET [NAME...] [--tag T] [--scale N]`
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Plan for N replicas [default: the current scale]
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
}

/// TARGET [NAME...] [--tag T]: which nodes, stacks and services, at which tag.
#[derive(Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// A group, a node, or `all` [default: all]
    pub target: Option<String>,
    /// Narrow to nodes, stacks or services (`node:X`, `stack:X`, `service:X` when ambiguous)
    pub names: Vec<String>,
    /// Image tag [default: git HEAD of the current folder]
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
}

/// `rollback TARGET [NAME...] [--to T]`
#[derive(Args, Debug, Clone)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub target: RequiredTargetArgs,
    /// Go back to this tag instead of the images before the last deploy
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// Keep the images even if the health check fails
    #[arg(long)]
    pub no_rollback: bool,
}

/// `logs NODE [SERVICE] [-f] [--tail N]`
#[derive(Args, Debug, Clone)]
pub struct LogsArgs {
    /// The node
    pub node: String,
    /// Only this service
    pub service: Option<String>,
    /// Keep streaming new lines
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines of each container
    #[arg(long, value_name = "N")]
    pub tail: Option<u32>,
}

/// `exec NODE [stack:S] SERVICE [-it] [--replica N] -- CMD...`
#[derive(Args, Debug, Clone)]
pub struct ExecArgs {
    /// The node
    pub node: String,
    /// `[stack:S] SERVICE`: the service (stack:S where two stacks define it)
    #[arg(required = true, num_args = 1..=2, value_name = "SERVICE")]
    pub service: Vec<String>,
    /// An interactive terminal: `-it` (as docker's), `-t` or `--tty`
    #[arg(short = 't', long = "tty", visible_alias = "interactive")]
    pub tty: bool,
    /// The compose replica (container number) of the service [default: 1];
    /// of a swarm stack, the task's slot [default: any task on the node]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub replica: Option<u32>,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `run NODE [stack:S] SERVICE [--raw] -- CMD...`
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The node
    pub node: String,
    /// `[stack:S] SERVICE`: the service (stack:S where two stacks define it)
    #[arg(required = true, num_args = 1..=2, value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Pass the output exactly as it comes: secret values are NOT masked
    #[arg(long)]
    pub raw: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `restart TARGET [NAME...]`
#[derive(Args, Debug, Clone)]
pub struct RestartArgs {
    /// A group, a node, or `all` (required: no default)
    #[arg(required = true)]
    pub target: String,
    /// Narrow to nodes, stacks or services (`node:X`, `stack:X`, `service:X` when ambiguous)
    pub names: Vec<String>,
}

/// `prune TARGET [NAME...] [--keep N] [--dry-run]`
#[derive(Args, Debug, Clone)]
pub struct PruneArgs {
    /// A group, a node, or `all` (required: no default)
    #[arg(required = true)]
    pub target: String,
    /// Narrow to nodes or stacks (`node:X`, `stack:X` when ambiguous)
    pub names: Vec<String>,
    /// Versions to keep per stack [default: the inventory's `keep`, else 3]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub keep: Option<u32>,
    /// Say what would be removed; remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `down TARGET [NAME...] [--yes]`
#[derive(Args, Debug, Clone)]
pub struct DownArgs {
    #[command(flatten)]
    pub target: RequiredTargetArgs,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
}

/// TARGET [NAME...]: which nodes, stacks and services.
#[derive(Args, Debug, Clone, Default)]
pub struct SelectArgs {
    /// A group, a node, or `all` [default: all]
    pub target: Option<String>,
    /// Narrow to nodes, stacks or services (`node:X`, `stack:X`, `service:X` when ambiguous)
    pub names: Vec<String>,
}

/// TARGET [NAME...] for the commands that change what runs and have no
/// default: none of them means every node unless it says `all`.
#[derive(Args, Debug, Clone, Default)]
pub struct RequiredTargetArgs {
    /// A group, a node, or `all` (required)
    pub target: String,
    /// Narrow to nodes, stacks or services (`node:X`, `stack:X`, `service:X` when ambiguous)
    pub names: Vec<String>,
}

/// `init [DIR] [--ci github]`
#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// The folder to scaffold in (created if missing)
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Also write a CI workflow: `check` on pull requests, preflight and deploy on main
    #[arg(long, value_enum, value_name = "CI")]
    pub ci: Option<CiKind>,
}

/// The CI systems `init --ci` writes a workflow for.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiKind {
    /// .github/workflows/homectl.yml for GitHub Actions
    Github,
}

/// `completions SHELL`
#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `man [--dir DIR]`
#[derive(Args, Debug, Clone)]
pub struct ManArgs {
    /// Write homectl.1 and a page per command (homectl-deploy.1, ...) into DIR
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

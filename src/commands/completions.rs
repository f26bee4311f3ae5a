//! `homectl completions SHELL` and `homectl man`: generated from the clap
//! definitions in src/cli.rs, so they always match the real command line.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, GlobalOptions, ManArgs};
use crate::error::{Error, Result};

/// The completion script for a shell, on stdout. It asks homectl itself
/// for candidates (clap_complete's dynamic completion), so commands, flags
/// and the inventory's names all complete (docs/getting-started.md).
pub fn completions(global: &GlobalOptions, args: &CompletionsArgs) -> Result<i32> {
    use clap_complete::env::EnvCompleter;
    use clap_complete::Shell;
    let shell: &dyn EnvCompleter = match args.shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::PowerShell => &clap_complete::env::Powershell,
        other => return Err(Error::usage(format!("no completion for {other}"))),
    };
    // The script calls this very binary back, by its full path.
    let completer = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "homectl".to_string());
    let mut out = Vec::new();
    shell
        .write_registration(
            crate::commands::name_completion::COMPLETE_VAR,
            "homectl",
            "homectl",
            &completer,
            &mut out,
        )
        .map_err(|e| Error::runtime(format!("cannot write the completion script: {e}")))?;
    global.printer().out(&String::from_utf8_lossy(&out));
    Ok(0)
}

/// The man page homectl(1) on stdout, or with `--dir`, homectl(1) and a
/// page for each command (homectl-deploy(1), ...) written into a folder.
pub fn man(global: &GlobalOptions, args: &ManArgs) -> Result<i32> {
    let command = Cli::command();
    match &args.dir {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .map_err(|e| Error::runtime(format!("cannot render the man page: {e}")))?;
            global.printer().out(&String::from_utf8_lossy(&out));
        }
        Some(dir) => {
            write_pages(command, dir).map_err(|e| {
                Error::runtime(format!(
                    "man: cannot write the pages into {}: {e}",
                    dir.display()
                ))
            })?;
            global
                .printer()
                .info(&format!("man pages written to {}", dir.display()));
        }
    }
    Ok(0)
}

fn write_pages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command, dir)
}

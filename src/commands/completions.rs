//! `homectl completions SHELL` and `homectl man`: generated from the clap
//! definitions in src/cli.rs, so they always match the real command line.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, GlobalOptions, ManArgs};
use crate::error::{Error, Result};

/// The completion script for a shell, on stdout.
pub fn completions(global: &GlobalOptions, args: &CompletionsArgs) -> Result<i32> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "homectl", &mut out);
    global.printer().out_raw(&String::from_utf8_lossy(&out));
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
            global.printer().out_raw(&String::from_utf8_lossy(&out));
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

//! `vigil`: the command line of Vigil's engine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use vigil_demo::{DemoOptions, DemoSummary};

#[derive(Parser)]
#[command(name = "vigil", version, about = "Vigil, the hospital security console: engine, demo and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the demo hospital (the product brief's reference site) in a data directory.
    Demo {
        /// Where the workstation keeps its database and vigil.toml.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Number of campuses: 1 is the reference hospital, 20 a hospital group of ≈ 64,000 devices.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(DemoOptions::MAX_SCALE)))]
        scale: u32,
        /// Seed of the generator; the same seed and scale always give the same hospital.
        #[arg(long, default_value_t = DemoOptions::DEFAULT_SEED)]
        seed: u64,
        /// Replace the Vigil database in a directory that is not empty.
        #[arg(long)]
        force: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vigil: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo { data_dir, scale, seed, force, json } => {
            let started = Instant::now();
            let summary = vigil_demo::create_demo(&data_dir, DemoOptions { scale, seed }, force)?;
            vigil_api::Settings::load_or_create(&data_dir)?;
            print_demo(&data_dir, &summary, started.elapsed().as_secs_f64(), json);
            Ok(())
        }
    }
}

fn print_demo(dir: &std::path::Path, s: &DemoSummary, seconds: f64, json: bool) {
    if json {
        let value = serde_json::json!({
            "data_dir": dir,
            "sites": s.sites,
            "buildings": s.buildings,
            "floors": s.floors,
            "cameras": s.devices.cameras,
            "alarm_points": s.devices.alarm_points,
            "mobile_alarm_points": s.devices.mobile_alarm_points,
            "checkpoints": s.devices.checkpoints,
            "devices": s.devices.total(),
            "guards": s.guards,
            "accounts": s.accounts,
            "seconds": seconds,
        });
        println!("{value}");
    } else {
        println!("Demo hospital created in {} ({seconds:.1} s)", dir.display());
        println!("  {} campus(es), {} buildings, {} floors", s.sites, s.buildings, s.floors);
        println!(
            "  {} cameras, {} fixed alarm points, {} mobile alarm points, {} patrol checkpoints",
            s.devices.cameras, s.devices.alarm_points, s.devices.mobile_alarm_points, s.devices.checkpoints
        );
        println!(
            "  {} guards; accounts demo-operator, demo-supervisor, demo-admin (PIN {})",
            s.guards,
            vigil_demo::DEMO_PIN
        );
    }
}

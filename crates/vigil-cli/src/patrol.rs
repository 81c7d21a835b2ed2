//! `vigil import wand` and `vigil export patrol|incidents`: the supervisor's files, made by the
//! same code as the window's import dialog and export buttons.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

#[derive(Subcommand)]
pub enum Import {
    /// Import a patrol-wand export (CSV in UTF-8 or GBK, or XLSX): all rows or none. Prints the
    /// report of rejected rows (exit 1 if the file is refused); --dry-run only reports.
    Wand {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The wand software's export.
        file: PathBuf,
        /// A saved or built-in column mapping (wand-zh, patrol-zh-hant); found from the headers
        /// when left out.
        #[arg(long)]
        mapping: Option<String>,
        /// Read and report; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Report {
    Patrol,
    Incidents,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Pdf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Lang {
    Zh,
    En,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Which report.
    pub what: Report,
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// First day (local date of the site, YYYY-MM-DD), or a shift (2026-11-30/night).
    #[arg(long)]
    pub from: String,
    /// Last day, included (YYYY-MM-DD); left out for a shift.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_enum)]
    pub format: Format,
    #[arg(long)]
    pub out: PathBuf,
    /// Language of the report's labels.
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: Lang,
}

fn actor() -> String {
    format!("{} (vigil cli)", std::env::var("USER").unwrap_or_else(|_| "shell".into()))
}

pub fn import(what: Import) -> anyhow::Result<()> {
    match what {
        Import::Wand { data_dir, file, mapping, dry_run, json } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let ws = vigil_api::Workstation::open(&data_dir)?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut last = 0;
            let mut progress = |done: usize, total: usize| {
                if !json && total >= 10_000 && (done == total || done - last >= total / 10) {
                    last = done;
                    eprintln!("vigil: read {done} of {total} rows");
                }
            };
            let report = ws.import_wand_as(&actor(), &bytes, &name, mapping.as_deref(), dry_run, &mut progress)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{}: {} ({}, mapping {}, {} header row(s)), {} row(s)",
                    report.file, report.format, report.encoding, report.mapping, report.header_rows, report.rows
                );
                for r in &report.rejected {
                    println!("  row {}: {} — {}  | {}", r.row, r.field, r.reason, r.raw);
                }
                if report.refused.is_none() {
                    println!(
                        "{} {} check-in(s), {} already stored; {} at an unknown tag, {} by an unknown person (stored, flagged)",
                        if dry_run { "would store" } else { "stored" },
                        if dry_run { report.rows - report.duplicates } else { report.stored },
                        report.duplicates,
                        report.unknown_tags,
                        report.unknown_guards
                    );
                }
            }
            if let Some(why) = report.refused {
                anyhow::bail!("{}: refused, nothing stored: {why}", report.file);
            }
            Ok(())
        }
    }
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let ws = vigil_api::Workstation::open_for_reading(&args.data_dir)?;
    let range = ws.report_range(&args.from, args.to.as_deref())?;
    let zh = matches!(args.lang, Lang::Zh);
    if let (Report::Patrol, Format::Csv) = (args.what, args.format) {
        // Streamed to the file: a month's log is hundreds of megabytes.
        let file = std::fs::File::create(&args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
        let mut out = ws.export_patrol_csv_to(&range, zh, std::io::BufWriter::new(file))?;
        std::io::Write::flush(&mut out)?;
        println!("{}: {} bytes", args.out.display(), std::fs::metadata(&args.out)?.len());
        return Ok(());
    }
    let bytes = match (args.what, args.format) {
        (Report::Patrol, Format::Csv) => ws.export_patrol_csv(&range, zh)?,
        (Report::Patrol, Format::Pdf) => ws.export_patrol_pdf(&range, zh, &actor())?,
        (Report::Incidents, Format::Csv) => ws.export_incidents_csv(&range, zh)?,
        (Report::Incidents, Format::Pdf) => ws.export_incidents_pdf(&range, zh, &actor())?,
    };
    std::fs::write(&args.out, &bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
    println!("{}: {} bytes", args.out.display(), bytes.len());
    Ok(())
}

//! Importing a patrol wand's export: read with `vigil-wand`, matched to checkpoints and guards,
//! and stored all or none. A file with any row that cannot be read is refused whole, with each
//! such row named; a readable row at an unknown chip or by an unknown person is stored and
//! flagged, never dropped. Each check-in's id derives from the wand, the chip and the time, so
//! the same scan in two overlapping downloads (or the same file imported twice) is stored once.

use vigil_domain::event::{derived_id, CheckInRecorded};
use vigil_domain::patrol::{normalize_tag, Method, Source};
use vigil_store::{CheckInStored, Store};
use vigil_wand::{Mapping, Options, RowProblem};

use crate::patrol::PatrolSite;
use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Workstation};

/// Rows of the file shown before it is stored.
const PREVIEW_ROWS: usize = 20;

/// One row of the preview: what will be stored, and how it matched.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct WandPreviewRow {
    pub row: u32,
    pub written_time: String,
    #[ts(type = "number")]
    pub time: i64,
    pub chip: Option<String>,
    pub checkpoint: Option<String>,
    /// The checkpoint it answers to (code and name), if any.
    pub matched: Option<String>,
    pub person: Option<String>,
    /// The guard's badge, if the person is a known guard.
    pub badge: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct WandRejectedRow {
    pub row: u32,
    pub field: String,
    pub reason: String,
    pub raw: String,
}

/// What an import did (or, for a dry run or a refused file, would not do).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct WandReport {
    pub file: String,
    pub format: String,
    pub encoding: String,
    pub mapping: String,
    pub header_rows: u32,
    pub rows: u32,
    pub stored: u32,
    /// Rows already stored (the same scan in an earlier import).
    pub duplicates: u32,
    pub unknown_tags: u32,
    pub unknown_guards: u32,
    pub dry_run: bool,
    /// Why nothing was stored: rows that cannot be read, or a file that cannot.
    pub refused: Option<String>,
    pub rejected: Vec<WandRejectedRow>,
    pub preview: Vec<WandPreviewRow>,
    /// When no column mapping fits: the headers found, for the user to map to fields.
    pub headers: Vec<String>,
}

/// A column mapping as the window edits it: for each field, the header of its column.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, ts_rs::TS)]
pub struct WandMappingInput {
    /// Named after the wand software it is for.
    pub name: String,
    /// `time`, `date`, `time_of_day`, `reader`, `person`, `checkpoint`, `event`, `chip` → header.
    pub columns: Vec<(String, String)>,
}

/// A saved or built-in mapping, as the window lists it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct WandMappingView {
    pub name: String,
    pub builtin: bool,
    pub columns: Vec<(String, Vec<String>)>,
}

/// A field as the window names it: `time_of_day` (serde's name).
fn field_key(f: vigil_wand::Field) -> String {
    serde_json::to_value(f).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn rejected(p: &RowProblem) -> WandRejectedRow {
    WandRejectedRow {
        row: p.row as u32,
        field: p.field.name().to_owned(),
        reason: p.reason.clone(),
        raw: p.raw.clone(),
    }
}

fn refusal(file: &str, why: String) -> WandReport {
    WandReport {
        file: file.to_owned(),
        format: String::new(),
        encoding: String::new(),
        mapping: String::new(),
        header_rows: 0,
        rows: 0,
        stored: 0,
        duplicates: 0,
        unknown_tags: 0,
        unknown_guards: 0,
        dry_run: true,
        refused: Some(why),
        rejected: Vec::new(),
        preview: Vec::new(),
        headers: Vec::new(),
    }
}

impl Workstation {
    /// Saved column mappings (per wand software), then the built-in ones.
    pub fn wand_mappings(&self) -> Result<Vec<Mapping>, ApiError> {
        let mut out: Vec<Mapping> = match self.store().setting("wand.mappings")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| ApiError::new(ErrorCode::Settings, format!("saved wand mappings cannot be read: {e}")))?,
            None => Vec::new(),
        };
        for b in Mapping::builtin() {
            if !out.iter().any(|m| m.name == b.name) {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// The mappings the import dialog offers, saved ones first.
    pub fn wand_mapping_views(&self) -> Result<Vec<WandMappingView>, ApiError> {
        let builtin: Vec<String> = Mapping::builtin().into_iter().map(|m| m.name).collect();
        Ok(self
            .wand_mappings()?
            .into_iter()
            .map(|m| WandMappingView {
                builtin: builtin.contains(&m.name),
                columns: m.columns.iter().map(|(f, h)| (field_key(*f), h.clone())).collect(),
                name: m.name,
            })
            .collect())
    }

    /// Saves a mapping the window edited: each field named, with its column's header.
    pub fn save_wand_mapping_input(&self, who: SessionToken, input: WandMappingInput) -> Result<(), ApiError> {
        let name = input.name.trim().to_owned();
        if name.is_empty() {
            return Err(ApiError::field(ErrorCode::Invalid, "name", "name the mapping after its wand software"));
        }
        let mut columns: Vec<(vigil_wand::Field, &[&str])> = Vec::new();
        let headers: Vec<(vigil_wand::Field, [&str; 1])> = input
            .columns
            .iter()
            .filter(|(_, h)| !h.trim().is_empty())
            .map(|(f, h)| {
                vigil_wand::Field::ALL
                    .into_iter()
                    .find(|x| field_key(*x) == *f)
                    .map(|field| (field, [h.as_str()]))
                    .ok_or_else(|| ApiError::field(ErrorCode::Invalid, "columns", format!("no field named {f}")))
            })
            .collect::<Result<_, _>>()?;
        for (field, h) in &headers {
            columns.push((*field, &h[..]));
        }
        self.save_wand_mapping(who, Mapping::new(&name, &columns))
    }

    /// Saves (or replaces) a column mapping under its name.
    pub fn save_wand_mapping(&self, who: SessionToken, mapping: Mapping) -> Result<(), ApiError> {
        let actor = self.actor(who, Need::Supervisor)?;
        mapping.check().map_err(|e| ApiError::field(ErrorCode::Invalid, "mapping", e))?;
        let mut saved: Vec<Mapping> = match self.store().setting("wand.mappings")? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => Vec::new(),
        };
        saved.retain(|m| m.name != mapping.name);
        let name = mapping.name.clone();
        saved.push(mapping);
        let json = serde_json::to_string(&saved).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))?;
        self.write(move |tx| vigil_store::write::set_setting(tx, "wand.mappings", &json))?;
        self.record_as(&actor.name, "patrol.wand_mapping.save", &name, serde_json::json!({}))
    }

    /// Imports a wand export as `who`.
    pub fn import_wand(
        &self,
        who: SessionToken,
        bytes: &[u8],
        file: &str,
        mapping: Option<&str>,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<WandReport, ApiError> {
        let actor = self.actor(who, Need::Operator)?;
        self.import_wand_as(&actor.name, bytes, file, mapping, dry_run, progress)
    }

    /// [`Workstation::import_wand`] for `vigil import wand` (the actor is the shell user).
    pub fn import_wand_as(
        &self,
        actor: &str,
        bytes: &[u8],
        file: &str,
        mapping: Option<&str>,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<WandReport, ApiError> {
        let mut options = Options::new(self.settings().patrol.zone());
        if let Some(name) = mapping {
            let found = self.wand_mappings()?.into_iter().find(|m| m.name == name);
            let Some(m) = found else {
                return Err(ApiError::field(ErrorCode::NotFound, "mapping", format!("no column mapping named {name}")));
            };
            options = options.with_mapping(m);
        }
        let parsed = match vigil_wand::read(bytes, file, &options, progress) {
            Ok(p) => p,
            Err(e) => {
                let mut report = refusal(file, e.to_string());
                if let vigil_wand::Refusal::UnknownLayout { headers, .. } = e {
                    report.headers = headers.into_iter().filter(|h| !h.trim().is_empty()).collect();
                }
                return Ok(report);
            }
        };
        let site = PatrolSite::load(&self.store())?;
        let by_name: std::collections::HashMap<String, String> = self
            .store()
            .guards()?
            .into_iter()
            .flat_map(|g| [(g.name.clone(), g.badge.clone()), (g.badge.clone(), g.badge)])
            .collect();
        let by_checkpoint_name: std::collections::HashMap<String, &vigil_store::CheckpointRow> = site
            .checkpoints
            .values()
            .flat_map(|c| [(c.name_zh.clone(), c), (c.name_en.clone(), c), (c.code.clone(), c)])
            .collect();
        let received = Store::now_ms();
        let file_hash: String = vigil_store::sha256_hex(bytes)[..16].to_owned();
        let import = derived_id("wand-import", &file_hash, received);
        let mut report = WandReport {
            file: file.to_owned(),
            format: format!("{:?}", parsed.format),
            encoding: parsed.encoding.to_owned(),
            mapping: parsed.mapping.clone(),
            header_rows: parsed.header_rows as u32,
            rows: parsed.rows.len() as u32,
            stored: 0,
            duplicates: 0,
            unknown_tags: 0,
            unknown_guards: 0,
            dry_run,
            refused: None,
            rejected: parsed.rejected.iter().map(rejected).collect(),
            preview: Vec::new(),
            headers: Vec::new(),
        };
        let mut items = Vec::with_capacity(parsed.rows.len());
        for row in &parsed.rows {
            let by_chip = row.chip.as_deref().map(normalize_tag).filter(|t| !t.is_empty());
            let named = row.checkpoint.as_deref().and_then(|n| by_checkpoint_name.get(n.trim())).copied();
            let tag = match (&by_chip, named) {
                (Some(chip), _) => chip.clone(),
                (None, Some(c)) => c.tag.clone(),
                (None, None) => row.checkpoint.clone().unwrap_or_default(),
            };
            let matched = site.by_tag.get(&normalize_tag(&tag)).and_then(|id| site.checkpoints.get(id));
            if matched.is_none() {
                report.unknown_tags += 1;
            }
            let person = row.person.clone().unwrap_or_default();
            let badge = by_name.get(person.trim()).cloned();
            if badge.is_none() {
                report.unknown_guards += 1;
            }
            if report.preview.len() < PREVIEW_ROWS {
                report.preview.push(WandPreviewRow {
                    row: row.row as u32,
                    written_time: row.written_time.clone(),
                    time: row.time_ms,
                    chip: row.chip.clone(),
                    checkpoint: row.checkpoint.clone(),
                    matched: matched.map(|c| format!("{} {}", c.code, c.name_zh)),
                    person: row.person.clone(),
                    badge: badge.clone(),
                });
            }
            // The scan as the file wrote it (never the site's data, which can change between two
            // downloads): wand, chip or checkpoint text, person and time.
            let reader = row.reader.clone().unwrap_or_default();
            let written = row.chip.clone().or_else(|| row.checkpoint.clone()).unwrap_or_default();
            let key = format!("{reader}:{}:{person}:{}", normalize_tag(&written), row.time_ms);
            let body = format!("{key}:{person}:{}", row.event.clone().unwrap_or_default());
            items.push(CheckInRecorded {
                check_in: derived_id("wand-scan", &key, row.time_ms),
                tag,
                guard: badge.unwrap_or(person),
                device: row.reader.clone(),
                method: Method::Wand,
                source: Source::Wand,
                device_time: row.time_ms,
                received,
                reason: None,
                import: Some(import),
                row: Some(row.row as u32),
                body_hash: vigil_store::sha256_hex(body.as_bytes()),
            });
        }
        if !report.rejected.is_empty() {
            report.refused = Some(format!(
                "{} row(s) cannot be read; nothing was stored. Correct them (or the column mapping) and import again.",
                parsed.rejected.iter().map(|p| p.row).collect::<std::collections::BTreeSet<_>>().len()
            ));
            return Ok(report);
        }
        if dry_run {
            return Ok(report);
        }
        let audit = self.audit_as(
            actor,
            "patrol.wand_import",
            &import.to_string(),
            serde_json::json!({ "file": file, "rows": items.len(), "mapping": report.mapping, "sha256_prefix": file_hash }),
        );
        let actor = actor.to_owned();
        let outcome = self.write(move |tx| {
            let stored = vigil_store::write::record_check_ins(tx, &actor, &items, received)?;
            if stored.is_ok() {
                vigil_store::write::append_audit(tx, &audit)?;
            }
            Ok(stored)
        })?;
        match outcome {
            Ok(results) => {
                report.stored = results.iter().filter(|r| **r == CheckInStored::New).count() as u32;
                report.duplicates = results.len() as u32 - report.stored;
            }
            Err(i) => {
                report.refused = Some(format!(
                    "row {} is a scan stored before with other details (person or event); nothing was stored",
                    parsed.rows.get(i).map_or(0, |r| r.row)
                ));
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workstation::tests::demo;

    /// A wand export of the demo's first checkpoints as the vendor software writes it: a Chinese
    /// header and an English one under it, times as text in the site's zone.
    fn export(ws: &Workstation, rows: usize) -> (String, Vec<vigil_store::CheckpointRow>, String) {
        let cps = ws.store().checkpoints().expect("checkpoints");
        let guard = ws.store().guards().expect("guards").remove(0).name;
        let mut csv =
            "巡检时间,巡检器,人员,巡检点,事件,编号\nPatrol Time,ReaderNum,Person,Checkpoint,Event,Chip ID\n".to_owned();
        for i in 0..rows {
            let cp = &cps[i % cps.len()];
            let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
            // The chip written with colons and in lower case, as some wands do.
            let chip: String = cp
                .tag
                .to_lowercase()
                .as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(":");
            csv.push_str(&format!("2026-11-30 {h:02}:{m:02}:{s:02},W01,{guard},{},巡检,{chip}\n", cp.name_zh));
        }
        (csv, cps, guard)
    }

    fn import(ws: &Workstation, bytes: &[u8], name: &str, dry_run: bool) -> WandReport {
        ws.import_wand_as("李强", bytes, name, None, dry_run, &mut |_, _| {}).expect("import ran")
    }

    #[test]
    fn a_good_file_is_previewed_then_stored_once() {
        let (_dir, ws) = demo();
        let (csv, cps, guard) = export(&ws, 120);
        let preview = import(&ws, csv.as_bytes(), "巡更记录.csv", true);
        assert_eq!((preview.rows, preview.header_rows, preview.stored), (120, 2, 0));
        assert_eq!((preview.unknown_tags, preview.unknown_guards), (0, 0));
        assert_eq!(preview.preview[0].matched.as_deref(), Some(format!("{} {}", cps[0].code, cps[0].name_zh).as_str()));
        assert_eq!(ws.store().check_in_count().expect("count"), 0, "a dry run stores nothing");
        let stored = import(&ws, csv.as_bytes(), "巡更记录.csv", false);
        assert_eq!((stored.stored, stored.duplicates, stored.refused.clone()), (120, 0, None));
        let row = ws.store().check_ins_since(0, 1).expect("rows").remove(0);
        assert_eq!((row.record.source, row.record.method), (Source::Wand, Method::Wand));
        let badge = ws.store().guards().expect("guards").into_iter().find(|g| g.name == guard).expect("guard").badge;
        assert_eq!(row.record.guard, badge, "the person's name is matched to the guard's badge");
        // Imported again (or the same scans in the next download): nothing new.
        let again = import(&ws, csv.as_bytes(), "巡更记录-2.csv", false);
        assert_eq!((again.stored, again.duplicates), (0, 120));
        assert_eq!(ws.store().check_in_count().expect("count"), 120);
    }

    #[test]
    fn a_file_with_an_unreadable_row_is_refused_whole_naming_it() {
        let (_dir, ws) = demo();
        let (mut csv, _, _) = export(&ws, 50);
        csv.push_str("昨天晚上,W01,张三,大厅,巡检,0F004EBEFC\n");
        csv.push_str("2026-11-30 23:00:00,W01,张三,未设置,巡检,\n");
        let report = import(&ws, csv.as_bytes(), "bad.csv", false);
        assert!(report.refused.is_some());
        assert_eq!(report.stored, 0);
        let rows: Vec<(u32, &str)> = report.rejected.iter().map(|r| (r.row, r.field.as_str())).collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].0, 53, "numbered as the spreadsheet shows it (two header rows)");
        assert_eq!(ws.store().check_in_count().expect("count"), 0, "never a partial import");
    }

    #[test]
    fn gbk_and_unknown_chips_and_people_are_stored_and_flagged() {
        let (_dir, ws) = demo();
        let (mut csv, _, _) = export(&ws, 10);
        csv.push_str("2026-11-30 23:59:00,W01,临时工,仓库,巡检,FFFFFFFFFF\n");
        let (gbk, _, bad) = encoding_rs::GBK.encode(&csv);
        assert!(!bad);
        let report = import(&ws, &gbk, "old-software.csv", false);
        assert_eq!(report.encoding, "GBK");
        assert_eq!((report.stored, report.unknown_tags, report.unknown_guards), (11, 1, 1));
        assert_eq!(ws.store().check_in_count().expect("count"), 11, "the stray scan is stored, never dropped");
    }

    #[test]
    fn an_unknown_layout_is_refused_naming_what_was_found() {
        let (_dir, ws) = demo();
        let report = import(&ws, "name,when\nx,y\n".as_bytes(), "other.csv", false);
        let why = report.refused.expect("refused");
        assert!(why.contains("name") && why.contains("when"), "{why}");
        assert!(ws.import_wand_as("x", b"a", "f.csv", Some("no-such-mapping"), true, &mut |_, _| {}).is_err());
    }

    #[test]
    fn a_layout_nobody_knew_is_mapped_by_the_user_saved_and_used_for_the_file() {
        let (_dir, ws) = demo();
        let sup = ws.login("demo-supervisor", "2468", None).expect("login").0;
        let tag = ws.store().checkpoints().expect("cps")[0].tag.clone();
        let csv = format!("打卡时刻,卡号,姓名\n2026-11-30 22:05:00,{tag},张三\n2026-11-30 22:35:00,{tag},张三\n");
        let refused = import(&ws, csv.as_bytes(), "new-vendor.csv", true);
        assert!(refused.refused.is_some());
        assert_eq!(refused.headers, ["打卡时刻", "卡号", "姓名"]);
        let input = |columns: &[(&str, &str)]| WandMappingInput {
            name: "某巡更软件 v2".into(),
            columns: columns.iter().map(|(f, h)| ((*f).to_owned(), (*h).to_owned())).collect(),
        };
        // A mapping with no tag column cannot read a check-in: refused, nothing saved.
        assert!(ws.save_wand_mapping_input(sup, input(&[("time", "打卡时刻")])).is_err());
        ws.save_wand_mapping_input(sup, input(&[("time", "打卡时刻"), ("chip", "卡号"), ("person", "姓名")]))
            .expect("saved");
        assert!(ws.wand_mapping_views().expect("views").iter().any(|m| m.name == "某巡更软件 v2" && !m.builtin));
        let report = ws
            .import_wand_as("李强", csv.as_bytes(), "new-vendor.csv", Some("某巡更软件 v2"), false, &mut |_, _| {})
            .expect("import");
        assert_eq!((report.refused, report.stored), (None, 2));
    }
}

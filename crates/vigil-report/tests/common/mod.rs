//! Shared helpers of the report tests: sample data, poppler wrappers, PNG inspection.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;

use vigil_report::*;

pub const GUARDS: &[(&str, &str)] = &[
    ("张伟", "B1024"),
    ("王芳", "B1031"),
    ("李娜", "B1045"),
    ("刘洋", "B1050"),
    ("陈静", "B1062"),
    ("杨磊", "B1077"),
    ("赵敏", "B1081"),
    ("黄强", "B1093"),
    ("周杰", "B1102"),
    ("吴霞", "B1118"),
    ("徐涛", "B1120"),
    ("孙丽", "B1135"),
    ("马超", "B1141"),
    ("朱红", "B1156"),
    ("胡军", "B1163"),
    ("郭静怡", "B1170"),
    ("何伟明", "B1188"),
    ("高翔", "B1192"),
    ("林晓燕", "B1205"),
    ("罗斌", "B1217"),
    ("欧阳建国", "B1223"),
    ("梁志强", "B1238"),
    ("宋雨", "B1240"),
    ("郑凯", "B1251"),
    ("谢婷婷", "B1266"),
];

pub const ROUTES: &[(&str, &str)] = &[
    ("门诊楼夜间巡更线", "门诊楼"),
    ("住院部A栋消防通道", "住院部A栋"),
    ("急诊及发热门诊", "急诊楼"),
    ("地下车库 B1–B2", "地下车库"),
    ("行政楼及配电房", "行政楼"),
];

pub const CHECKPOINTS: &[&str] = &[
    "门诊楼 1F 东侧消防通道",
    "门诊楼 3F 药房后门",
    "住院部A栋 7F 护士站",
    "急诊楼 1F 抢救室外",
    "地下车库 B2 配电间",
    "行政楼 屋顶水箱",
];

/// A header; `signed` adds supervisor sign-off.
pub fn header(lang: Language, range: &str, signed: bool, changed: bool) -> ReportHeader {
    ReportHeader {
        hospital: "市第一人民医院".into(),
        title: String::new(),
        range: range.into(),
        time_zone: "Asia/Shanghai (UTC+8)".into(),
        supervisor: Some("王建国".into()),
        signed_at: signed.then(|| "2026-12-01 08:12".to_string()),
        changed_since_signoff: changed,
        generated_at: "2026-12-01 09:30".into(),
        generated_by: "监控中心 值班员 李明".into(),
        language: lang,
    }
}

pub fn log_line(i: usize) -> LogLine {
    let (guard, badge) = GUARDS[i % GUARDS.len()];
    let (route, _) = ROUTES[i % ROUTES.len()];
    let h = 20 + (i / 60) % 12;
    let (h, m, s) = (h % 24, i % 60, (i * 7) % 60);
    LogLine {
        received: format!("2026-11-30 {h:02}:{m:02}:{s:02}"),
        device_time: format!("2026-11-30 {h:02}:{m:02}:{:02}", (s + 58) % 60),
        guard: guard.into(),
        badge: badge.into(),
        route: route.into(),
        checkpoint: CHECKPOINTS[i % CHECKPOINTS.len()].into(),
        tag: format!("04:A2:{:02X}:{:02X}", i % 256, (i / 256) % 256),
        source: ["handheld nfc", "qr", "wand", "manual"][i % 4].into(),
        outcome: ["准时", "准时", "准时", "迟到", "提前"][i % 5].into(),
        flags: if i.is_multiple_of(17) { "可疑".into() } else { String::new() },
        id: format!("0193a1c2-7e4f-7b2a-9c1d-{i:012x}"),
    }
}

fn line(label: &str, sub: &str, expected: u64, on_time: u64, late: u64) -> ComplianceLine {
    ComplianceLine {
        label: label.into(),
        sub: sub.into(),
        expected,
        on_time,
        late,
        missed: expected.saturating_sub(on_time + late),
    }
}

pub fn exceptions(n: usize) -> Vec<ExceptionLine> {
    let kinds = ["漏检", "迟到", "可疑", "人工"];
    (0..n)
        .map(|i| {
            let (guard, _) = GUARDS[i % GUARDS.len()];
            ExceptionLine {
                at: format!("2026-11-30 {:02}:{:02}", (21 + i) % 24, (i * 13) % 60),
                kind: kinds[i % 4].into(),
                guard: guard.into(),
                route: ROUTES[i % ROUTES.len()].0.into(),
                checkpoint: CHECKPOINTS[i % CHECKPOINTS.len()].into(),
                detail: ["窗口 02:00–02:30 内未打卡", "迟到 12 分钟", "设备时间与服务器相差 9 分钟", "标签损坏，人工补录"][i % 4].into(),
                explanation: match i % 3 {
                    0 => Some("抢救室外发生医患纠纷，张伟被调往急诊楼协助维持秩序，约 40 分钟后返回继续巡更；已由值班班长现场确认，并在交班记录中登记。".into()),
                    1 => Some("Reader at gate 3 was faulty; guard used the QR backup, logged at the control room.".into()),
                    _ => None,
                },
                explained_by: (i % 3 == 0).then(|| "王建国".to_string()),
            }
        })
        .collect()
}

/// A night shift with `log` check-ins and `guards` guards.
pub fn patrol(lang: Language, log: usize, guards: usize, days: usize) -> PatrolReport {
    let by_guard = GUARDS
        .iter()
        .take(guards)
        .enumerate()
        .map(|(i, (g, b))| line(g, b, 40, 40 - (i as u64 * 3) % 19, (i as u64) % 3))
        .collect();
    let by_route = ROUTES.iter().enumerate().map(|(i, (r, b))| line(r, b, 24, 22 - i as u64, 1)).collect();
    let by_shift = vec![line("夜班", "20:00–08:00", 72, 66, 3), line("白班", "08:00–20:00", 48, 47, 1)];
    let by_day =
        (0..days).map(|d| line(&format!("2026-11-{:02}", d + 1), "", 120, 120 - (d as u64 * 7) % 31, 2)).collect();
    PatrolReport {
        header: header(
            lang,
            if days > 1 { "2026-11-01 – 2026-11-30" } else { "2026-11-30 夜班 20:00–08:00" },
            true,
            false,
        ),
        totals: Totals {
            expected: 1234,
            on_time: 1187,
            early: 9,
            late: 23,
            missed: 15,
            out_of_order: 4,
            suspicious: 3,
            manual: 6,
            check_ins: 1258,
            unknown_tags: 2,
        },
        by_day,
        by_guard,
        by_route,
        by_shift,
        exceptions: exceptions(9),
        log: (0..log).map(log_line).collect(),
        log_count: None,
    }
}

pub fn incidents(lang: Language, n: usize) -> IncidentReport {
    let points = [
        ("急诊楼 抢救室 紧急按钮", "急诊楼 1F"),
        ("住院部A栋 7F 护士站 一键报警", "住院部A栋 7F"),
        ("门诊楼 药房 红外探测", "门诊楼 3F"),
        ("地下车库 B2 烟感", "地下车库 B2"),
        ("行政楼 财务室 门磁", "行政楼 2F"),
    ];
    let types = ["紧急求助", "入侵报警", "火警", "设备故障"];
    let incidents = (0..n)
        .map(|i| {
            let (p, bf) = points[i % points.len()];
            let acked = i % 11 != 7;
            IncidentLine {
                opened: format!("2026-11-{:02} {:02}:{:02}", 1 + i % 30, (i * 5) % 24, (i * 17) % 60),
                point: p.into(),
                building_floor: bf.into(),
                alarm_type: types[i % types.len()].into(),
                priority: (1 + i % 3) as u8,
                acknowledged_by: acked.then(|| GUARDS[i % GUARDS.len()].0.to_string()),
                ack_seconds: acked.then_some(((i * 37) % 240 + 8) as i64),
                on_scene_seconds: (acked && i % 5 != 4).then_some(((i * 83) % 560 + 60) as i64),
                closed_by: Some("王建国".into()),
                category: Some(["误报", "已处置", "设备报修"][i % 3].into()),
                closing_note: Some(match i % 4 {
                    0 => "家属情绪激动，保安到场劝离，未造成人员受伤。".to_string(),
                    1 => "Note with, a comma and \"quotes\"\nand a second line".to_string(),
                    2 => "探测器被空调出风口气流误触发，已通知后勤调整探头角度，并于次日复查确认无误报。".to_string(),
                    _ => "=HYPERLINK(\"x\")".to_string(),
                }),
                id: format!("0193a1c2-aaaa-7b2a-9c1d-{i:012x}"),
            }
        })
        .collect();
    IncidentReport { header: header(lang, "2026-11-01 – 2026-11-30", false, false), target_seconds: 300, incidents }
}

/// Whether the report font is installed; prints why a test is skipped when not.
pub fn font_available() -> bool {
    match font_choice() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            false
        }
    }
}

/// `target/report-samples`, created.
pub fn samples_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("report-samples");
    std::fs::create_dir_all(&dir).expect("create target/report-samples");
    dir
}

/// Writes `pdf` as `name.pdf` in the samples directory, and its first page as `name-p1.png`.
pub fn save_sample(name: &str, pdf: &[u8]) -> PathBuf {
    let dir = samples_dir();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write sample pdf");
    let prefix = dir.join(format!("{name}-p1"));
    let out = Command::new("pdftoppm")
        .args(["-r", "110", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .expect("pdftoppm (poppler-utils) must be installed");
    assert!(out.status.success(), "pdftoppm failed: {}", String::from_utf8_lossy(&out.stderr));
    path
}

fn run(cmd: &str, args: &[&str], path: &std::path::Path) -> String {
    let out = Command::new(cmd)
        .args(args)
        .arg(path)
        .args(if cmd == "pdftotext" { &["-"][..] } else { &[][..] })
        .output()
        .unwrap_or_else(|e| panic!("{cmd} (poppler-utils) must be installed: {e}"));
    assert!(out.status.success(), "{cmd} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `pdftotext -layout` of the whole document.
pub fn text(path: &std::path::Path) -> String {
    run("pdftotext", &["-layout"], path)
}

/// `pdftotext -layout` of page `n`.
pub fn page_text(path: &std::path::Path, n: usize) -> String {
    let n = n.to_string();
    run("pdftotext", &["-layout", "-f", &n, "-l", &n], path)
}

pub fn fonts(path: &std::path::Path) -> String {
    run("pdffonts", &[], path)
}

pub fn page_count(path: &std::path::Path) -> usize {
    let info = run("pdfinfo", &[], path);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

/// An RGB raster of one page.
pub struct Raster {
    pub w: usize,
    pub h: usize,
    pub rgb: Vec<u8>,
}

impl Raster {
    pub fn px(&self, x: usize, y: usize) -> (u8, u8, u8) {
        let i = (y * self.w + x) * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Pixels in rows `y0..y1` that are not (nearly) white.
    pub fn ink(&self, y0: usize, y1: usize) -> usize {
        (y0..y1.min(self.h))
            .flat_map(|y| (0..self.w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (r, g, b) = self.px(x, y);
                r < 200 || g < 200 || b < 200
            })
            .count()
    }

    /// Pixels whose colour is within `tol` of `c`.
    pub fn count_color(&self, c: (u8, u8, u8), tol: i32) -> usize {
        (0..self.h)
            .flat_map(|y| (0..self.w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (r, g, b) = self.px(x, y);
                (r as i32 - c.0 as i32).abs() <= tol
                    && (g as i32 - c.1 as i32).abs() <= tol
                    && (b as i32 - c.2 as i32).abs() <= tol
            })
            .count()
    }
}

/// Every page rendered at `dpi` by `pdftoppm` and decoded.
pub fn rasters(path: &std::path::Path, dpi: u32) -> Vec<Raster> {
    let dir = std::env::temp_dir().join(format!(
        "vigil-report-{}-{}",
        std::process::id(),
        path.file_stem().and_then(|s| s.to_str()).unwrap_or("x")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png"])
        .arg(path)
        .arg(dir.join("p"))
        .output()
        .expect("pdftoppm (poppler-utils) must be installed");
    assert!(out.status.success(), "pdftoppm failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("read temp dir").map(|e| e.expect("dir entry").path()).collect();
    files.sort();
    let rasters = files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).expect("read png");
            let decoder = png::Decoder::new(Cursor::new(bytes));
            let mut reader = decoder.read_info().expect("png header");
            let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
            let info = reader.next_frame(&mut buf).expect("png frame");
            assert_eq!(info.color_type, png::ColorType::Rgb, "pdftoppm writes RGB");
            assert_eq!(info.bit_depth, png::BitDepth::Eight);
            buf.truncate(info.buffer_size());
            Raster { w: info.width as usize, h: info.height as usize, rgb: buf }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    rasters
}

/// Asserts that every page of `path` has ink below its header band.
pub fn assert_no_blank_page(path: &std::path::Path) -> Vec<Raster> {
    let pages = rasters(path, 30);
    assert_eq!(pages.len(), page_count(path));
    for (i, p) in pages.iter().enumerate() {
        // Skip the top 10 % (running header) and the bottom 7 % (footer).
        let ink = p.ink(p.h / 10, p.h - p.h * 7 / 100);
        assert!(ink > 100, "page {} of {} looks blank ({ink} ink pixels)", i + 1, path.display());
    }
    pages
}

/// `pdftotext -raw`: content-stream order, and spaces between CJK and digits kept
/// (`-layout` drops the space in "第 1 页" by its CJK word heuristics).
pub fn raw_text(path: &std::path::Path, page: Option<usize>) -> String {
    match page {
        Some(n) => {
            let n = n.to_string();
            run("pdftotext", &["-raw", "-f", &n, "-l", &n], path)
        }
        None => run("pdftotext", &["-raw"], path),
    }
}

/// `s` without any whitespace, to compare `-layout` text whose spacing poppler decides.
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Asserts "第 N 页 / 共 M 页" (or "Page N of M") appears exactly once, on page N.
pub fn assert_page_numbers(path: &std::path::Path, lang: Language) {
    let m = page_count(path);
    let all = raw_text(path, None);
    for n in 1..=m {
        let s = match lang {
            Language::Zh => format!("第 {n} 页 / 共 {m} 页"),
            Language::En => format!("Page {n} of {m}"),
        };
        assert_eq!(all.matches(&s).count(), 1, "{s:?} should appear once in {}", path.display());
        assert!(raw_text(path, Some(n)).contains(&s), "{s:?} should be on page {n}");
        assert!(squash(&page_text(path, n)).contains(&squash(&s)), "-layout text of page {n}");
    }
}

//! Floor-plan and campus images of the demo hospital, drawn as SVG.
//!
//! SVG keeps the Chinese and English room labels sharp at every zoom and each floor a few kilobytes.
//! The palette is dark, like the console: control rooms are dim and the screens are on all night.

use std::fmt::Write;

use vigil_domain::floor_label;

use crate::layout::{BuildingTemplate, FloorLayout, CAMPUS};
use crate::rooms;

const FONT: &str = "'WenQuanYi Micro Hei','Noto Sans CJK SC','Droid Sans Fallback',sans-serif";

/// Escapes text for an SVG text node or attribute.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

pub fn floor_svg(template: &BuildingTemplate, level: i32, layout: &FloorLayout) -> String {
    let (w, h) = (layout.size.width, layout.size.height);
    let mut s = String::with_capacity(12_000);
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}">"##
    );
    s.push_str(r##"<defs><pattern id="steps" width="12" height="12" patternUnits="userSpaceOnUse"><path d="M0 6H12" stroke="#3b4a63" stroke-width="2"/></pattern></defs>"##);
    let _ = write!(s, r##"<rect width="{w}" height="{h}" fill="#0d1526"/>"##);
    let _ = write!(
        s,
        r##"<rect x="30" y="30" width="{}" height="{}" fill="#111c30" stroke="#6b7c99" stroke-width="6"/>"##,
        w - 60,
        h - 60
    );
    for room in &layout.rooms {
        let r = room.rect;
        let kind = room.kind;
        if std::ptr::eq(kind, &rooms::CORRIDOR) {
            let _ = write!(
                s,
                r##"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" fill="#0f192b"/>"##,
                r.x, r.y, r.w, r.h
            );
            continue;
        }
        let fill = if kind.public { "#1a2a45" } else { "#16223a" };
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="#5b6b85" stroke-width="3"/>"##,
            r.x, r.y, r.w, r.h
        );
        // A door onto the corridor: a gap in the wall and its swing.
        let door_w = (r.w * 0.3).clamp(14.0, 40.0);
        let dx = r.x + r.w / 2.0 - door_w / 2.0;
        let on_upper = r.y + r.h / 2.0 < f64::from(h) / 2.0;
        let wall_y = if on_upper { r.y + r.h } else { r.y };
        let swing = if on_upper { -door_w } else { door_w };
        let _ = write!(
            s,
            r##"<path d="M{dx:.1} {wall_y:.1}h{door_w:.1}" stroke="#16223a" stroke-width="5"/><path d="M{dx:.1} {wall_y:.1}v{swing:.1}A{door_w:.1} {door_w:.1} 0 0 {} {:.1} {wall_y:.1}" fill="none" stroke="#44536b" stroke-width="1.5"/>"##,
            if on_upper { 1 } else { 0 },
            dx + door_w
        );
        if std::ptr::eq(kind, &rooms::STAIRS) {
            let _ = write!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="url(#steps)"/>"##,
                r.x + 6.0,
                r.y + 6.0,
                r.w - 12.0,
                r.h - 12.0
            );
        } else if std::ptr::eq(kind, &rooms::LIFTS) {
            let cars = 3;
            let car = (r.w - 20.0) / f64::from(cars);
            for i in 0..cars {
                let cx = r.x + 10.0 + f64::from(i) * car;
                let cy = r.y + 10.0;
                let side = car.min(r.h * 0.35) - 6.0;
                let _ = write!(
                    s,
                    r##"<rect x="{cx:.1}" y="{cy:.1}" width="{side:.1}" height="{side:.1}" fill="none" stroke="#5b6b85" stroke-width="2"/><path d="M{cx:.1} {cy:.1}l{side:.1} {side:.1}M{:.1} {cy:.1}l-{side:.1} {side:.1}" stroke="#3b4a63" stroke-width="1.5"/>"##,
                    cx + side
                );
            }
        }
        let size = (r.w / 7.0).clamp(11.0, 22.0);
        let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
        let _ = write!(
            s,
            r##"<text x="{cx:.1}" y="{:.1}" font-size="{size:.0}" fill="#9fb0c8" text-anchor="middle">{}</text><text x="{cx:.1}" y="{:.1}" font-size="{:.0}" fill="#6f809c" text-anchor="middle">{}</text>"##,
            cy - size * 0.2,
            xml(kind.zh),
            cy + size,
            size * 0.7,
            xml(kind.en)
        );
        if room.number > 0 && !std::ptr::eq(kind, &rooms::STAIRS) {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#56667f">{}</text>"##,
                r.x + 6.0,
                r.y + 16.0,
                room.number
            );
        }
    }
    let _ = write!(
        s,
        r##"<text x="48" y="{}" font-size="26" fill="#c8d3e6">{} {} · {} {}</text>"##,
        h - 44,
        xml(template.zh),
        floor_label(level),
        xml(template.en),
        floor_label(level)
    );
    // A north arrow, since camera headings are given from plan north.
    let _ = write!(
        s,
        r##"<g transform="translate({} 80)"><path d="M0 -30L10 10L0 3L-10 10Z" fill="#9fb0c8"/><text y="30" font-size="16" fill="#9fb0c8" text-anchor="middle">N 北</text></g>"##,
        w - 80
    );
    s.push_str("</svg>");
    s
}

/// The campus overview: roads, gates, car parks and every building's footprint with its name.
pub fn campus_svg(name_zh: &str, name_en: &str, buildings: &[BuildingTemplate]) -> String {
    let (w, h) = (CAMPUS.width, CAMPUS.height);
    let mut s = String::with_capacity(8_000);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}">"##
    );
    let _ = write!(s, r##"<rect width="{w}" height="{h}" fill="#0b1322"/>"##);
    // Green areas, then the ring road and the main avenue.
    for (x, y, gw, gh) in [(120, 120, 520, 300), (120, 820, 560, 520), (1980, 620, 300, 700)] {
        let _ = write!(s, r##"<rect x="{x}" y="{y}" width="{gw}" height="{gh}" rx="30" fill="#0f2a22"/>"##);
    }
    let _ = write!(
        s,
        r##"<rect x="60" y="60" width="{}" height="{}" fill="none" stroke="#26344d" stroke-width="40" rx="40"/>"##,
        w - 120,
        h - 120
    );
    let _ = write!(s, r##"<path d="M1200 {h}V760M60 940H{}" stroke="#26344d" stroke-width="36"/>"##, w - 60);
    let _ = write!(
        s,
        r##"<rect x="320" y="980" width="380" height="300" fill="#141e31" stroke="#2d3b55" stroke-dasharray="10 8"/><text x="510" y="1140" font-size="24" fill="#56667f" text-anchor="middle">停车场 Car park</text>"##
    );
    for (x, label) in [(1200, "南门 (主入口) South gate (main)"), (1740, "急诊入口 Emergency entrance")] {
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="80" height="30" fill="#d97706"/><text x="{x}" y="{}" font-size="22" fill="#fbbf24" text-anchor="middle">{}</text>"##,
            x - 40,
            h - 45,
            h - 60,
            xml(label)
        );
    }
    for b in buildings {
        let f = b.footprint;
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#1a2a45" stroke="#7f93b3" stroke-width="4" rx="6"/><text x="{}" y="{}" font-size="28" fill="#dbe4f3" text-anchor="middle">{}</text><text x="{}" y="{}" font-size="18" fill="#93a4bf" text-anchor="middle">{} · {}–{}F</text>"##,
            f.x,
            f.y,
            f.w,
            f.h,
            f.x + f.w / 2.0,
            f.y + f.h / 2.0 - 4.0,
            xml(b.zh),
            f.x + f.w / 2.0,
            f.y + f.h / 2.0 + 26.0,
            xml(b.en),
            if b.basements > 0 { format!("B{}", b.basements) } else { "1F".to_owned() },
            b.floors
        );
    }
    let _ = write!(
        s,
        r##"<text x="110" y="110" font-size="34" fill="#c8d3e6">{} · {}</text>"##,
        xml(name_zh),
        xml(name_en)
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{layout_floor, BUILDINGS};
    use rand::SeedableRng;

    #[test]
    fn plans_are_well_formed_svg_with_labels_in_both_languages() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let template = &BUILDINGS[0];
        let svg = floor_svg(template, 1, &layout_floor(template, 1, &mut rng));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("挂号收费大厅") && svg.contains("Registration &amp; cashier hall"), "labels are escaped");
        assert!(svg.contains("楼梯间") && svg.contains("电梯厅"));
        let campus = campus_svg("示范医院", "Demo <Hospital>", &BUILDINGS);
        assert!(campus.contains("Demo &lt;Hospital&gt;") && campus.contains("住院一号楼"));
    }
}

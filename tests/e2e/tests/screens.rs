//! The console's screens on the real window: the settings screen comes forward with its key and
//! shows where the engine listens and the demo's DC-09 accounts (never a key); a DC-09 alarm brings
//! the alarm desk to the front without losing what was typed on the settings screen; with twenty
//! open alarms the list shows at least ten whole rows, most urgent first, above the incident panel.
//! Screenshots of both screens in both languages are kept in `target/e2e-shots/`.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{json, Value};
use vigil_demo::{create_demo, dc09_accounts, DemoOptions, DATABASE_FILE};
use vigil_e2e::alarm::{connect, contact_id, send_and_ack};
use vigil_e2e::{workspace_root, Desktop};
use vigil_store::{IncidentFilter, Store};

const INTAKE_TOKEN: &str = "5eed5eed5eed5eed5eed5eed5eed5eed";
const READ_TOKEN: &str = "feedfeedfeedfeedfeedfeedfeedfeed";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screens_switch_by_key_and_every_new_alarm_brings_the_desk_forward() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = DemoOptions::default();
    create_demo(dir.path(), options, false)?;
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    let accounts = dc09_accounts(&store, options.seed)?;
    let addresses = store.dc09_addresses()?;
    ensure!(accounts.iter().any(|a| a.key.is_some()) && accounts.iter().any(|a| a.key.is_none()), "keyed and plain");
    // Twenty-one alarm points on distinct addresses of plain panels (the frames are sent plain).
    let plain: std::collections::HashSet<&str> =
        accounts.iter().filter(|a| a.key.is_none()).map(|a| a.account.as_str()).collect();
    let mut points = Vec::new();
    for (account, zone, point) in &addresses {
        if plain.contains(account.as_str())
            && !points.iter().any(|(a, z, _): &(String, u32, _)| a == account && z == zone)
        {
            points.push((account.clone(), *zone, store.device(*point)?.code.as_str().to_owned()));
        }
        if points.len() == 20 {
            break;
        }
    }
    ensure!(points.len() == 20, "twenty plain demo alarm points");
    drop(store);

    // The demo's accounts as `vigil demo` lists them (keys included), a few with their own
    // supervision, receivers on free loopback ports, and tokens that must never reach the window.
    let mut toml = format!(
        "[http]\nlisten = \"127.0.0.1:0\"\nintake_token = \"{INTAKE_TOKEN}\"\nread_token = \"{READ_TOKEN}\"\n\
         [incidents]\nacknowledge_within_seconds = 600\n\
         [dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n"
    );
    for (n, a) in accounts.iter().enumerate() {
        toml.push_str(&format!("\n[[dc09.accounts]]\naccount = \"{}\"\n", a.account));
        if let Some(key) = &a.key {
            toml.push_str(&format!("key = \"{key}\"\nkey_format = \"{}\"\n", a.key_format));
        }
        if n % 7 == 0 {
            toml.push_str("supervision_seconds = 86400\n");
        }
    }
    std::fs::write(dir.path().join("vigil.toml"), toml)?;
    let shots = workspace_root().join("target/e2e-shots");

    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        let dc09 = desktop.dc09_address().await?;
        // The desk is in front, its timers running; the tabs show their keys.
        screen_is(&desktop, "alarms").await?;
        assert!(desktop.text_content("screen-tab-alarms").await?.contains("F1"));
        assert!(desktop.text_content("screen-tab-settings").await?.contains("F2"));

        // F2: the settings screen. The desk is hidden, not gone, and its timers are paused.
        desktop.press(char::from(Key::F2)).await?;
        screen_is(&desktop, "settings").await?;
        let desk = desktop
            .client
            .execute("return [!!document.querySelector('[data-testid=map]'), window.__vigil.console.timers.running]", vec![])
            .await?;
        assert_eq!(desk, json!([true, false]), "the desk is kept, with its timers paused");

        // Where the engine listens, as its status says.
        desktop
            .wait_for(
                &format!("document.querySelector('[data-testid=listen-dc09-tcp-now]').textContent === '{dc09}'"),
                Duration::from_secs(10),
            )
            .await
            .context("the settings screen shows the DC-09 TCP address the engine listens on")?;
        let listen = desktop.text_content("settings-listen").await?;
        assert!(listen.contains("DC-09") && listen.contains("HTTP"), "{listen}");

        // Every demo account, whether it has a key and how it is written; never the key.
        desktop
            .wait_for(
                &format!("document.querySelectorAll('[data-testid^=settings-account-]').length === {}", accounts.len()),
                Duration::from_secs(10),
            )
            .await
            .context("the settings screen lists every DC-09 account")?;
        let rows: HashMap<String, (String, String)> = serde_json::from_value(
            desktop
                .client
                .execute(
                    "const out = {}; for (const r of document.querySelectorAll('[data-testid^=settings-account-]')) {
                       out[r.cells[0].textContent] = [r.dataset.hasKey, r.cells[2].textContent]; } return out;",
                    vec![],
                )
                .await?,
        )?;
        for a in &accounts {
            let (has_key, format) = rows.get(&a.account).with_context(|| format!("account {} listed", a.account))?;
            assert_eq!(has_key, if a.key.is_some() { "true" } else { "false" }, "account {}", a.account);
            let expected = match (&a.key, a.key_format) {
                (None, _) => "—",
                (Some(_), "text") => "文本",
                (Some(_), _) => "十六进制",
            };
            assert_eq!(format, expected, "key format of {}", a.account);
        }
        let page: String = desktop.client.execute("return document.documentElement.outerHTML", vec![]).await?.as_str().unwrap_or_default().to_owned();
        let view = desktop
            .run_async("const done = arguments[arguments.length - 1]; window.__vigil.api.settingsView().then(v => done(JSON.stringify(v)), e => done(String(e)));", vec![])
            .await?;
        let view = view.as_str().unwrap_or_default();
        assert!(view.contains(&accounts[0].account), "the settings view: {view}");
        for secret in accounts.iter().filter_map(|a| a.key.as_deref()).chain([INTAKE_TOKEN, READ_TOKEN]) {
            assert!(!page.contains(secret), "key material on the page: {secret}");
            assert!(!view.contains(secret), "key material in the settings view: {secret}");
        }
        assert!(desktop.text_content("settings-incidents").await?.contains("600 秒"));
        shot(&desktop, &shots.join("screen-settings-zh.png")).await?;

        // Type a filter, then a DC-09 alarm arrives: the alarm desk comes to the front with its row.
        let typed = points[0].0.clone();
        desktop.testid("settings-filter").await?.send_keys(&typed).await?;
        desktop
            .wait_for(
                &format!(
                    "(() => {{ const rows = [...document.querySelectorAll('[data-testid^=settings-account-]')];
                       return rows.length > 0 && rows.length < {} && rows.every(r => r.cells[0].textContent.includes('{typed}')); }})()",
                    accounts.len()
                ),
                Duration::from_secs(5),
            )
            .await
            .context("the filter narrows the accounts")?;
        let mut panel = connect(dc09).await?;
        let mut sequence = 1;
        send_and_ack(&mut panel, &contact_id(&points[0].0, points[0].1, 130, sequence)).await?;
        let first = open_incidents(dir.path())?.get(&points[0].2).cloned().context("the first alarm's incident")?;
        screen_is(&desktop, "alarms").await.context("a new alarm brings the alarm desk forward")?;
        desktop
            .wait_for(&format!("document.querySelector('[data-testid=alarm-row-{first}]')"), Duration::from_secs(10))
            .await
            .context("the alarm's row is on the desk")?;
        desktop.wait_for("document.querySelector('[data-testid=alarm-strip][data-count=\"1\"]')", Duration::from_secs(5)).await?;
        assert!(desktop.text_content("alarm-strip").await?.contains(&points[0].2), "the strip names the alarm");

        // An account added to vigil.toml meanwhile (the engine re-reads the file).
        let mut file = std::fs::OpenOptions::new().append(true).open(dir.path().join("vigil.toml"))?;
        std::io::Write::write_all(&mut file, b"\n[[dc09.accounts]]\naccount = \"ABC123\"\n")?;
        drop(file);

        // F2 again: what was typed is still there, and the cursor back in the field; the accounts
        // are read again.
        desktop.press(char::from(Key::F2)).await?;
        screen_is(&desktop, "settings").await?;
        desktop
            .wait_for(
                &format!("document.querySelector('[data-testid=settings-accounts-count]').textContent.includes('共 {} 个')", accounts.len() + 1),
                Duration::from_secs(10),
            )
            .await
            .context("the settings screen lists the account added to vigil.toml")?;
        let kept = desktop
            .client
            .execute(
                "const f = document.querySelector('[data-testid=settings-filter]'); return [f.value, document.activeElement === f]",
                vec![],
            )
            .await?;
        assert_eq!(kept, json!([typed, true]), "the filter keeps its text and the focus");
        // The strip goes back to the desk; so do Ctrl+2 and Ctrl+1.
        desktop.testid("alarm-strip").await?.click().await?;
        screen_is(&desktop, "alarms").await?;
        ctrl_digit(&desktop, '2').await?;
        screen_is(&desktop, "settings").await?;
        ctrl_digit(&desktop, '1').await?;
        screen_is(&desktop, "alarms").await?;
        desktop.press(char::from(Key::F2)).await?;
        screen_is(&desktop, "settings").await?;

        // Nineteen more alarms on distinct points, the most urgent (a panic button) last.
        for (n, (account, zone, _)) in points.iter().enumerate().skip(1) {
            sequence += 1;
            let event = if n == points.len() - 1 { 120 } else if n % 2 == 0 { 300 } else { 130 };
            send_and_ack(&mut panel, &contact_id(account, *zone, event, sequence)).await?;
        }
        let incidents = open_incidents(dir.path())?;
        let panic = incidents.get(&points[19].2).cloned().context("the panic's incident")?;
        screen_is(&desktop, "alarms").await?;
        desktop
            .wait_for("document.querySelectorAll('[data-testid=alarm-list] .alarm-row').length === 20", Duration::from_secs(15))
            .await
            .context("twenty rows")?;
        desktop
            .wait_for(&format!("document.querySelector('[data-testid=alarm-row-{panic}].selected')"), Duration::from_secs(10))
            .await
            .context("the panic is selected")?;
        settle(&desktop).await?;
        let layout = desktop
            .client
            .execute(
                "const list = document.querySelector('[data-testid=alarm-list]'); const box = list.getBoundingClientRect();
                 const rows = [...list.querySelectorAll('.alarm-row')];
                 const whole = rows.filter(r => { const b = r.getBoundingClientRect();
                   return b.height > 0 && b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5; });
                 const panel = document.querySelector('[data-testid=incident-panel]').getBoundingClientRect();
                 const column = document.querySelector('.alarm-column').getBoundingClientRect();
                 return { whole: whole.length, first: rows[0].dataset.id, firstWhole: whole[0] === rows[0],
                          priorities: rows.map(r => Number((r.className.match(/\\bp(\\d)\\b/) || [])[1])),
                          list: [box.top, box.bottom], panel: [panel.top, panel.bottom], column: [column.top, column.bottom] };",
                vec![],
            )
            .await?;
        let whole = layout["whole"].as_u64().unwrap_or(0);
        assert!(whole >= 10, "at least ten whole rows in the list's box: {layout}");
        assert_eq!(layout["first"], json!(panic.to_string()), "the panic first: {layout}");
        assert_eq!(layout["firstWhole"], json!(true), "the first row is in view: {layout}");
        let priorities: Vec<u64> = layout["priorities"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
        assert_eq!(priorities.len(), 20, "{layout}");
        assert!(priorities.windows(2).all(|w| w[0] <= w[1]), "most urgent first: {priorities:?}");
        let at = |k: &str, i: usize| layout[k][i].as_f64().unwrap_or(f64::NAN);
        let column = at("column", 1) - at("column", 0);
        assert!(at("list", 1) - at("list", 0) <= 0.6 * column + 1.0, "the list takes at most 60%: {layout}");
        assert!(at("panel", 0) >= at("list", 1) - 1.0, "the panel is below the list: {layout}");
        assert!(at("panel", 1) - at("panel", 0) >= 0.3 * column, "the panel keeps room: {layout}");
        shot(&desktop, &shots.join("screen-alarms-zh.png")).await?;

        // English, from the settings screen: both screens follow.
        desktop.press(char::from(Key::F2)).await?;
        screen_is(&desktop, "settings").await?;
        desktop.testid("settings-language-en").await?.click().await?;
        desktop.wait_for("document.documentElement.lang === 'en'", Duration::from_secs(5)).await?;
        assert!(desktop.text_content("screen-tab-settings").await?.contains("Settings"));
        assert!(desktop.text_content("settings-accounts").await?.contains("Key format"));
        shot(&desktop, &shots.join("screen-settings-en.png")).await?;
        desktop.press(char::from(Key::F1)).await?;
        screen_is(&desktop, "alarms").await?;
        assert!(desktop.text_content("alarm-strip").await?.contains("20"));
        shot(&desktop, &shots.join("screen-alarms-en.png")).await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    result
}

/// The open incidents by their point's code.
fn open_incidents(dir: &std::path::Path) -> Result<HashMap<String, vigil_domain::Id>> {
    let store = Store::open(&dir.join(DATABASE_FILE))?;
    let mut out = HashMap::new();
    for stored in store.incidents(IncidentFilter::Open, 100)? {
        if let Some(device) = stored.device_id {
            out.insert(store.device(device)?.code.as_str().to_owned(), stored.incident.id);
        }
    }
    Ok(out)
}

/// Waits until `id` is the screen in front: its tab marked, its element shown, every other hidden.
async fn screen_is(desktop: &Desktop, id: &str) -> Result<()> {
    desktop
        .wait_for(
            &format!(
                "(() => {{ const s = [...document.querySelectorAll('.screens > .screen')];
                   return s.length === 4 && s.every(e => e.hidden === (e.dataset.testid !== 'screen-{id}'))
                     && document.querySelector('[data-testid=screen-tab-{id}]').classList.contains('active'); }})()"
            ),
            Duration::from_secs(10),
        )
        .await
        .with_context(|| format!("the {id} screen is in front"))?;
    Ok(())
}

/// Ctrl and a digit, as the keyboard sends them.
async fn ctrl_digit(desktop: &Desktop, digit: char) -> Result<()> {
    let ctrl = char::from(Key::Control);
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ctrl })
        .then(KeyAction::Down { value: digit })
        .then(KeyAction::Up { value: digit })
        .then(KeyAction::Up { value: ctrl });
    desktop.client.perform_actions(keys).await?;
    desktop.client.release_actions().await?;
    Ok(())
}

/// Checks the screen in front fits the window (nothing pushed past its edge, nothing scrolled
/// sideways), then saves a screenshot once what the DOM holds is painted.
async fn shot(desktop: &Desktop, path: &std::path::Path) -> Result<()> {
    let fit = desktop
        .client
        .execute(
            "const app = document.getElementById('app'); const bar = document.querySelector('.topbar');
             const screen = document.querySelector('.screens > .screen:not([hidden])');
             return { app: [app.scrollLeft, app.scrollTop], console: document.querySelector('.console').getBoundingClientRect().width,
                      window: innerWidth, header: bar.scrollWidth <= bar.clientWidth + 1,
                      screen: screen.scrollWidth <= screen.clientWidth + 1 };",
            vec![],
        )
        .await?;
    assert_eq!(fit["app"], json!([0, 0]), "nothing scrolled the window's content: {fit}");
    assert!(fit["console"].as_f64() <= fit["window"].as_f64(), "the console fits the window: {fit}");
    assert_eq!(
        (fit["header"].clone(), fit["screen"].clone()),
        (json!(true), json!(true)),
        "header and screen fit: {fit}"
    );
    settle(desktop).await?;
    desktop.screenshot(path).await
}

/// Two painted frames, so a screenshot shows what the DOM holds.
async fn settle(desktop: &Desktop) -> Result<()> {
    desktop
        .run_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await?;
    Ok(())
}

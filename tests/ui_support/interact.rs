//! Acting on the real window and waiting for what follows: the X pointer and keyboard through
//! `xdotool`, the rows, selection and panes read back through AT-SPI, open windows from X.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use super::session::{App, Session};

/// How long a wait for the app may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(40);

/// Clicks the fleet row named `name` with the X pointer, holding `modifier`
/// (an X key name such as "Control_L") if given.
pub fn click_row(session: &Session, app: &App, name: &str, modifier: Option<&str>) {
    let extents = app.must(&["row-extents", name]);
    let [x, y, w, h] = [0, 1, 2, 3].map(|i| extents[i].as_i64().unwrap());
    // Left of the middle: the name cell, away from the Retry button and the column edges.
    let (cx, cy) = ((x + w / 4).to_string(), (y + h / 2).to_string());
    let mut args = vec!["mousemove", cx.as_str(), cy.as_str()];
    if let Some(key) = modifier {
        args.extend(["keydown", key, "click", "1", "keyup", key]);
    } else {
        args.extend(["click", "1"]);
    }
    session.xdotool(&args);
}

/// Clicks the laid-out button `name` inside the accessible group `group` with the X pointer,
/// once it has come to rest: a page sliding in moves its buttons, and a click at where the
/// button was a moment ago misses it.
pub fn click_button(session: &Session, app: &App, group: &str, name: &str) {
    let mut last = None;
    let extents = app.wait_for("the button to come to rest", WAIT, |app| {
        let now = app.must(&["button-extents", group, name]);
        if last.as_ref() == Some(&now) {
            Some(now)
        } else {
            last = Some(now);
            None
        }
    });
    let [x, y, w, h] = [0, 1, 2, 3].map(|i| extents[i].as_i64().unwrap());
    let (cx, cy) = ((x + w / 2).to_string(), (y + h / 2).to_string());
    session.xdotool(&["mousemove", &cx, &cy, "click", "1"]);
}

/// Waits until the selected rows are exactly `names` (in any order).
pub fn wait_for_selection(app: &App, what: &str, names: &[&str]) {
    let mut wanted: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    wanted.sort();
    let mut last = Vec::new();
    let matched = app.try_wait_for(WAIT, |app| {
        let mut selected: Vec<String> = serde_json::from_value(app.must(&["selected"])).unwrap();
        selected.sort();
        last.clone_from(&selected);
        (selected == wanted).then_some(())
    });
    assert!(
        matched.is_some(),
        "{what}: selected {last:?}, wanted {wanted:?}\n{}",
        app.log_tail()
    );
}

/// Waits until a node named `name` is on screen (`true`) or off it (`false`).
pub fn wait_for_showing(app: &App, what: &str, name: &str, wanted: bool) {
    app.wait_for(what, WAIT, |app| {
        (app.must(&["showing", name]) == serde_json::Value::Bool(wanted)).then_some(())
    });
}

/// Waits until `xdotool search --onlyvisible SEARCH…` finds exactly `count` windows. Asked
/// of X, not AT-SPI: walking GTK 4.8's accessible tree while a dialog closes breaks the app's
/// AT-SPI registration (seen: GLib criticals about a NULL object path, then the app is gone
/// from the registry).
pub fn wait_for_x_windows(session: &Session, what: &str, search: &[&str], count: usize) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = std::process::Command::new("xdotool")
            .args(["search", "--onlyvisible"])
            .args(search)
            .envs(session.env())
            .output()
            .expect("xdotool runs");
        let windows = String::from_utf8_lossy(&shown.stdout).lines().count();
        if windows == count {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: {windows} windows shown, wanted {count}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until no window titled `title` is on the X display.
pub fn wait_for_no_window(session: &Session, title: &str) {
    let what = format!("the {title} window to close");
    wait_for_x_windows(session, &what, &["--name", &format!("^{title}$")], 0);
}

/// Waits until the app shows exactly `count` windows on the X display.
pub fn wait_for_visible_windows(session: &Session, app: &App, count: usize) {
    let pid = app.pid().to_string();
    wait_for_x_windows(session, "the app's windows", &["--pid", &pid], count);
}

/// Waits until `read` gives a text containing `needle`; that text. A timeout shows the texts
/// last read.
pub fn wait_for_text(
    app: &App,
    what: &str,
    needle: &str,
    read: impl Fn(&App) -> Vec<String>,
) -> String {
    let mut last_seen = Vec::new();
    let found = app.try_wait_for(WAIT, |app| {
        last_seen = read(app);
        last_seen.iter().find(|text| text.contains(needle)).cloned()
    });
    found.unwrap_or_else(|| {
        panic!(
            "timed out waiting for {what}; last read: {last_seen:?}\n{}",
            app.log_tail()
        )
    })
}

/// Waits for a toast whose title contains `needle`; its title. Toasts leave after a few
/// seconds, so this reads only the toasts, which is quick.
pub fn wait_for_toast(app: &App, what: &str, needle: &str) -> String {
    wait_for_text(app, what, needle, |app| {
        app.toasts()
            .into_iter()
            .filter_map(|texts| texts.into_iter().next())
            .collect()
    })
}

/// Waits for a label anywhere outside the fleet table whose text contains `needle`.
pub fn wait_for_label(app: &App, what: &str, needle: &str) -> String {
    wait_for_text(app, what, needle, App::labels)
}

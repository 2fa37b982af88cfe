//! The window's layout end to end: what the real `hangar` binary shows at its default size and
//! on a narrow screen, read through AT-SPI and driven with the X pointer and keyboard
//! (`xdotool`), against private test-driver daemons.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_support/hosts.rs"]
mod hosts;
#[path = "ui_support/interact.rs"]
mod interact;
#[path = "ui_support/require.rs"]
mod require;
#[path = "ui_support/session.rs"]
mod session;

use std::sync::Mutex;

use hosts::{HangingUpHost, PAUSED, RUNNING, Start, TestHost};
use interact::{WAIT, click_button, click_row, wait_for_label, wait_for_showing};
use session::{App, Session, vm_names};

/// Each test starts an X server, daemons and the app: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn prerequisites() -> bool {
    !require::session_and_hosts_missing() && !require::xdotool_missing()
}

/// Launches the app on `hosts`; returns once it lists every machine they have.
fn launch_on(hosts: &[&TestHost], session: &Session) -> App {
    let uris: Vec<String> = hosts.iter().map(|host| host.uri()).collect();
    let args: Vec<&str> = uris.iter().flat_map(|uri| ["--connect", uri]).collect();
    let app = session.launch(&args);
    let machines: usize = hosts.iter().map(|host| host.machines().len()).sum();
    app.wait_for("the machines", WAIT, |app| {
        (vm_names(&app.rows()).len() == machines).then_some(())
    });
    app
}

/// The fleet's shown column titles, each checked to lie wholly inside the list's visible part.
fn columns_inside_the_list(app: &App) -> Vec<String> {
    let found = app.must(&["columns"]);
    let viewport = &found["viewport"];
    let (left, width) = (viewport[0].as_i64().unwrap(), viewport[1].as_i64().unwrap());
    let mut titles = Vec::new();
    for column in found["columns"].as_array().unwrap() {
        let title = column[0].as_str().unwrap().to_owned();
        let (x, w) = (column[1].as_i64().unwrap(), column[2].as_i64().unwrap());
        assert!(
            x >= left && x + w <= left + width,
            "column {title:?} at {x}..{} lies outside the list's visible {left}..{}: {found}",
            x + w,
            left + width
        );
        titles.push(title);
    }
    titles
}

/// How far the last shown column's title ends short of the list's right edge (negative:
/// beyond it), less the header's padding (the room left of the first title).
fn room_right_of_the_columns(app: &App) -> i64 {
    let found = app.must(&["columns"]);
    let viewport = &found["viewport"];
    let (left, width) = (viewport[0].as_i64().unwrap(), viewport[1].as_i64().unwrap());
    let titles = found["columns"].as_array().unwrap();
    let padding = titles[0][1].as_i64().unwrap() - left;
    let last = &titles[titles.len() - 1];
    left + width - (last[1].as_i64().unwrap() + last[2].as_i64().unwrap()) - padding
}

/// At its default size the window shows a page beside the list, and every column the list
/// shows by default fits beside it (before, only Name and State did, and CPU was cut off). The
/// other columns come from the Columns menu, which works from the keyboard.
#[test]
fn the_default_window_shows_every_default_column_beside_the_page() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites() {
        return;
    }
    let alpha = TestHost::start(
        "ui-columns",
        &[("columns-1", Start::Running), ("columns-2", Start::Off)],
    );
    let beta = TestHost::start("ui-columns-b", &[("columns-3", Start::Off)]);
    let session = Session::start("columns");
    let app = launch_on(&[&alpha, &beta], &session);
    wait_for_showing(&app, "the overview beside the list", "Fleet", true);
    assert_eq!(
        columns_inside_the_list(&app),
        ["Name", "State", "CPU", "Memory"]
    );
    // The name column takes the room the others leave: no empty strip right of Memory (there
    // was one of ≈70 px, GTK 4.8 giving a fixed-width column none of the spare width).
    app.wait_for("the name column to fill the list", WAIT, |app| {
        (room_right_of_the_columns(app).abs() <= 2).then_some(())
    });
    // The one list adds a Host column and still fits (Memory was cut off).
    app.must(&["activate", "win.view-list"]);
    app.wait_for("the one list's Host column", WAIT, |app| {
        let found = app.must(&["columns"]);
        (found["columns"].as_array().unwrap().len() == 5).then_some(())
    });
    assert_eq!(
        columns_inside_the_list(&app),
        ["Name", "Host", "State", "CPU", "Memory"]
    );
    app.wait_for("the one list's name column to fill it", WAIT, |app| {
        (room_right_of_the_columns(app).abs() <= 2).then_some(())
    });
    app.must(&["activate", "win.view-list"]);
    app.wait_for("the tree's columns", WAIT, |app| {
        let found = app.must(&["columns"]);
        (found["columns"].as_array().unwrap().len() == 4).then_some(())
    });

    // Columns → (Tab to) Disk I/O → Space: the column joins the list.
    app.must(&["click", "Columns"]);
    app.wait_for("the Columns menu's focus", WAIT, |app| {
        (app.must(&["focused"]) == "State").then_some(())
    });
    for _ in 0..8 {
        if app.must(&["focused"]) == "Disk I/O" {
            break;
        }
        let before = app.must(&["focused"]);
        session.xdotool(&["key", "Tab"]);
        app.wait_for("the focus to move on", WAIT, |app| {
            (app.must(&["focused"]) != before).then_some(())
        });
    }
    assert_eq!(app.must(&["focused"]), "Disk I/O");
    session.xdotool(&["key", "space"]);
    app.wait_for("the Disk I/O column", WAIT, |app| {
        let found = app.must(&["columns"]);
        let titles: Vec<&str> = found["columns"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c[0].as_str())
            .collect();
        (titles == ["Name", "State", "CPU", "Memory", "Disk I/O"]).then_some(())
    });
    session.xdotool(&["key", "Escape"]);

    // A connection row shows its guests' CPU share under CPU, the column shown by default
    // (it showed only under Host CPU, hidden by default).
    app.wait_for("each connection row's CPU", WAIT, |app| {
        let host_cpu: Vec<String> = app
            .rows()
            .iter()
            .filter(|row| row.host)
            .map(|row| row.cells.get(2).map(|c| c.join(" ")).unwrap_or_default())
            .collect();
        (host_cpu.len() == 2 && host_cpu.iter().all(|text| text.ends_with('%'))).then_some(())
    });

    // Two connection rows alone: the page says what is selected (it said "0 Virtual Machines
    // Selected. On 0 hosts").
    let host_names: Vec<String> = app
        .rows()
        .iter()
        .filter(|row| row.host)
        .map(|row| row.name().to_owned())
        .collect();
    assert_eq!(host_names.len(), 2, "two connection rows: {host_names:?}");
    let mut select = vec!["select"];
    select.extend(host_names.iter().map(String::as_str));
    app.must(&select);
    wait_for_label(&app, "the page of two selected hosts", "2 Hosts Selected");
}

/// A window too narrow for the list and a page side by side shows one at a time: a click on a
/// row slides to its page (also when the row was selected already), whose own buttons act on
/// the machine; Back returns to the list, a failed host's Retry tries again and a host's
/// expander arrow folds it, both without leaving the list, and Fleet Overview slides to the
/// overview.
#[test]
fn a_narrow_window_slides_between_the_list_and_the_pages() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites() {
        return;
    }
    let alpha = TestHost::start(
        "ui-narrow",
        &[("narrow-1", Start::Running), ("narrow-2", Start::Off)],
    );
    // A host that fails to open, for its Retry button.
    let hang_up = HangingUpHost::start();
    let session = Session::start("narrow");
    let alpha_uri = alpha.uri();
    let app = session.launch(&["--connect", &alpha_uri, "--connect", &hang_up.uri()]);
    app.wait_for("the machines and the failed host", WAIT, |app| {
        let rows = app.rows();
        let failed = rows
            .iter()
            .any(|row| row.host && row.name() == "127.0.0.2" && row.state() == "Failed");
        (failed && vm_names(&rows).len() == alpha.machines().len()).then_some(())
    });
    // Wide, the fleet overview shows beside the list.
    wait_for_showing(&app, "the overview beside the list", "Fleet", true);
    // Xvfb has no window manager: the window takes the size asked for.
    let pid = app.pid().to_string();
    let search = [
        "search",
        "--onlyvisible",
        "--pid",
        pid.as_str(),
        "--name",
        ".",
    ];
    session.xdotool(&[&search[..], &["windowsize", "%@", "700", "900"]].concat());
    wait_for_showing(&app, "the list alone on a narrow window", "Fleet", false);

    click_row(&session, &app, "narrow-1", None);
    wait_for_showing(&app, "the machine's page after a click", "Back", true);
    // The fleet's toolbar is out of sight: the page has its own, and its Pause pauses.
    click_button(&session, &app, "Machine Actions", "Pause");
    app.wait_for("libvirt to report the machine paused", WAIT, |_| {
        (alpha.state_of("narrow-1") == PAUSED).then_some(())
    });
    // Resume (a pressed Pause) takes Pause's place, and resumes.
    app.wait_for("Resume in place of Pause", WAIT, |app| {
        let resume = app.atspi(&["button-extents", "Machine Actions", "Resume"]);
        let pause = app.atspi(&["button-extents", "Machine Actions", "Pause"]);
        (resume.is_ok() && pause.is_err()).then_some(())
    });
    click_button(&session, &app, "Machine Actions", "Resume");
    app.wait_for("libvirt to report the machine running", WAIT, |_| {
        (alpha.state_of("narrow-1") == RUNNING).then_some(())
    });
    app.must(&["click", "Back"]);
    wait_for_showing(&app, "the list after Back", "Back", false);
    // The row is still selected: the click changes no selection, and still opens the page.
    click_row(&session, &app, "narrow-1", None);
    wait_for_showing(
        &app,
        "the page after a click on the selected row",
        "Back",
        true,
    );
    app.must(&["click", "Back"]);
    wait_for_showing(&app, "the list after Back", "Back", false);
    // A button in a row takes its own click, and the list stays in view (the row's click must
    // not also slide to the selected machine's page). Retry tries the failed host again...
    let tries = hang_up.connections();
    click_button(
        &session,
        &app,
        "Virtual machines of all connections",
        "Retry connecting to 127.0.0.2",
    );
    app.wait_for("Hangar to try the failed host again", WAIT, |_| {
        (hang_up.connections() > tries).then_some(())
    });
    assert_eq!(
        app.must(&["showing", "Back"]),
        serde_json::Value::Bool(false),
        "Retry's click slid to a page"
    );
    // ...and the host's expander arrow folds its machines away. GTK 4.8 names the arrow
    // "Expand" whether the row is expanded or not.
    click_button(
        &session,
        &app,
        "Virtual machines of all connections",
        "Expand",
    );
    app.wait_for("the host's machines to fold away", WAIT, |app| {
        vm_names(&app.rows()).is_empty().then_some(())
    });
    assert_eq!(
        app.must(&["showing", "Back"]),
        serde_json::Value::Bool(false),
        "the expander's click slid to a page"
    );
    app.must(&["click", "Fleet Overview"]);
    wait_for_showing(&app, "the overview after Fleet Overview", "Fleet", true);
}

//! A connection's life in the window end to end: the real `hangar` binary disconnected and
//! reconnected from its host page and its row, read through AT-SPI, against a private
//! test-driver daemon.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_support/hosts.rs"]
mod hosts;
#[path = "ui_support/interact.rs"]
mod interact;
#[path = "ui_support/require.rs"]
mod require;
#[path = "ui_support/session.rs"]
mod session;

use hosts::{Start, TestHost};
use interact::{WAIT, wait_for_label};
use session::vm_names;

/// A disconnect the user asked for is no error: the row says Disconnected and offers Connect
/// (it offered "Retry", under a red line), the page says how to see the host again, and the
/// row's Connect brings the machines back.
#[test]
fn a_disconnected_host_offers_connect_and_comes_back() {
    if require::session_and_hosts_missing() {
        return;
    }
    let alpha = TestHost::start(
        "ui-reconnect",
        &[("again-1", Start::Running), ("again-2", Start::Off)],
    );
    let session = session::Session::start("reconnect");
    let app = session.launch(&["--connect", &alpha.uri()]);
    app.wait_for("the machines", WAIT, |app| {
        (vm_names(&app.rows()).len() == alpha.machines().len()).then_some(())
    });
    let host = app
        .rows()
        .into_iter()
        .find(|row| row.host)
        .map(|row| row.name().to_owned())
        .unwrap();

    app.must(&["select", &host]);
    wait_for_label(&app, "the host page", &alpha.uri());
    app.must(&["click", "Disconnect"]);
    app.wait_for("the row to say Disconnected", WAIT, |app| {
        let rows = app.rows();
        let row = rows.iter().find(|row| row.host && row.name() == host)?;
        (row.state() == "Disconnected").then_some(())
    });
    wait_for_label(
        &app,
        "the page's hint",
        "Connect to see this host’s details",
    );
    let connect = format!("Connect to {host}");
    let controls = app.must(&["controls"]).to_string();
    assert!(controls.contains(&connect), "{controls}");
    assert!(!controls.contains("Retry connecting"), "{controls}");

    app.must(&["click", &connect]);
    app.wait_for("the host connected again", WAIT, |app| {
        let rows = app.rows();
        let row = rows.iter().find(|row| row.host && row.name() == host)?;
        row.state().ends_with("machines").then_some(())
    });
}

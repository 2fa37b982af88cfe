//! The fleet window end to end: the real `hangar` binary in its own X and D-Bus session, driven
//! from outside through AT-SPI and the X pointer and keyboard (`xdotool`), against real
//! libvirt — private test-driver daemons (whose state the test and the app share) and
//! `qemu:///system` with a memtest guest. Expected rows come from libvirt, never from constants.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_support/hosts.rs"]
mod hosts;
#[path = "ui_support/interact.rs"]
mod interact;
#[path = "ui_support/require.rs"]
mod require;
#[path = "ui_support/session.rs"]
mod session;

use std::collections::BTreeMap;
use std::sync::Mutex;

use hosts::{HangingUpHost, PAUSED, RUNNING, SHUT_OFF, Start, TestHost};
use interact::{
    WAIT, click_row, wait_for_label, wait_for_no_window, wait_for_selection, wait_for_text,
    wait_for_toast, wait_for_visible_windows,
};
use require::{missing, xdotool_missing};
use session::{Row, Session, vm_names};
use virt::connect::Connect;
use virt::domain::Domain;

/// Each test starts an X server, daemons and the app: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn prerequisites(qemu: bool) -> bool {
    if require::session_and_hosts_missing() {
        return false;
    }
    if qemu
        && missing(
            Connect::open(Some("qemu:///system"))
                .err()
                .map(|e| format!("qemu:///system: {e}")),
        )
    {
        return false;
    }
    true
}

/// The words the State column uses for a libvirt state.
fn state_label(state: u32) -> &'static str {
    match state {
        RUNNING => "Running",
        PAUSED => "Paused",
        SHUT_OFF => "Shut off",
        _ => "other",
    }
}

/// A memtest guest (DESIGN.md §4) on qemu:///system, destroyed and undefined on drop.
struct QemuGuest {
    conn: Connect,
    name: String,
}

impl QemuGuest {
    fn define(tag: &str, kernel: &str, start: bool) -> Self {
        let conn = Connect::open(Some("qemu:///system")).unwrap();
        let name = format!("hangar-ui-{}-{tag}", std::process::id());
        let xml = format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{kernel}</kernel></os>\
             <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>\
             <video><model type='vga'/></video></devices></domain>"
        );
        let domain = conn.define_domain_xml(&xml).unwrap();
        if start {
            domain.create().unwrap();
        }
        Self { conn, name }
    }

    fn state(&self) -> u32 {
        self.conn
            .lookup_domain_by_name(&self.name)
            .and_then(|d| d.state())
            .map(|(s, _)| s.to_raw())
            .unwrap_or(0)
    }
}

impl Drop for QemuGuest {
    fn drop(&mut self) {
        if let Ok(domain) = self.conn.lookup_domain_by_name(&self.name) {
            let _ = domain.destroy();
            let _ = domain.undefine();
        }
    }
}

fn qemu_machines() -> Vec<(String, u32)> {
    let conn = Connect::open(Some("qemu:///system")).unwrap();
    let mut list: Vec<(String, u32)> = conn
        .list_all_domains(0)
        .unwrap()
        .iter()
        .map(|d: &Domain| {
            (
                d.name().unwrap(),
                d.state().map(|(s, _)| s.to_raw()).unwrap_or(0),
            )
        })
        .collect();
    list.sort();
    list
}

/// The machines listed under each host row (keyed by the host row's subtitle, its URI when
/// connected), as (name, state text), sorted. A row shown out of place (under another host, or
/// above every host) is missing from its own host's list.
fn machines_by_host(rows: &[Row]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut hosts: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current = None;
    for row in rows {
        if row.host {
            current = Some(row.subtitle().to_owned());
            hosts.entry(row.subtitle().to_owned()).or_default();
        } else if let Some(host) = &current {
            hosts
                .get_mut(host)
                .unwrap()
                .push((row.name().to_owned(), row.state().to_owned()));
        }
    }
    for machines in hosts.values_mut() {
        machines.sort();
    }
    hosts
}

fn expected(machines: &[(String, u32)]) -> Vec<(String, String)> {
    let mut list: Vec<_> = machines
        .iter()
        .map(|(name, state)| (name.clone(), state_label(*state).to_owned()))
        .collect();
    list.sort();
    list
}

#[test]
fn tree_lists_exactly_what_libvirt_reports_for_every_host() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(true) {
        return;
    }
    let alpha = TestHost::start(
        "ui-tree-a",
        &[
            ("alpha-web-1", Start::Running),
            ("alpha-db-1", Start::Paused),
            ("alpha-ci-1", Start::Off),
        ],
    );
    let beta = TestHost::start(
        "ui-tree-b",
        &[("beta-web-1", Start::Running), ("beta-cache-1", Start::Off)],
    );
    let _memtest = QemuGuest::define("tree", "/boot/memtest86+x64.bin", true);
    let session = Session::start("tree");
    let app = session.launch(&[
        "--connect",
        &alpha.uri(),
        "--connect",
        &beta.uri(),
        "--connect",
        "qemu:///system",
    ]);
    let mut last_difference = String::new();
    let matched = app.try_wait_for(WAIT, |app| {
        let shown = machines_by_host(&app.rows());
        let want: BTreeMap<String, Vec<(String, String)>> = [
            (alpha.uri(), expected(&alpha.machines())),
            (beta.uri(), expected(&beta.machines())),
            ("qemu:///system".to_owned(), expected(&qemu_machines())),
        ]
        .into_iter()
        .collect();
        if shown == want {
            return Some(());
        }
        last_difference = format!("shown: {shown:#?}\nlibvirt: {want:#?}");
        None
    });
    assert!(
        matched.is_some(),
        "the tree never showed every host's machines as libvirt reports them\n{last_difference}\n{}",
        app.log_tail()
    );
}

#[test]
fn pausing_from_the_ui_pauses_the_real_guest() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(true) {
        return;
    }
    let guest = QemuGuest::define("pause", "/boot/memtest86+x64.bin", true);
    let session = Session::start("pause");
    let app = session.launch(&["--connect", "qemu:///system"]);
    app.wait_for("the guest's row", WAIT, |app| {
        app.rows()
            .iter()
            .any(|r| r.name() == guest.name && r.state() == "Running")
            .then_some(())
    });
    app.must(&["select", &guest.name]);
    app.wait_for("Pause to be enabled", WAIT, |app| {
        app.actions()
            .iter()
            .any(|a| a == "win.vm-pause")
            .then_some(())
    });
    app.must(&["activate", "win.vm-pause"]);
    app.wait_for("libvirt to report the guest paused", WAIT, |_| {
        (guest.state() == PAUSED).then_some(())
    });
    app.wait_for("the row to say Paused", WAIT, |app| {
        app.rows()
            .iter()
            .any(|r| r.name() == guest.name && r.state() == "Paused")
            .then_some(())
    });
    // Resume is now the valid action, Pause is not.
    let actions = app.actions();
    assert!(actions.iter().any(|a| a == "win.vm-resume"), "{actions:?}");
    assert!(!actions.iter().any(|a| a == "win.vm-pause"), "{actions:?}");
    app.must(&["activate", "win.vm-resume"]);
    app.wait_for("libvirt to report the guest running", WAIT, |_| {
        (guest.state() == RUNNING).then_some(())
    });
}

#[test]
fn clicks_and_keys_select_machines_across_hosts_and_open_the_menu() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) || xdotool_missing() {
        return;
    }
    let alpha = TestHost::start(
        "ui-click-a",
        &[("apple-1", Start::Running), ("apple-2", Start::Off)],
    );
    let beta = TestHost::start(
        "ui-click-b",
        &[
            ("berry-1", Start::Running),
            ("berry-2", Start::Off),
            ("berry-3", Start::Paused),
        ],
    );
    let session = Session::start("clicks");
    let app = session.launch(&["--connect", &alpha.uri(), "--connect", &beta.uri()]);
    let machines = alpha.machines().len() + beta.machines().len();
    app.wait_for("both hosts' machines", WAIT, |app| {
        (vm_names(&app.rows()).len() == machines).then_some(())
    });

    click_row(&session, &app, "apple-1", None);
    wait_for_selection(&app, "a click", &["apple-1"]);
    // The list keeps the keyboard focus when the machine's page opens beside it.
    session.xdotool(&["key", "Down"]);
    wait_for_selection(&app, "Down after a click", &["apple-2"]);
    click_row(&session, &app, "apple-1", None);
    wait_for_selection(&app, "a click", &["apple-1"]);
    click_row(&session, &app, "berry-1", Some("Control_L"));
    wait_for_selection(&app, "Ctrl+click on another host", &["apple-1", "berry-1"]);
    click_row(&session, &app, "berry-3", Some("Control_L"));
    wait_for_selection(
        &app,
        "a second Ctrl+click",
        &["apple-1", "berry-1", "berry-3"],
    );
    click_row(&session, &app, "apple-1", Some("Control_L"));
    wait_for_selection(
        &app,
        "Ctrl+click on a selected row",
        &["berry-1", "berry-3"],
    );
    click_row(&session, &app, "berry-1", None);
    wait_for_selection(&app, "a plain click", &["berry-1"]);
    click_row(&session, &app, "berry-3", Some("Shift_L"));
    wait_for_selection(&app, "Shift+click", &["berry-1", "berry-2", "berry-3"]);

    // Shift+F10 opens the focused row's menu from the keyboard.
    session.xdotool(&["key", "shift+F10"]);
    wait_for_text(&app, "the row menu", "Force Off", |app| {
        serde_json::from_value(app.must(&["menu-items"])).unwrap()
    });
}

/// In the search entry, Enter or Down goes on to the first machine found (the filter applied
/// even if the entry has not reported its text yet), and the list's own keys work from there.
#[test]
fn enter_or_down_in_the_search_goes_on_to_the_first_machine() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) || xdotool_missing() {
        return;
    }
    let alpha = TestHost::start(
        "ui-find",
        &[
            ("alpha-1", Start::Running),
            ("find-1", Start::Off),
            ("find-2", Start::Running),
        ],
    );
    for key in ["Return", "Down"] {
        let session = Session::start(&format!("find-{key}"));
        let app = session.launch(&["--connect", &alpha.uri()]);
        app.wait_for("the machines", WAIT, |app| {
            (vm_names(&app.rows()).len() == 3).then_some(())
        });
        // Without a window manager the keyboard goes to the window under the pointer.
        session.xdotool(&["mousemove", "300", "400"]);
        session.xdotool(&["key", "ctrl+f", "type", "find"]);
        session.xdotool(&["key", key]);
        wait_for_selection(&app, &format!("{key} in the search"), &["find-1"]);
        session.xdotool(&["key", "Down"]);
        wait_for_selection(&app, &format!("Down in the list after {key}"), &["find-2"]);
    }
}

#[test]
fn connection_dialogs_and_shortcuts_open_from_the_window() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) || xdotool_missing() {
        return;
    }
    let alpha = TestHost::start("ui-dialogs", &[("dialog-vm", Start::Running)]);
    let session = Session::start("dialogs");
    let app = session.launch(&["--connect", &alpha.uri()]);
    let host = app.wait_for("the host and its machine", WAIT, |app| {
        let rows = app.rows();
        let host = rows.iter().find(|r| r.host)?.name().to_owned();
        (vm_names(&rows) == ["dialog-vm"]).then_some(host)
    });

    // The header bar's Add Connection opens the dialog, which shows the URI it would add.
    app.must(&["click", "Add Connection"]);
    wait_for_text(&app, "the Add Connection dialog", "qemu:///system", |app| {
        app.labels()
    });
    app.must(&["click", "Cancel"]);
    wait_for_no_window(&session, "Add Connection");

    // The host page's Edit… opens it filled in; a new name (typed over the old one) shows in
    // the tree.
    app.must(&["select", &host]);
    app.must(&["click", "Edit…"]);
    wait_for_text(&app, "the Edit Connection dialog", &alpha.uri(), |app| {
        app.labels()
    });
    // The dialog is a new toplevel, which Xvfb (no window manager) puts at the origin.
    let extents = app.must(&["field-extents", "Edit Connection", "Name"]);
    let [x, y, w, h] = [0, 1, 2, 3].map(|i| extents[i].as_i64().unwrap());
    let (cx, cy) = ((x + w / 2).to_string(), (y + h / 2).to_string());
    session.xdotool(&[
        "mousemove",
        &cx,
        &cy,
        "click",
        "1",
        "key",
        "ctrl+a",
        "type",
        "renamed-by-test",
    ]);
    app.must(&["click", "Save"]);
    wait_for_no_window(&session, "Edit Connection");
    app.wait_for("the host row under its new name", WAIT, |app| {
        app.rows()
            .iter()
            .any(|r| r.host && r.name() == "renamed-by-test")
            .then_some(())
    });

    // Remove asks first (the name and "Connect Automatically" go with the connection):
    // Cancel keeps the host, Remove forgets it.
    for (answer, host_left) in [("Cancel", true), ("Remove", false)] {
        app.must(&["click", "Remove"]);
        wait_for_text(
            &app,
            "the Remove question",
            "Hangar forgets the connection",
            |app| app.labels(),
        );
        app.must(&["click-last", answer]);
        wait_for_visible_windows(&session, &app, 1);
        app.wait_for(&format!("the host list after {answer}"), WAIT, |app| {
            let shown = app.rows().iter().any(|r| r.host);
            (shown == host_left).then_some(())
        });
    }

    // The main menu's Keyboard Shortcuts opens GTK's shortcuts window with Hangar's list.
    app.must(&["activate", "win.show-help-overlay"]);
    wait_for_text(&app, "the shortcuts window", "Show Shortcuts", |app| {
        app.labels()
    });
}

#[test]
fn search_filters_across_hosts_and_one_list_sorts_across_hosts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) {
        return;
    }
    let alpha = TestHost::start(
        "ui-search-a",
        &[
            ("web-1", Start::Running),
            ("web-3", Start::Off),
            ("db-2", Start::Running),
        ],
    );
    let beta = TestHost::start(
        "ui-search-b",
        &[
            ("web-2", Start::Running),
            ("db-1", Start::Paused),
            ("cache-1", Start::Off),
        ],
    );
    let session = Session::start("search");
    let app = session.launch(&["--connect", &alpha.uri(), "--connect", &beta.uri()]);
    let everything: Vec<String> = alpha
        .machines()
        .into_iter()
        .chain(beta.machines())
        .map(|(name, _)| name)
        .collect();
    app.wait_for("both hosts' machines", WAIT, |app| {
        (vm_names(&app.rows()).len() == everything.len()).then_some(())
    });

    app.must(&["set-text", "Search machines", "web"]);
    let mut matching: Vec<String> = everything
        .iter()
        .filter(|n| n.contains("web"))
        .cloned()
        .collect();
    matching.sort();
    app.wait_for("only the matching machines of both hosts", WAIT, |app| {
        let rows = app.rows();
        let mut shown = vm_names(&rows);
        shown.sort();
        (shown == matching && rows.iter().filter(|r| r.host).count() == 2).then_some(())
    });
    // A search by state finds machines by what the State column says.
    app.must(&["set-text", "Search machines", "paused"]);
    app.wait_for("the paused machine", WAIT, |app| {
        (vm_names(&app.rows()) == ["db-1"]).then_some(())
    });
    app.must(&["set-text", "Search machines", ""]);

    // One list of all machines of all hosts, sorted by name across hosts.
    app.must(&["activate", "win.view-list"]);
    let mut sorted = everything.clone();
    sorted.sort_by(|a, b| hangar::fleet::natural_cmp(a, b));
    app.wait_for("one list sorted across hosts", WAIT, |app| {
        let rows = app.rows();
        (rows.iter().all(|r| !r.host) && vm_names(&rows) == sorted).then_some(())
    });
    // The sorted list interleaves the hosts (the fixture makes sure of that).
    assert_eq!(
        sorted,
        ["cache-1", "db-1", "db-2", "web-1", "web-2", "web-3"]
    );
}

#[test]
fn multi_select_acts_on_every_host_and_reports_each_result() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(true) {
        return;
    }
    let alpha = TestHost::start(
        "ui-multi-a",
        &[
            ("off-a1", Start::Off),
            ("off-a2", Start::Off),
            ("run-a3", Start::Running),
        ],
    );
    let beta = TestHost::start("ui-multi-b", &[("off-b1", Start::Off)]);
    // A guest whose kernel does not exist: libvirt refuses to start it, with its own message.
    let broken = QemuGuest::define("broken", "/nonexistent/hangar-kernel", false);
    let session = Session::start("multi");
    let app = session.launch(&[
        "--connect",
        &alpha.uri(),
        "--connect",
        &beta.uri(),
        "--connect",
        "qemu:///system",
    ]);
    app.wait_for("all machines", WAIT, |app| {
        let names = vm_names(&app.rows());
        ["off-a1", "off-a2", "off-b1", "run-a3", broken.name.as_str()]
            .iter()
            .all(|n| names.iter().any(|m| m == n))
            .then_some(())
    });

    // Run on three hosts at once; the running machine in the selection is left alone.
    app.must(&[
        "select",
        "off-a1",
        "off-a2",
        "off-b1",
        "run-a3",
        &broken.name,
    ]);
    app.wait_for("Run to be enabled", WAIT, |app| {
        app.actions()
            .iter()
            .any(|a| a == "win.vm-run")
            .then_some(())
    });
    app.must(&["activate", "win.vm-run"]);
    app.wait_for("libvirt to report the three machines running", WAIT, |_| {
        let running = [
            alpha.state_of("off-a1"),
            alpha.state_of("off-a2"),
            beta.state_of("off-b1"),
        ];
        running.iter().all(|state| *state == RUNNING).then_some(())
    });
    let summary = wait_for_toast(&app, "the run summary", "3 started");
    assert!(
        summary.contains("1 failed") && summary.contains(&broken.name),
        "{summary}"
    );
    assert_eq!(broken.state(), SHUT_OFF);

    // Force Off asks first (the preference is on by default), then acts on both hosts.
    app.must(&["select", "off-a1", "off-b1"]);
    app.wait_for("Force Off to be enabled", WAIT, |app| {
        app.actions()
            .iter()
            .any(|a| a == "win.vm-force-off")
            .then_some(())
    });
    app.must(&["activate", "win.vm-force-off"]);
    wait_for_label(&app, "the confirmation", "Force 2 virtual machines off?");
    app.must(&["click", "Force Off"]);
    app.wait_for("libvirt to report both machines off", WAIT, |_| {
        (alpha.state_of("off-a1") == SHUT_OFF && beta.state_of("off-b1") == SHUT_OFF).then_some(())
    });
    wait_for_toast(&app, "the force-off summary", "2 forced off");
    assert_eq!(
        alpha.state_of("off-a2"),
        RUNNING,
        "not selected, not touched"
    );
}

#[test]
fn an_unreachable_host_shows_its_error_with_retry_while_others_work() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) {
        return;
    }
    let alpha = TestHost::start(
        "ui-down-a",
        &[("up-1", Start::Running), ("up-2", Start::Off)],
    );
    let session = Session::start("down");
    let dead = "qemu+tcp://127.0.0.1:1/system";
    // A second failing host, one that takes the connection and hangs up: it counts the tries.
    let hang_up = HangingUpHost::start();
    let hang_up_uri = hang_up.uri();
    let app = session.launch(&[
        "--connect",
        dead,
        "--connect",
        &alpha.uri(),
        "--connect",
        &hang_up_uri,
    ]);
    app.wait_for(
        "the failed hosts with their errors and the working host's machines",
        WAIT,
        |app| {
            let rows = app.rows();
            // libvirt's own words, not the URI, stand under a failed host; its State cell
            // says "Failed" (the words did not fit there).
            let error_shown = |name: &str| {
                rows.iter().any(|r| {
                    r.host
                        && r.name() == name
                        && !r.subtitle().is_empty()
                        && !r.subtitle().starts_with("qemu+tcp")
                        && r.state() == "Failed"
                })
            };
            let working =
                machines_by_host(&rows).get(&alpha.uri()) == Some(&expected(&alpha.machines()));
            (error_shown("127.0.0.1") && error_shown("127.0.0.2") && working).then_some(())
        },
    );
    let controls = app.must(&["controls"]).to_string();
    assert!(
        controls.contains("Retry connecting to 127.0.0.1"),
        "{controls}"
    );
    // Retrying tries again (a new connection reaches the host, which hangs up again), while the
    // other host stays connected.
    let tries = hang_up.connections();
    app.must(&["click", "Retry connecting to 127.0.0.2"]);
    app.wait_for("Hangar to try the host again", WAIT, |_| {
        (hang_up.connections() > tries).then_some(())
    });
    app.wait_for("the error again after the retry", WAIT, |app| {
        let rows = app.rows();
        let failed = rows.iter().find(|r| r.host && r.name() == "127.0.0.2")?;
        (failed.state() == "Failed" && !failed.subtitle().starts_with("qemu+tcp")).then_some(())
    });
    assert_eq!(
        machines_by_host(&app.rows()).get(&alpha.uri()),
        Some(&expected(&alpha.machines()))
    );
    // The host's page says it could not connect, with libvirt's whole reason.
    let reason = app
        .rows()
        .iter()
        .find(|r| r.host && r.name() == "127.0.0.1")
        .map(|r| r.subtitle().to_owned())
        .unwrap();
    app.must(&["select", "127.0.0.1"]);
    wait_for_label(&app, "the host page's problem", "Could Not Connect");
    wait_for_label(&app, "the host page's reason", &reason);
}

#[test]
fn a_second_launch_hands_its_connections_to_the_running_window() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) {
        return;
    }
    let alpha = TestHost::start("ui-single-a", &[("first-1", Start::Running)]);
    let beta = TestHost::start("ui-single-b", &[("second-1", Start::Off)]);
    let session = Session::start("single");
    let app = session.launch(&["--connect", &alpha.uri()]);
    app.wait_for("the first host", WAIT, |app| {
        (vm_names(&app.rows()) == ["first-1"]).then_some(())
    });
    let status = session.run_second_instance(&["--connect", &beta.uri()]);
    assert!(status.success(), "{status}");
    app.wait_for("the second host in the first window", WAIT, |app| {
        let mut names = vm_names(&app.rows());
        names.sort();
        (names == ["first-1", "second-1"]).then_some(())
    });
}

/// A first start without `--connect` (settings empty) adds the local QEMU/KVM host, as
/// virt-manager does, and lists its machines; it is saved to connect automatically.
#[test]
fn a_first_start_adds_the_local_qemu_host() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(true) {
        return;
    }
    let session = Session::start("first");
    let app = session.launch(&[]);
    let wanted = expected(&qemu_machines());
    app.wait_for("the local host and its machines", WAIT, |app| {
        let hosts = machines_by_host(&app.rows());
        (hosts.len() == 1 && hosts.get("qemu:///system") == Some(&wanted)).then_some(())
    });
}

/// `--show-host-summary` opens the page of the host given with `--connect` (the second one
/// here, in a second launch), and a `--show-domain-*` for a machine that no host has says so.
#[test]
fn show_options_open_what_they_name_or_say_it_is_missing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) {
        return;
    }
    let alpha = TestHost::start("ui-show-a", &[("shown-a", Start::Running)]);
    let beta = TestHost::start("ui-show-b", &[("shown-b", Start::Off)]);
    let session = Session::start("show");
    let app = session.launch(&["--connect", &alpha.uri()]);
    app.wait_for("the first host", WAIT, |app| {
        (vm_names(&app.rows()) == ["shown-a"]).then_some(())
    });
    let status = session.run_second_instance(&["--connect", &beta.uri(), "--show-host-summary"]);
    assert!(status.success(), "{status}");
    // The host page names its URI (the fleet's own rows are not among these labels).
    wait_for_text(&app, "the second host's page", &beta.uri(), |app| {
        app.labels()
    });

    let status = session.run_second_instance(&["--show-domain-console", "no-such-vm"]);
    assert!(status.success(), "{status}");
    wait_for_toast(&app, "the missing machine", "no-such-vm");
}

#[test]
fn every_control_has_an_accessible_name() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites(false) {
        return;
    }
    let alpha = TestHost::start("ui-names-a", &[("named-1", Start::Running)]);
    let session = Session::start("names");
    let app = session.launch(&["--connect", &alpha.uri()]);
    app.wait_for("the machine", WAIT, |app| {
        (vm_names(&app.rows()) == ["named-1"]).then_some(())
    });
    app.must(&["select", "named-1"]);
    app.wait_for("the VM page", WAIT, |app| {
        app.labels().iter().any(|l| l == "UUID").then_some(())
    });
    let controls: Vec<(String, String)> = serde_json::from_value(app.must(&["controls"])).unwrap();
    assert!(controls.len() > 10, "{controls:?}");
    let unnamed: Vec<_> = controls
        .iter()
        .filter(|(_, name)| {
            name.trim().is_empty() || name.starts_with("Gtk") || name.starts_with("Adw")
        })
        .collect();
    assert!(
        unnamed.is_empty(),
        "controls without an accessible name: {unnamed:?}"
    );
}

/// Drawing with Cairo (as this session asks, and as Hangar chooses itself without a GPU), GTK
/// must not load OpenGL at all: Mesa's software GL is ~55 MB of resident libraries that would
/// draw nothing (see `src/renderer.rs`).
#[test]
fn drawing_with_cairo_leaves_opengl_unloaded() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if missing(session::tools_missing()) {
        return;
    }
    let session = Session::start("cairo");
    let app = session.launch(&[]);
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", app.pid())).unwrap();
    let opengl: Vec<&str> = maps
        .lines()
        .filter(|line| {
            ["libLLVM", "_dri.so", "libGLX_mesa", "libEGL_mesa"]
                .iter()
                .any(|lib| line.contains(lib))
        })
        .collect();
    assert!(opengl.is_empty(), "OpenGL libraries mapped: {opengl:#?}");
}

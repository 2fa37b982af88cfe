//! Saved connections in GSettings (key `connections`, type `a(ssb)`): load, change, store.
//!
//! The rules (order, one entry per URI) live in the GTK-free `hangar::saved_connections`;
//! this file only moves the list in and out of GSettings.

#![allow(
    dead_code,
    reason = "the window wires these in with the connection list"
)]

use gtk::prelude::*;
use gtk::{gio, glib};

use hangar::saved_connections::SavedConnections;

const KEY: &str = "connections";

/// The saved connections, in the user's order.
pub fn load(settings: &gio::Settings) -> SavedConnections {
    // The schema fixes the type, so `get` only fails if the schema and this code disagree;
    // an empty list then loses nothing, since nothing is written back unless asked.
    let tuples = settings
        .value(KEY)
        .get::<Vec<(String, String, bool)>>()
        .unwrap_or_default();
    SavedConnections::from_tuples(tuples)
}

/// Writes `list` back, replacing what was saved.
pub fn store(settings: &gio::Settings, list: &SavedConnections) -> Result<(), glib::BoolError> {
    settings.set_value(KEY, &list.to_tuples().to_variant())
}

/// Loads the list, lets `change` edit it, and stores it if `change` reports a change.
///
/// ```ignore
/// saved_connections::update(&settings, |list| list.rename(&uri, Some("Lab")))?;
/// ```
pub fn update(
    settings: &gio::Settings,
    change: impl FnOnce(&mut SavedConnections) -> bool,
) -> Result<bool, glib::BoolError> {
    let mut list = load(settings);
    let changed = change(&mut list);
    if changed {
        store(settings, &list)?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::settings::memory_settings;
    use hangar::saved_connections::{AddOutcome, SavedConnection};

    #[test]
    fn connections_survive_a_store_and_a_fresh_load() {
        let settings = memory_settings();
        assert!(load(&settings).is_empty(), "the default is an empty list");

        let added = update(&settings, |list| {
            list.add(SavedConnection::new("qemu:///system", None, true)) == AddOutcome::Added
                && list.add(SavedConnection::new("test:///default", Some("Lab"), false))
                    == AddOutcome::Added
        });
        assert_eq!(added.ok(), Some(true));
        assert!(
            update(&settings, |list| list
                .rename("test:///default", Some("Test lab")))
            .is_ok()
        );
        assert!(
            update(&settings, |list| list
                .set_autoconnect("test:///default", true))
            .is_ok()
        );

        let raw = settings.value(KEY);
        assert_eq!(raw.type_().as_str(), "a(ssb)");
        assert_eq!(
            raw.get::<Vec<(String, String, bool)>>(),
            Some(vec![
                ("qemu:///system".to_owned(), String::new(), true),
                ("test:///default".to_owned(), "Test lab".to_owned(), true),
            ])
        );

        // Adding a saved URI again updates it; nothing is duplicated.
        let again = update(&settings, |list| {
            list.add(SavedConnection::new("qemu:///system", Some("Here"), false))
                == AddOutcome::Updated
        });
        assert_eq!(again.ok(), Some(true));
        let list = load(&settings);
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.get("qemu:///system"),
            Some(&SavedConnection::new("qemu:///system", Some("Here"), false))
        );

        assert_eq!(
            update(&settings, |list| list.remove("qemu:///system")).ok(),
            Some(true)
        );
        assert_eq!(
            update(&settings, |list| list.remove("qemu:///system")).ok(),
            Some(false)
        );
        let uris: Vec<String> = load(&settings)
            .entries()
            .iter()
            .map(|e| e.uri.clone())
            .collect();
        assert_eq!(uris, ["test:///default"]);
    }

    #[test]
    fn duplicates_written_by_hand_are_read_once() {
        let settings = memory_settings();
        let hand_written = vec![
            ("qemu:///system".to_owned(), "A".to_owned(), true),
            ("qemu:///system".to_owned(), "B".to_owned(), false),
        ];
        assert!(settings.set_value(KEY, &hand_written.to_variant()).is_ok());
        let list = load(&settings);
        assert_eq!(list.len(), 1);
        assert_eq!(list.entries()[0].name.as_deref(), Some("A"));
    }
}

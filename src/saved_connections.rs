//! The connections the user saved: their URIs, optional names and whether they open at
//! start-up, in the user's order, at most one entry per URI.
//!
//! GTK-free so the rules are unit-tested; `ui/saved_connections.rs` stores the list in the
//! GSettings key `connections` (type `a(ssb)`).

/// One saved connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedConnection {
    /// The libvirt URI; unique in the list.
    pub uri: String,
    /// The name the user gave it; `None` shows the host's own name.
    pub name: Option<String>,
    /// Whether Hangar connects to it at start-up.
    pub autoconnect: bool,
}

impl SavedConnection {
    /// An entry with surrounding blanks trimmed and an empty name read as "no name".
    pub fn new(uri: &str, name: Option<&str>, autoconnect: bool) -> Self {
        Self {
            uri: uri.trim().to_owned(),
            name: normalize_name(name),
            autoconnect,
        }
    }
}

fn normalize_name(name: Option<&str>) -> Option<String> {
    name.map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// What [`SavedConnections::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// A new entry at the end.
    Added,
    /// The URI was saved already; its name and start-up flag were replaced in place.
    Updated,
}

/// The saved connections, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedConnections {
    entries: Vec<SavedConnection>,
}

impl SavedConnections {
    /// Reads the GSettings representation `(uri, name, autoconnect)`. A hand-edited list may
    /// repeat a URI or hold an empty one: the first entry per URI wins, empty URIs are dropped.
    pub fn from_tuples(tuples: Vec<(String, String, bool)>) -> Self {
        let mut list = Self::default();
        for (uri, name, autoconnect) in tuples {
            let entry = SavedConnection::new(&uri, Some(&name), autoconnect);
            if !entry.uri.is_empty() && list.get(&entry.uri).is_none() {
                list.entries.push(entry);
            }
        }
        list
    }

    /// The GSettings representation; no name is stored as an empty string.
    pub fn to_tuples(&self) -> Vec<(String, String, bool)> {
        self.entries
            .iter()
            .map(|entry| {
                (
                    entry.uri.clone(),
                    entry.name.clone().unwrap_or_default(),
                    entry.autoconnect,
                )
            })
            .collect()
    }

    pub fn entries(&self) -> &[SavedConnection] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry saved for `uri`.
    pub fn get(&self, uri: &str) -> Option<&SavedConnection> {
        self.entries.iter().find(|entry| entry.uri == uri.trim())
    }

    fn position(&self, uri: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| entry.uri == uri.trim())
    }

    /// Saves a connection: appended if its URI is new, otherwise updated where it stands.
    pub fn add(&mut self, entry: SavedConnection) -> AddOutcome {
        let entry = SavedConnection::new(&entry.uri, entry.name.as_deref(), entry.autoconnect);
        match self.position(&entry.uri) {
            Some(index) => {
                self.entries[index] = entry;
                AddOutcome::Updated
            }
            None => {
                self.entries.push(entry);
                AddOutcome::Added
            }
        }
    }

    /// Replaces the entry for `old_uri` (an edited connection, whose URI may have changed)
    /// in its place. Another entry that already had the new URI is dropped, so URIs stay
    /// unique. Returns false, changing nothing, when `old_uri` is not saved.
    pub fn replace(&mut self, old_uri: &str, entry: SavedConnection) -> bool {
        let entry = SavedConnection::new(&entry.uri, entry.name.as_deref(), entry.autoconnect);
        let Some(index) = self.position(old_uri) else {
            return false;
        };
        let old = std::mem::take(&mut self.entries);
        self.entries = old
            .into_iter()
            .enumerate()
            .filter_map(|(i, other)| {
                if i == index {
                    Some(entry.clone())
                } else {
                    (other.uri != entry.uri).then_some(other)
                }
            })
            .collect();
        true
    }

    /// Forgets `uri`. Returns whether it was saved.
    pub fn remove(&mut self, uri: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|entry| entry.uri != uri.trim());
        self.entries.len() != before
    }

    /// Sets or clears (`None` or blank) the name of `uri`. Returns whether it was saved.
    pub fn rename(&mut self, uri: &str, name: Option<&str>) -> bool {
        match self.position(uri) {
            Some(index) => {
                self.entries[index].name = normalize_name(name);
                true
            }
            None => false,
        }
    }

    /// Sets whether `uri` opens at start-up. Returns whether it was saved.
    pub fn set_autoconnect(&mut self, uri: &str, autoconnect: bool) -> bool {
        match self.position(uri) {
            Some(index) => {
                self.entries[index].autoconnect = autoconnect;
                true
            }
            None => false,
        }
    }

    /// The URIs to open at start-up, in order.
    pub fn autoconnect_uris(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|entry| entry.autoconnect)
            .map(|entry| entry.uri.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(uri: &str, name: Option<&str>, autoconnect: bool) -> SavedConnection {
        SavedConnection::new(uri, name, autoconnect)
    }

    fn uris(list: &SavedConnections) -> Vec<&str> {
        list.entries().iter().map(|e| e.uri.as_str()).collect()
    }

    fn sample() -> SavedConnections {
        let mut list = SavedConnections::default();
        list.add(entry("qemu:///system", None, true));
        list.add(entry("test:///default", Some("Lab"), false));
        list.add(entry("qemu+ssh://root@h/system", Some("h"), true));
        list
    }

    #[test]
    fn add_appends_in_order_and_updates_an_existing_uri_in_place() {
        let mut list = sample();
        assert_eq!(
            uris(&list),
            [
                "qemu:///system",
                "test:///default",
                "qemu+ssh://root@h/system"
            ]
        );
        let outcome = list.add(entry(" test:///default ", Some("Renamed"), true));
        assert_eq!(outcome, AddOutcome::Updated);
        assert_eq!(list.len(), 3);
        assert_eq!(uris(&list)[1], "test:///default");
        assert_eq!(
            list.entries()[1],
            entry("test:///default", Some("Renamed"), true)
        );
        assert_eq!(list.add(entry("xen:///", None, false)), AddOutcome::Added);
        assert_eq!(uris(&list)[3], "xen:///");
    }

    #[test]
    fn remove_rename_and_autoconnect_touch_only_their_entry() {
        let mut list = sample();
        assert!(list.rename("test:///default", Some("  Test lab  ")));
        assert_eq!(
            list.get("test:///default").and_then(|e| e.name.as_deref()),
            Some("Test lab")
        );
        assert!(list.rename("test:///default", Some("   ")));
        assert_eq!(
            list.get("test:///default").map(|e| e.name.clone()),
            Some(None)
        );
        assert!(list.set_autoconnect("test:///default", true));
        assert_eq!(
            list.autoconnect_uris().collect::<Vec<_>>(),
            [
                "qemu:///system",
                "test:///default",
                "qemu+ssh://root@h/system"
            ]
        );
        assert!(list.remove("qemu:///system"));
        assert_eq!(uris(&list), ["test:///default", "qemu+ssh://root@h/system"]);

        let before = list.clone();
        assert!(!list.remove("qemu:///system"));
        assert!(!list.rename("lxc:///", Some("x")));
        assert!(!list.set_autoconnect("lxc:///", true));
        assert_eq!(list, before, "operations on unknown URIs change nothing");
    }

    #[test]
    fn replace_keeps_the_position_and_the_uris_unique() {
        let mut list = sample();
        assert!(list.replace(
            "test:///default",
            entry("test:///tmp/lab.xml", Some("Lab"), true)
        ));
        assert_eq!(
            uris(&list),
            [
                "qemu:///system",
                "test:///tmp/lab.xml",
                "qemu+ssh://root@h/system"
            ]
        );

        // Editing the last entry into the URI of the first leaves one entry, where the edit was.
        assert!(list.replace(
            "qemu+ssh://root@h/system",
            entry("qemu:///system", Some("Local"), false)
        ));
        assert_eq!(uris(&list), ["test:///tmp/lab.xml", "qemu:///system"]);
        assert_eq!(
            list.get("qemu:///system"),
            Some(&entry("qemu:///system", Some("Local"), false))
        );

        let before = list.clone();
        assert!(!list.replace("lxc:///", entry("xen:///", None, false)));
        assert_eq!(list, before);
    }

    #[test]
    fn gsettings_tuples_round_trip_and_hand_edits_are_cleaned() {
        let list = sample();
        assert_eq!(SavedConnections::from_tuples(list.to_tuples()), list);
        assert_eq!(
            list.to_tuples()[0],
            ("qemu:///system".to_owned(), String::new(), true)
        );

        let edited = vec![
            ("qemu:///system".to_owned(), "First".to_owned(), true),
            ("".to_owned(), "Nothing".to_owned(), true),
            ("qemu:///system".to_owned(), "Second".to_owned(), false),
            ("test:///default".to_owned(), " ".to_owned(), false),
        ];
        let read = SavedConnections::from_tuples(edited);
        assert_eq!(
            read.entries(),
            [
                entry("qemu:///system", Some("First"), true),
                entry("test:///default", None, false)
            ]
        );
    }
}

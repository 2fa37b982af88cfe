//! "Busiest Machines": the machines of a host or of the fleet ranked by CPU, memory, disk or
//! network use, each row with its host, a bar and the value. Activating a row selects the
//! machine in the fleet. Rows are made once and updated in place.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use adw::prelude::*;

use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainUuid};
use hangar::perf::{Ranking, busiest};
use hangar::stats::{Scope, StatsStore};

use super::labels::set_text;

/// Selects a machine in the fleet.
pub type SelectMachine = Rc<dyn Fn(ConnectionId, DomainUuid)>;

/// A machine's name and its host's label, if the window knows the machine.
pub type MachineNames<'a> = &'a dyn Fn(ConnectionId, &DomainUuid) -> Option<(String, String)>;

struct BusyRow {
    row: adw::ActionRow,
    bar: gtk::LevelBar,
    value: gtk::Label,
    target: Rc<Cell<Option<(ConnectionId, DomainUuid)>>>,
    /// The accessible description last set (only changes are sent).
    description: RefCell<String>,
}

/// The ranked list with its ranking selector.
pub struct BusiestList {
    pub root: adw::PreferencesGroup,
    rows: Vec<BusyRow>,
    empty: adw::ActionRow,
    ranking: Rc<Cell<Ranking>>,
}

impl BusiestList {
    /// A list of at most `count` machines. `on_select` is called with the machine of an
    /// activated row; `on_ranking` when the user picks another ranking (refresh then).
    pub fn new(count: usize, on_select: SelectMachine, on_ranking: Rc<dyn Fn()>) -> Self {
        let root = adw::PreferencesGroup::builder()
            .title(gettext("Busiest Machines"))
            .build();
        let ranking = Rc::new(Cell::new(Ranking::Cpu));
        root.set_header_suffix(Some(&ranking_selector(&ranking, on_ranking)));
        let empty = adw::ActionRow::builder()
            .title(gettext("No machine is busy"))
            .css_classes(["dim-label"])
            .build();
        root.add(&empty);
        let rows = (0..count)
            .map(|_| {
                let row = busy_row(&on_select);
                root.add(&row.row);
                row
            })
            .collect();
        Self {
            root,
            rows,
            empty,
            ranking,
        }
    }

    /// Ranks the machines of `scope` again and shows them, named by `names`.
    pub fn refresh(&self, store: &StatsStore, scope: Scope, names: MachineNames<'_>) {
        let entries = busiest(store, scope, self.ranking.get(), self.rows.len());
        let mut shown = 0;
        for entry in &entries {
            let Some((name, host)) = names(entry.connection, &entry.uuid) else {
                continue;
            };
            let Some(row) = self.rows.get(shown) else {
                break;
            };
            shown += 1;
            row.row.set_title(&name);
            row.row.set_subtitle(&host);
            set_text(&row.value, &entry.text);
            row.bar.set_value(entry.share);
            if *row.description.borrow() != entry.text {
                crate::ui::a11y::set_description(&row.row, &entry.text);
                *row.description.borrow_mut() = entry.text.clone();
            }
            if entry.stale {
                row.row.add_css_class("stale");
            } else {
                row.row.remove_css_class("stale");
            }
            row.target.set(Some((entry.connection, entry.uuid)));
            row.row.set_visible(true);
        }
        for row in &self.rows[shown..] {
            row.row.set_visible(false);
            row.target.set(None);
        }
        self.empty.set_visible(shown == 0);
    }

    /// The names in the rows shown, top first.
    #[cfg(test)]
    pub fn shown(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .filter(|row| row.row.is_visible())
            .map(|row| (row.row.title().to_string(), row.value.label().to_string()))
            .collect()
    }

    /// Activates the `index`th row as a click does.
    #[cfg(test)]
    pub fn activate(&self, index: usize) {
        adw::prelude::ActionRowExt::activate(&self.rows[index].row);
    }
}

fn busy_row(on_select: &SelectMachine) -> BusyRow {
    let bar = gtk::LevelBar::builder()
        .min_value(0.0)
        .max_value(1.0)
        .width_request(72)
        .valign(gtk::Align::Center)
        .build();
    // One colour whatever the level: a busy machine is not an error.
    for name in ["low", "high", "full"] {
        bar.remove_offset_value(Some(name));
    }
    let value = gtk::Label::builder()
        .width_chars(9)
        .xalign(1.0)
        .css_classes(["numeric"])
        .build();
    // Machine names are plain text, not markup.
    let row = adw::ActionRow::builder()
        .activatable(true)
        .use_markup(false)
        .build();
    row.add_suffix(&bar);
    row.add_suffix(&value);
    let target: Rc<Cell<Option<(ConnectionId, DomainUuid)>>> = Rc::default();
    let selected = target.clone();
    let on_select = on_select.clone();
    row.connect_activated(move |_| {
        if let Some((connection, uuid)) = selected.get() {
            on_select(connection, uuid);
        }
    });
    BusyRow {
        row,
        bar,
        value,
        target,
        description: RefCell::default(),
    }
}

/// Linked toggles: CPU, Memory, Disk, Network.
fn ranking_selector(ranking: &Rc<Cell<Ranking>>, on_ranking: Rc<dyn Fn()>) -> gtk::Box {
    let buttons = gtk::Box::builder()
        .orientation(gtk::Orientation::Horizontal)
        .valign(gtk::Align::Center)
        .css_classes(["linked"])
        .build();
    crate::ui::a11y::set_label(&buttons, &gettext("Rank by"));
    let mut first: Option<gtk::ToggleButton> = None;
    for choice in Ranking::ALL {
        let button = gtk::ToggleButton::builder()
            .label(choice.label())
            .active(choice == ranking.get())
            .css_classes(["small"])
            .build();
        button.set_group(first.as_ref());
        first.get_or_insert_with(|| button.clone());
        let ranking = ranking.clone();
        let on_ranking = on_ranking.clone();
        button.connect_toggled(move |button| {
            if button.is_active() {
                ranking.set(choice);
                on_ranking();
            }
        });
        buttons.append(&button);
    }
    buttons
}
